"""The flake8 plugin: flake8 run as a subprocess reports what `hyperlint check` reports, at the
same lines and columns (flake8 prints the plugin's 0-based column plus one), with the same
`# noqa` behaviour and the project's [tool.hyperlint] settings."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FORMAT = "%(row)d\t%(col)d\t%(code)s\t%(text)s"

TRAIN = '''\
import torch
import torch.nn as nn

note = "é😀"; optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
x = 1  # noqa: HL101
adam = torch.optim.Adam(model.parameters(), lr=0.1)  # noqa: HL101
scheduler = torch.optim.lr_scheduler.StepLR(
    optimizer,
    step_size=30,
    gamma=0.1,
)  # noqa: HL101
if True:
\tsgd = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
label = "ünïcödé"; clip = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
'''


def flake8(path: Path, *extra: str, stdin: str | None = None) -> list[tuple[int, int, str, str]]:
    target = ["-"] if stdin is not None else [path.name]
    out = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "HL", f"--format={FORMAT}", *extra, *target],
        capture_output=True, text=True, cwd=path.parent, input=stdin,
    )
    assert out.returncode in (0, 1), out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    rows = [line.split("\t", 3) for line in out.stdout.splitlines() if line.strip()]
    return sorted((int(row), int(col), code, text) for row, col, code, text in rows)


def hyperlint(path: Path, *extra: str) -> list[tuple[int, int, str, str]]:
    out = subprocess.run(
        [sys.executable, "-m", "hyperlint", "check", "--output-format", "json", *extra, path.name],
        capture_output=True, text=True, cwd=path.parent,
    )
    assert out.returncode in (0, 1), out.stderr
    return sorted(
        (f["location"]["row"], f["location"]["column"], f["code"], f["message"]) for f in json.loads(out.stdout)
    )


@pytest.fixture
def train(tmp_path: Path) -> Path:
    path = tmp_path / "train.py"
    path.write_text(TRAIN, encoding="utf-8")
    return path


def test_same_findings_lines_and_columns_as_the_cli(train: Path):
    expected = hyperlint(train)
    codes = [code for _, _, code, _ in expected]
    # the file exercises what matters: findings after non-ASCII text and a tab, a used and an
    # unused noqa, a noqa on the last line of a multi-line statement
    assert codes.count("HL101") >= 3 and "HL002" in codes
    assert flake8(train) == expected
    row, column = next((r, c) for r, c, code, _ in expected if code == "HL101")
    assert (row, column) == (4, TRAIN.splitlines()[3].index("0.01") + 1)


def test_noqa_suppresses_exactly_what_the_cli_suppresses(train: Path):
    reported_rows = {row for row, _, code, _ in flake8(train) if code == "HL101"}
    lines = TRAIN.splitlines()
    assert 6 not in reported_rows  # `# noqa: HL101` on the reported line
    assert lines.index("    step_size=30,") + 1 not in reported_rows  # noqa on the statement's last line
    assert (5, lines[4].index("# noqa") + 1, "HL002") in {(r, c, code) for r, c, code, _ in flake8(train)}


def test_disable_noqa_reports_what_noqa_comments_suppress_like_the_cli_ignore_noqa(train: Path):
    train.write_text("# hyperlint: noqa: HL3\n" + TRAIN, encoding="utf-8")
    reported = flake8(train, "--disable-noqa")
    assert reported == hyperlint(train, "--ignore-noqa")
    rows = {row for row, _, code, _ in reported if code == "HL101"}
    assert 7 in rows  # `# noqa: HL101` on the reported line (one line down: the file-level comment)
    assert not any(code == "HL002" for _, _, code, _ in reported)  # no directive is "unused" now
    assert 7 not in {row for row, _, code, _ in flake8(train) if code == "HL101"}


def test_project_configuration_applies(train: Path):
    (train.parent / "pyproject.toml").write_text(
        '[tool.hyperlint]\nignore = ["HL002"]\nper-file-ignores = { "other.py" = ["HL1"] }\n'
    )
    other = train.parent / "other.py"
    other.write_text(TRAIN, encoding="utf-8")
    expected = hyperlint(train)
    assert expected and all(code == "HL101" for _, _, code, _ in expected)
    assert flake8(train) == expected
    assert flake8(other) == hyperlint(other) == []


def test_file_level_suppression(train: Path):
    train.write_text("# hyperlint: noqa: HL1\n" + TRAIN, encoding="utf-8")
    assert flake8(train) == hyperlint(train)
    assert {code for _, _, code, _ in flake8(train)} == {"HL002"}


def test_stdin_with_a_display_name(train: Path):
    expected = hyperlint(train)
    assert flake8(train, "--stdin-display-name", "train.py", stdin=TRAIN) == expected


def test_flake8_own_checks_coexist(train: Path):
    out = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "HL,F", "--format=%(code)s", train.name],
        capture_output=True, text=True, cwd=train.parent,
    )
    codes = set(out.stdout.split())
    assert "HL101" in codes and "F821" in codes  # pyflakes: `model` is undefined
