"""`hyperlint check --fix / --unsafe-fixes / --diff / --show-fixes / --exit-non-zero-on-fix`, run
as a subprocess on real files: the before/after source of every automatic HL2 fix, idempotence,
diff output that writes nothing, kept permissions, and files that are never written."""
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hyperlint", "check", "--select", "HL2", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def write(tmp_path: Path, code: str, name: str = "train.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code).lstrip("\n"), encoding="utf-8")
    return path


def fixed(tmp_path: Path, before: str, *flags: str) -> str:
    path = write(tmp_path, before)
    result = run(tmp_path, "--fix", *flags, path.name)
    assert result.returncode in (0, 1), result.stderr
    return path.read_text(encoding="utf-8")


# --- every automatic fix, before and after --------------------------------------------------


@pytest.mark.parametrize("header,before,after", [
    ("import torch.nn as nn", "model.weight.data.normal_(0, 0.01)", "nn.init.normal_(model.weight, 0, 0.01)"),
    ("from torch import nn", "model.weight.data.normal_(mean=0.0, std=0.02)",
     "nn.init.normal_(model.weight, mean=0.0, std=0.02)"),
    ("import torch", "model.weight.data.uniform_(-0.1, 0.1)", "torch.nn.init.uniform_(model.weight, -0.1, 0.1)"),
    ("from torch.nn import init", "model.bias.data.zero_()", "init.zeros_(model.bias)"),
    ("import torch.nn as nn", "model.bias.data.fill_(0.5)", "nn.init.constant_(model.bias, 0.5)"),
    ("import torch.nn as nn", "model.bias.data.fill_(value=1)", "nn.init.constant_(model.bias, val=1)"),
])
def test_data_initialisation_becomes_torch_nn_init(tmp_path, header, before, after):
    source = f"{header}\nmodel = build()\n{before}\n"
    assert fixed(tmp_path, source) == f"{header}\nmodel = build()\n{after}\n"


def test_init_fix_inside_training_needs_unsafe_fixes(tmp_path):
    before = """
    import torch.nn as nn
    for epoch in range(epochs):
        for x, y in loader:
            loss(x, y).backward()
            optimizer.step()
        if epoch % reset_every == 0:
            model.head.bias.data.zero_()
    """
    source = textwrap.dedent(before).lstrip("\n")
    assert fixed(tmp_path, before) == source
    assert fixed(tmp_path, before, "--unsafe-fixes") == source.replace(
        "model.head.bias.data.zero_()", "nn.init.zeros_(model.head.bias)")


def test_no_init_fix_without_an_import_to_spell_it(tmp_path):
    source = "model = build()\nmodel.weight.data.normal_(0, 0.01)\n"
    assert fixed(tmp_path, source) == source
    assert fixed(tmp_path, source, "--unsafe-fixes") == source


def test_no_init_fix_when_the_alias_is_shadowed(tmp_path):
    source = textwrap.dedent("""
        import torch.nn as nn
        def setup(nn, model):
            model.weight.data.normal_(0, 0.01)
    """).lstrip()
    assert fixed(tmp_path, source) == source


def test_unsafe_fix_wraps_the_write_in_no_grad(tmp_path):
    before = """
    import torch
    for x, _ in loader:
        critic_loss(x).backward()
        opt.step()
        for p in critic.parameters():
            p.data.clamp_(-0.01, 0.01)
    """
    after = """
    import torch
    for x, _ in loader:
        critic_loss(x).backward()
        opt.step()
        for p in critic.parameters():
            with torch.no_grad():
                p.clamp_(-0.01, 0.01)
    """
    assert fixed(tmp_path, before) == textwrap.dedent(before).lstrip("\n")  # unsafe: not without the flag
    assert fixed(tmp_path, before, "--unsafe-fixes") == textwrap.dedent(after).lstrip("\n")


def test_unsafe_fix_inside_no_grad_only_drops_data(tmp_path):
    before = """
    import torch
    @torch.no_grad()
    def momentum_step(model, velocity):
        for p, v in zip(model.parameters(), velocity):
            p.data.add_(v)
    for x, y in loader:
        loss(x, y).backward()
        momentum_step(model, velocity)
    """
    after = before.replace("p.data.add_(v)", "p.add_(v)")
    assert fixed(tmp_path, before, "--unsafe-fixes") == textwrap.dedent(after).lstrip("\n")


def test_unsafe_fix_turns_data_assignment_into_copy(tmp_path):
    before = """
    import torch
    for epoch in range(epochs):
        for x, y in loader:
            loss(x, y).backward()
            optimizer.step()
        w = model.emb.weight
        w.data = w.data / w.data.norm(dim=1, keepdim=True)
    """
    after = """
    import torch
    for epoch in range(epochs):
        for x, y in loader:
            loss(x, y).backward()
            optimizer.step()
        w = model.emb.weight
        with torch.no_grad():
            w.copy_(w.data / w.data.norm(dim=1, keepdim=True))
    """
    assert fixed(tmp_path, before, "--unsafe-fixes") == textwrap.dedent(after).lstrip("\n")


def test_tab_indented_file_keeps_its_indentation(tmp_path):
    before = "import torch\nfor x in loader:\n\tloss(x).backward()\n\topt.step()\n\tfor p in net.parameters():\n" \
             "\t\tp.data.clamp_(-1, 1)\n"
    after = "import torch\nfor x in loader:\n\tloss(x).backward()\n\topt.step()\n\tfor p in net.parameters():\n" \
            "\t\twith torch.no_grad():\n\t\t\tp.clamp_(-1, 1)\n"
    path = tmp_path / "train.py"
    path.write_text(before)
    run(tmp_path, "--fix", "--unsafe-fixes", "train.py")
    assert path.read_text() == after


