"""The HL1 fix on real scripts: every dev-set file (../shared/eval/dev/files, copied to a temp
dir) and every script under examples/. The fixed file parses and compiles, re-linting finds no
HL1 finding the fix claimed to remove, and a second run changes nothing."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import libcst as cst
import pytest

from hyperlint.finding import Applicability
from hyperlint.fixes import fix_text
from hyperlint.testing import make_linter

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "eval" / "dev" / "files"
EXAMPLES = REPO / "examples"
MISSING = "missing"


def _corpus() -> list:
    files: list = []
    if DEV.is_dir():
        files += [pytest.param(p, id=f"dev/{p.relative_to(DEV)}") for p in sorted(DEV.rglob("*.py"))]
    elif os.environ.get("CI") == "true":
        files.append(pytest.param(MISSING, id="dev-set-missing"))
    if EXAMPLES.is_dir():
        files += [pytest.param(p, id=f"examples/{p.relative_to(EXAMPLES)}") for p in sorted(EXAMPLES.rglob("*.py"))]
    return files


def _hl1(findings):
    return [f for f in findings if f.code.startswith("HL1")]


@pytest.mark.parametrize("original", _corpus())
def test_fix_parses_removes_what_it_claims_and_is_stable(original, tmp_path):
    if original == MISSING:
        pytest.fail(f"CI=true but the dev set is missing: expected {DEV} (shared/ beside the repository)")
    root = DEV if str(original).startswith(str(DEV)) else EXAMPLES
    path = tmp_path / original.relative_to(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(original, path)
    text = path.read_text(encoding="utf-8")
    linter = make_linter(["HL1"])

    def lint(source: str):
        return linter.lint_text(source, str(path), path).findings

    before = _hl1(lint(text))
    claimed = [f for f in before if f.fix is not None and f.fix.applicability is Applicability.UNSAFE and f.fix.edits]
    unclaimed = Counter(f.message for f in before if f not in claimed)
    for finding in before:
        assert finding.fix is not None and finding.fix.message, finding
        if finding not in claimed:
            assert "Not moved automatically:" in finding.fix.message, finding.fix.message

    outcome = fix_text(text, lint, unsafe=True)
    assert outcome.error is None, outcome.error
    assert sum(outcome.fixed.values()) == len(claimed)
    cst.parse_module(outcome.text)
    compile(outcome.text, str(path), "exec")
    after = Counter(f.message for f in _hl1(lint(outcome.text)))
    assert not (after - unclaimed), f"claimed fixes left findings behind: {after - unclaimed}"

    again = fix_text(outcome.text, lint, unsafe=True)
    assert not again.changed and again.text == outcome.text

    assert fix_text(text, lint, unsafe=False).text == text  # plain --fix never moves a value


def test_extract_config_over_the_dev_set_twice(tmp_path):
    if not DEV.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the dev set is missing: expected {DEV}")
        pytest.skip("the dev set (../shared/eval/dev) is not beside the repository")
    copy = tmp_path / "dev"
    shutil.copytree(DEV, copy)
    command = [sys.executable, "-m", "hyperlint", "extract-config", "."]
    first = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "Moved " in first.stderr and " in 0 files" not in first.stderr
    assert "not moved:" in first.stdout  # the ones it cannot move are listed with the reason
    second = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert second.stderr.startswith("Moved 0 hard-coded values in 0 files")
