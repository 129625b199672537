"""Robustness (issue 8): a broken configuration is a clear error (exit 2) naming the file and the
key, never a traceback and never a silently ignored setting."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TRAIN = "import torch\noptimizer = torch.optim.SGD([], lr=0.1)\n"


def check(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hyperlint", "check", *args, "train.py"],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )


CASES = [
    # (file, content, words the message must hold)
    ("pyproject.toml", '[tool.hyperlint]\nselect = ["HL1"\n', ["pyproject.toml", "invalid TOML"]),
    ("pyproject.toml", "[tool.hyperlint\nselect = 1\n", ["pyproject.toml", "invalid TOML"]),
    ("pyproject.toml", '[tool.hyperlint]\nselec = ["HL1"]\n', ["pyproject.toml", "unknown key", "`selec`"]),
    ("pyproject.toml", '[tool.hyperlint]\nselect = "HL1"\n', ["pyproject.toml", "`select`", "list of strings"]),
    ("pyproject.toml", "[tool.hyperlint]\nper-file-timeout = 0\n", ["pyproject.toml", "`per-file-timeout`"]),
    ("pyproject.toml", '[tool.hyperlint]\nper-file-timeout = "10s"\n', ["pyproject.toml", "`per-file-timeout`"]),
    ("pyproject.toml", '[tool.hyperlint]\nselect = ["HL9"]\n', ["pyproject.toml", "`select`", "HL9"]),
    ("pyproject.toml", '[tool.hyperlint]\nper-file-ignores = {"*.py" = ["XYZ"]}\n',
     ["pyproject.toml", "per-file-ignores", "XYZ"]),
    ("pyproject.toml", "[tool.hyperlint.rules.HL999]\nx = 1\n", ["pyproject.toml", "HL999"]),
    ("pyproject.toml", "[tool.hyperlint.rules.HL105]\nnot-an-option = 1\n", ["pyproject.toml", "not-an-option"]),
    ("pyproject.toml", '[tool.hyperlint]\nhyperparameter-slots = {"mylib.train" = {lr = "first"}}\n',
     ["pyproject.toml", "mylib.train", "lr"]),
    ("pyproject.toml", "[tool]\nhyperlint = 3\n", ["pyproject.toml", "table"]),
    ("hyperlint.toml", "select = [\n", ["hyperlint.toml", "invalid TOML"]),
    ("hyperlint.toml", "colour = true\n", ["hyperlint.toml", "`colour`"]),
    ("hyperlint.toml", b"select = ['\xff']\n", ["hyperlint.toml", "invalid TOML"]),
]


@pytest.mark.parametrize("name,content,words", CASES, ids=[f"{c[0]}:{i}" for i, c in enumerate(CASES)])
def test_broken_configuration_exits_2_naming_file_and_key(tmp_path, name, content, words):
    (tmp_path / "train.py").write_text(TRAIN)
    if isinstance(content, bytes):
        (tmp_path / name).write_bytes(content)
    else:
        (tmp_path / name).write_text(content)
    run = check(tmp_path)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert run.stderr.startswith("hyperlint: error: ")
    assert "Traceback" not in run.stderr
    for word in words:
        assert word in run.stderr, (word, run.stderr)
    assert run.stdout == ""  # nothing was checked with a half-read configuration


def test_explicit_config_file_that_does_not_exist(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN)
    run = check(tmp_path, "--config", "missing.toml")
    assert run.returncode == 2 and "missing.toml" in run.stderr and "Traceback" not in run.stderr


def test_unknown_selector_on_the_command_line(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN)
    run = check(tmp_path, "--select", "HL9")
    assert run.returncode == 2 and "HL9" in run.stderr


def test_a_valid_configuration_still_works(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "pyproject.toml").write_text('[tool.hyperlint]\nselect = ["HL1"]\nper-file-timeout = 30\n')
    run = check(tmp_path)
    assert run.returncode == 1 and "HL101" in run.stdout


def test_a_folder_named_like_a_test_file_pattern_is_not_a_test_folder(tmp_path):
    # `test_*.py` names test files; fnmatch's `*` also matches `/`, which made every file under a
    # folder such as test_data/ a "test file" that no rule looked at
    for folder in ("test_data", "src", "tests"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "train.py").write_text(TRAIN)
    (tmp_path / "pyproject.toml").write_text("[tool.hyperlint]\n")
    run = subprocess.run([sys.executable, "-m", "hyperlint", "check", "--no-cache", "--output-format", "concise", "."],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    flagged = sorted({line.split(":", 1)[0] for line in run.stdout.splitlines() if " HL101 " in line})
    assert flagged == ["src/train.py", "test_data/train.py"]  # tests/ is a test folder