# --- idempotence, diff, show-fixes, exit codes ------------------------------------------------

FIXABLE = """
import torch
import torch.nn as nn

model = nn.Linear(10, 2)
model.weight.data.normal_(0, 0.01)
model.bias.data.zero_()

for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    for p in model.parameters():
        p.data.clamp_(-0.01, 0.01)
"""


def test_second_run_changes_nothing(tmp_path):
    path = write(tmp_path, FIXABLE)
    first = run(tmp_path, "--fix", "--unsafe-fixes", "train.py")
    after_first = path.read_bytes()
    second = run(tmp_path, "--fix", "--unsafe-fixes", "--show-fixes", "train.py")
    assert path.read_bytes() == after_first
    assert "(3 fixed, 1 remaining)" in first.stdout
    assert "Fixed" not in second.stdout and "fixed" not in second.stdout
    diff = run(tmp_path, "--diff", "--unsafe-fixes", "train.py")
    assert diff.stdout == "" and diff.returncode == 0


def test_diff_prints_the_change_and_writes_nothing(tmp_path):
    path = write(tmp_path, FIXABLE)
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    result = run(tmp_path, "--diff", "train.py")
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert result.returncode == 1
    assert result.stdout.startswith("--- a/train.py\n+++ b/train.py\n")
    lines = result.stdout.splitlines()
    for line in ("-model.weight.data.normal_(0, 0.01)", "+nn.init.normal_(model.weight, 0, 0.01)",
                 "-model.bias.data.zero_()", "+nn.init.zeros_(model.bias)"):
        assert line in lines
    assert "clamp_" not in result.stdout  # the unsafe fix needs --unsafe-fixes
    assert "Would fix 2 errors." in result.stderr
    unsafe = run(tmp_path, "--diff", "--unsafe-fixes", "train.py")
    assert "+        with torch.no_grad():\n+            p.clamp_(-0.01, 0.01)\n" in unsafe.stdout
    assert path.read_bytes() == before


def test_show_fixes_lists_what_was_fixed(tmp_path):
    write(tmp_path, FIXABLE)
    result = run(tmp_path, "--fix", "--show-fixes", "train.py")
    assert "Fixed 2 errors:" in result.stdout
    assert "train.py" in result.stdout and "2 × HL201 (parameter-write-through-data)" in result.stdout
    assert "(2 fixed, 1 remaining)" in result.stdout


def test_exit_code_while_violations_remain_and_with_exit_non_zero_on_fix(tmp_path):
    write(tmp_path, FIXABLE)
    assert run(tmp_path, "--fix", "train.py").returncode == 1  # the clamp_ finding remains
    clean = write(tmp_path, "import torch.nn as nn\nmodel = nn.Linear(2, 2)\nmodel.bias.data.zero_()\n", "setup.py")
    result = run(tmp_path, "--fix", "setup.py")
    assert result.returncode == 0 and clean.read_text().endswith("nn.init.zeros_(model.bias)\n")
    write(tmp_path, "import torch.nn as nn\nmodel = nn.Linear(2, 2)\nmodel.bias.data.zero_()\n", "setup.py")
    assert run(tmp_path, "--fix", "--exit-non-zero-on-fix", "setup.py").returncode == 1
    assert run(tmp_path, "--fix", "--exit-non-zero-on-fix", "setup.py").returncode == 0  # nothing left to fix


# --- what is never written -------------------------------------------------------------------


def test_permissions_are_kept(tmp_path):
    path = write(tmp_path, FIXABLE)
    os.chmod(path, 0o640)
    run(tmp_path, "--fix", "--unsafe-fixes", "train.py")
    assert "nn.init.normal_" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".hyperlint-tmp")]  # no temporary file left


def test_file_with_a_syntax_error_is_never_written(tmp_path):
    source = FIXABLE + "\ndef broken(:\n    pass\n"
    path = write(tmp_path, source)
    before = path.read_bytes()
    result = run(tmp_path, "--fix", "--unsafe-fixes", "train.py")
    assert path.read_bytes() == before
    assert result.returncode == 1 and "HL001" in result.stdout
    diff = run(tmp_path, "--diff", "--unsafe-fixes", "train.py")
    assert diff.stdout == "" and path.read_bytes() == before


def test_encoding_and_line_endings_survive_a_fix(tmp_path):
    source = "# -*- coding: latin-1 -*-\nimport torch.nn as nn\n# poids: \xe9\r\nm = nn.Linear(2, 2)\r\n" \
             "m.weight.data.normal_(0, 0.1)\r\n"
    path = tmp_path / "train.py"
    path.write_bytes(source.encode("latin-1"))
    run(tmp_path, "--fix", "train.py")
    assert path.read_bytes() == source.replace("m.weight.data.normal_(0, 0.1)", "nn.init.normal_(m.weight, 0, 0.1)")\
        .encode("latin-1")


def test_unsafe_fix_inside_a_match_case_keeps_the_statement_in_place(tmp_path):
    before = """
    import torch
    def train(model, mode):
        match mode:
            case "clip":
                for p in model.parameters():
                    p.data.clamp_(-1, 1)
    """
    after = before.replace("p.data.clamp_(-1, 1)", "with torch.no_grad():\n" + " " * 24 + "p.clamp_(-1, 1)")
    assert fixed(tmp_path, before, "--unsafe-fixes") == textwrap.dedent(after).lstrip("\n")
