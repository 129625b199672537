"""The README's "CI and pre-commit" snippets that do not need pre-commit or the action (those are
run in test_precommit.py and test_ci_action.py): the GitLab CI job's script and the adoption
commands, run with bash exactly as written."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from ci_support import CLEAN, VIOLATION, code_blocks, readme_section

SECTION = readme_section("CI and pre-commit")


def bash(command: str, cwd: Path) -> subprocess.CompletedProcess:
    # `hyperlint` is the console script installed beside this Python, as it is in CI
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def gitlab_job() -> dict:
    blocks = [b for b in code_blocks(SECTION, "yaml") if "codequality" in b]
    assert len(blocks) == 1
    (job,) = yaml.safe_load(blocks[0]).values()
    return job


def test_readme_names_every_ci_format_and_adoption_option():
    for word in ("`--output-format github`", "`sarif`", "`junit`", "`gitlab`", "`json-lines`", "--write-baseline", "--baseline",
                 "--add-noqa", "hyperlint-fix", "action.yml"):
        assert word in SECTION, word


def test_gitlab_snippet_script_writes_the_code_quality_report(tmp_path):
    job = gitlab_job()
    report = job["artifacts"]["reports"]["codequality"]
    assert job["artifacts"]["when"] == "always", "the report must be uploaded when the job fails"
    assert all(line.startswith("pip install") and "hyperlint" in line for line in job["before_script"])
    script = "\n".join(job["script"])

    violating = tmp_path / "violating"
    violating.mkdir()
    (violating / "train.py").write_text(VIOLATION)
    result = bash(script, violating)
    assert result.returncode == 1, result.stderr  # the job fails on findings ...
    issues = json.loads((violating / report).read_text())  # ... and the report is there for GitLab
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("HL101", "train.py", 4)]
    assert issues[0]["fingerprint"] and issues[0]["severity"] == "major"

    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "train.py").write_text(CLEAN)
    result = bash(script, clean)
    assert result.returncode == 0, result.stderr
    assert json.loads((clean / report).read_text()) == []


def test_adoption_snippet_commands(tmp_path):
    (block,) = [b for b in code_blocks(SECTION, "bash") if "--write-baseline" in b]
    write, baseline, add_noqa = [line for line in block.splitlines() if line.strip()]
    (tmp_path / "train.py").write_text(VIOLATION)

    assert bash(write, tmp_path).returncode == 0
    assert bash(baseline, tmp_path).returncode == 0  # nothing new yet
    (tmp_path / "new.py").write_text(VIOLATION)
    result = bash(baseline, tmp_path)
    assert result.returncode == 1 and "new.py:4:52: HL101" in result.stdout and "train.py" not in result.stdout

    result = bash(add_noqa, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "# noqa: HL101" in (tmp_path / "new.py").read_text()
    assert bash("hyperlint check", tmp_path).returncode == 0
