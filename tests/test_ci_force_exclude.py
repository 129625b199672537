"""``--force-exclude``: what the pre-commit hooks use so that excluded files stay excluded when
pre-commit names them on the command line."""
from __future__ import annotations

import json
from pathlib import Path

from ci_support import VIOLATION, run_hyperlint


def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.hyperlint]\nextend-exclude = ["legacy/", "generated_*.py"]\n')
    for name in ("train.py", "legacy/old/train.py", "generated_model.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(VIOLATION)
    return tmp_path


def test_named_files_are_linted_unless_force_exclude(tmp_path):
    folder = project(tmp_path)
    names = ["train.py", "legacy/old/train.py", "generated_model.py"]
    plain = run_hyperlint("check", "--output-format", "json", *names, cwd=folder)
    assert len(json.loads(plain.stdout)) == 3  # named explicitly: linted, as Ruff does
    forced = run_hyperlint("check", "--output-format", "json", "--force-exclude", *names, cwd=folder)
    assert [Path(f["filename"]).relative_to(folder.resolve()).as_posix() for f in json.loads(forced.stdout)] == [
        "train.py"]


def test_force_exclude_with_only_excluded_files_lints_nothing(tmp_path):
    folder = project(tmp_path)
    result = run_hyperlint("check", "--force-exclude", "legacy/old/train.py", cwd=folder)
    assert result.returncode == 0 and "All checks passed!" in result.stdout
