"""`hyperlint extract-config` and `hyperlint check --fix --unsafe-fixes`, run as subprocesses."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent('''\
    import argparse

    import torch


    def make_scheduler(opt):
        return torch.optim.lr_scheduler.StepLR(opt, step_size=30)


    def main():
        parser = argparse.ArgumentParser()
        parser.add_argument("--seed", type=int, default=0)
        args = parser.parse_args()
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)  # noqa: HL301
        for epoch in range(90):
            loss = model(x)
            loss.backward()
            opt.step()
''')


def run(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERLINT")}
    return subprocess.run([sys.executable, "-m", "hyperlint", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "train.py").write_text(SCRIPT)
    return tmp_path


def test_diff_previews_and_writes_nothing(project):
    result = run("extract-config", "--diff", "train.py", cwd=project)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("--- a/train.py\n+++ b/train.py\n")
    assert '+    parser.add_argument("--lr", type=float, default=0.1, help="lr of torch.optim.SGD")' in result.stdout
    assert "train.py: would move 3 hard-coded values into the configuration (epochs, lr, momentum)" in result.stderr
    assert "HL101 not moved: the parsed arguments are not visible in `make_scheduler()`" in result.stderr
    assert (project / "train.py").read_text() == SCRIPT


def test_extract_config_moves_only_hl1_and_a_second_run_does_nothing(project):
    result = run("extract-config", "train.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "train.py: moved 3 hard-coded values into the configuration (epochs, lr, momentum)" in result.stdout
    assert "train.py:7:59: HL101 not moved:" in result.stdout
    assert result.stderr == "Moved 3 hard-coded values in 1 file; 1 left in place.\n"
    text = (project / "train.py").read_text()
    assert "lr=args.lr, momentum=args.momentum)  # noqa: HL301" in text  # the unused noqa (HL002) is not its business
    assert "for epoch in range(args.epochs):" in text
    again = run("extract-config", "train.py", cwd=project)
    assert again.returncode == 0 and again.stderr.startswith("Moved 0 hard-coded values in 0 files")
    assert (project / "train.py").read_text() == text
    assert run("extract-config", "--diff", "train.py", cwd=project).returncode == 0


def test_check_fix_needs_unsafe_fixes_and_then_matches_extract_config(project, tmp_path):
    plain = run("check", "--fix", "--select", "HL1", "train.py", cwd=project)
    assert (project / "train.py").read_text() == SCRIPT
    assert "hidden fixes can be enabled with the `--unsafe-fixes` option" in plain.stdout
    unsafe = run("check", "--fix", "--unsafe-fixes", "--select", "HL1", "train.py", cwd=project)
    assert "(3 fixed, 1 remaining)" in unsafe.stdout, unsafe.stdout
    assert "Not moved automatically: the parsed arguments are not visible in `make_scheduler()`" in unsafe.stdout
    other = tmp_path / "other"
    other.mkdir()
    (other / "train.py").write_text(SCRIPT)
    run("extract-config", "train.py", cwd=other)
    assert (project / "train.py").read_text() == (other / "train.py").read_text()


def test_json_output_carries_the_unsafe_fix(project):
    result = run("check", "--select", "HL1", "--output-format", "json", "train.py", cwd=project)
    findings = json.loads(result.stdout)
    lr = next(f for f in findings if "`lr`" in f["message"])
    assert lr["fix"]["applicability"] == "unsafe" and lr["fix"]["edits"]
    assert any(e["content"] == "args.lr" for e in lr["fix"]["edits"])
    skipped = next(f for f in findings if "StepLR" in f["message"])
    assert skipped["fix"]["applicability"] == "display-only" and not skipped["fix"]["edits"]


def test_notebook_fix_writes_the_shared_config_once(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import torch\nfrom sklearn.svm import SVC"),
        nbformat.v4.new_markdown_cell("# Train"),
        nbformat.v4.new_code_cell("clf = SVC(C=10.0, kernel='rbf')\nopt = torch.optim.SGD(p, lr=0.1)"),
        nbformat.v4.new_code_cell("for epoch in range(5):\n    loss.backward()\n    opt.step()"),
    ]
    nbformat.write(notebook, tmp_path / "train.ipynb")
    result = run("check", "--select", "HL1", "--fix", "--unsafe-fixes", "train.ipynb", cwd=tmp_path)
    assert "(4 fixed, 0 remaining)" in result.stdout, result.stdout + result.stderr
    cells = [c.source for c in nbformat.read(tmp_path / "train.ipynb", 4).cells]
    program = "\n".join(cells)
    assert program.count("class TrainConfig:") == 1 and program.count("config = TrainConfig()") == 1
    assert "range(config.epochs)" in cells[3] and "lr=config.lr" in cells[2]
