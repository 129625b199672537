"""``--write-baseline`` / ``--baseline``: round trips through the real CLI, with the file edited
in between (lines inserted above findings, findings added, edited and duplicated)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_support import VIOLATION, run_hyperlint

LOOP = (
    "for epoch in range(10):\n"
    "    loss = model(x).sum()\n"
    "    loss.backward()\n"
    "    optimizer.step()\n"
)
LEGACY = VIOLATION + LOOP


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'legacy'\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(LEGACY)
    (tmp_path / "src" / "other.py").write_text(VIOLATION)
    return tmp_path


def codes_and_rows(result) -> list[tuple[str, str, int]]:
    return [(Path(f["filename"]).name, f["code"], f["location"]["row"]) for f in json.loads(result.stdout)]


def test_round_trip_after_inserting_lines_and_adding_a_violation(project):
    written = run_hyperlint("check", "--write-baseline", "baseline.json", cwd=project)
    assert written.returncode == 0, written.stderr
    assert "Wrote 3 findings" in written.stderr
    data = json.loads((project / "baseline.json").read_text())
    assert sorted((e["path"], e["code"]) for e in data["findings"]) == [
        ("src/other.py", "HL101"), ("src/train.py", "HL101"), ("src/train.py", "HL103")]
    assert all("row" not in e and "line" not in e for e in data["findings"])

    assert run_hyperlint("check", cwd=project).returncode == 1
    quiet = run_hyperlint("check", "--baseline", "baseline.json", cwd=project)
    assert quiet.returncode == 0, quiet.stdout
    assert "All checks passed!" in quiet.stdout and "3 findings in the baseline not shown" in quiet.stderr

    # lines added above every finding, indentation of nothing else changed: still all matched
    train = project / "src" / "train.py"
    train.write_text('"""Legacy training script."""\nimport os\nimport sys\n\nSEED = 0\n' + LEGACY)
    moved = run_hyperlint("check", "--baseline", "baseline.json", "--output-format", "json", cwd=project)
    assert moved.returncode == 0 and json.loads(moved.stdout) == []

    # a new violation is reported, and only it
    train.write_text(train.read_text() + "scheduler_optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)\n")
    new = run_hyperlint("check", "--baseline", "baseline.json", "--output-format", "json", cwd=project)
    assert new.returncode == 1
    assert codes_and_rows(new) == [("train.py", "HL101", 14)]


def test_duplicated_line_is_one_new_finding(project):
    assert run_hyperlint("check", "--write-baseline", "baseline.json", cwd=project).returncode == 0
    other = project / "src" / "other.py"
    other.write_text(VIOLATION + "optimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n")
    result = run_hyperlint("check", "--baseline", "baseline.json", "--output-format", "json", cwd=project)
    assert result.returncode == 1
    assert [code for _, code, _ in codes_and_rows(result)] == ["HL101"]


def test_edited_finding_is_new(project):
    assert run_hyperlint("check", "--write-baseline", "baseline.json", cwd=project).returncode == 0
    other = project / "src" / "other.py"
    other.write_text(VIOLATION.replace("lr=0.01", "lr=0.1"))
    result = run_hyperlint("check", "--baseline", "baseline.json", "--output-format", "json", cwd=project)
    assert codes_and_rows(result) == [("other.py", "HL101", 4)]


def test_paths_are_relative_to_the_baseline_file(project):
    (project / "ci").mkdir()
    assert run_hyperlint("check", "--write-baseline", "ci/baseline.json", "src", cwd=project).returncode == 0
    paths = {e["path"] for e in json.loads((project / "ci" / "baseline.json").read_text())["findings"]}
    assert paths == {"../src/train.py", "../src/other.py"}
    # run from another folder: the same findings still match
    result = run_hyperlint("check", "--baseline", "../ci/baseline.json", ".", cwd=project / "src")
    assert result.returncode == 0, result.stdout


def test_baseline_works_with_other_formats_and_statistics(project):
    assert run_hyperlint("check", "--write-baseline", "baseline.json", cwd=project).returncode == 0
    (project / "src" / "new.py").write_text(VIOLATION)
    sarif = json.loads(run_hyperlint("check", "--baseline", "baseline.json", "--output-format", "sarif",
                                     cwd=project).stdout)
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]] == [
        "src/new.py"]
    stats = run_hyperlint("check", "--baseline", "baseline.json", "--statistics", cwd=project)
    assert stats.stdout.split()[:2] == ["1", "HL101"]


@pytest.mark.parametrize("content, message", [
    (None, "cannot read baseline"),
    ("{not json", "not valid JSON"),
    ('{"findings": []}', "is not a hyperlint baseline"),
])
def test_bad_baseline_is_a_clear_error(project, content, message):
    if content is not None:
        (project / "baseline.json").write_text(content)
    result = run_hyperlint("check", "--baseline", "baseline.json", cwd=project)
    assert result.returncode == 2
    assert message in result.stderr
