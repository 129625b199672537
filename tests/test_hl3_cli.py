"""HL3 end to end: the real CLI on a realistic training script."""
import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """\
    import argparse

    import torch
    import wandb


    def parse_args():
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.1)
        parser.add_argument("--blr", type=float, default=1e-3)
        parser.add_argument("--epochs", type=int, default=90)
        parser.add_argument("--schedule", type=int, nargs="+", default=[30, 60])
        parser.add_argument("--gamma", type=float, default=0.1)
        return parser.parse_args()


    def train_one_epoch(model, loader, optimizer):
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


    def main():
        args = parse_args()
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
        args.lr = args.blr * 256 / 256
        run = wandb.init(config=vars(args))
        model = torch.nn.Linear(10, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
        for epoch in range(args.epochs):
            if epoch in args.schedule:
                args.lr *= args.gamma
                for group in optimizer.param_groups:
                    group["lr"] = args.lr
            train_one_epoch(model, loader, optimizer)
            wandb.config.update({"lr": args.lr}, allow_val_change=True)
            run.log({"epoch": epoch})


    if __name__ == "__main__":
        main()
    """
)


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "hyperlint", *args], capture_output=True, text=True, cwd=cwd)


def test_check_reports_each_hl3_violation_once_with_a_suggested_fix(tmp_path):
    (tmp_path / "train.py").write_text(SCRIPT)
    proc = run_cli("check", "--select", "HL3", "--output-format", "json", "train.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    found = [(f["code"], f["location"]["row"]) for f in json.loads(proc.stdout)]
    assert found == [("HL301", 34), ("HL302", 36), ("HL303", 38)]
    for finding in json.loads(proc.stdout):
        assert finding["fix"]["applicability"] == "display-only"
        assert finding["fix"]["edits"] == []
    messages = {f["code"]: f["fix"]["message"] for f in json.loads(proc.stdout)}
    assert "MultiStepLR(optimizer, milestones=args.schedule, gamma=args.gamma)" in messages["HL301"]
    assert "MultiStepLR" in messages["HL302"]
    assert "run.log(" in messages["HL303"]


def test_noqa_suppresses_and_setup_stays_clean(tmp_path):
    script = SCRIPT.replace('group["lr"] = args.lr', 'group["lr"] = args.lr  # noqa: HL302')
    (tmp_path / "train.py").write_text(script)
    proc = run_cli("check", "--select", "HL3", "--output-format", "concise", "train.py", cwd=tmp_path)
    assert "HL302" not in proc.stdout
    assert ":34:" in proc.stdout and ":38:" in proc.stdout
    assert ":27:" not in proc.stdout and ":28:" not in proc.stdout  # setup-time derivations


def test_rule_documentation(tmp_path):
    for code in ("HL301", "HL302", "HL303"):
        proc = run_cli("rule", code, cwd=tmp_path)
        assert proc.returncode == 0
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
            assert section in proc.stdout
