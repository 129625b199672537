"""The pre-commit hooks, run by the real pre-commit.

``pre-commit try-repo`` builds the hooks' environment from a git snapshot of this checkout (pip
installs hyperlint and its dependencies from PyPI) in a fresh store each time, so every run costs
a pip install: the two runs are started together and the tests then read their results.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from ci_support import (
    CLEAN, FIXABLE, FIXED, GIT_ENV, REPO, VIOLATION, code_blocks, git_repo, project_snapshot,
    readme_section,
)

pytestmark = pytest.mark.network

HOOK_IDS = ("hyperlint", "hyperlint-fix")


def notebook(source: str) -> str:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# training"), nbformat.v4.new_code_cell(source)]))


def readme_precommit_config() -> dict:
    blocks = [b for b in code_blocks(readme_section("CI and pre-commit"), "yaml") if "repos:" in b]
    assert len(blocks) == 1, "README's CI section has one .pre-commit-config.yaml snippet"
    return yaml.safe_load(blocks[0])


class PreCommitRuns:
    """Starts every pre-commit run of this module at once and waits for them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.hook_repo = tmp / "hyperlint"
        self.rev = project_snapshot(self.hook_repo)
        self.env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp / "pre-commit-home"),
                    "PRE_COMMIT_COLOR": "never"}
        self.env.pop("PRE_COMMIT", None)
        self.processes: dict[str, tuple[subprocess.Popen, Path]] = {}
        self.results: dict[str, tuple[int, str, Path]] = {}

    def start(self, name: str, files: dict[str, str], *args: str) -> None:
        folder = git_repo(self.tmp / name, files)
        process = subprocess.Popen(
            [sys.executable, "-m", "pre_commit", *args], cwd=folder, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.processes[name] = (process, folder)

    def wait(self) -> None:
        for name, (process, folder) in self.processes.items():
            output, _ = process.communicate(timeout=900)
            self.results[name] = (process.returncode, output, folder)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> PreCommitRuns:
    runs = PreCommitRuns(tmp_path_factory.mktemp("precommit"))
    hook_repo = str(runs.hook_repo)
    excluded = "[tool.hyperlint]\nextend-exclude = [\"legacy/\"]\n"
    runs.start("violating", {
        "train.py": VIOLATION, "fixme.py": FIXABLE, "analysis.ipynb": notebook(VIOLATION),
        "legacy/old_train.py": VIOLATION, "pyproject.toml": excluded,
    }, "try-repo", hook_repo, "--all-files")
    runs.start("clean", {"train.py": CLEAN, "analysis.ipynb": notebook(CLEAN)},
               "try-repo", hook_repo, "--all-files")
    runs.wait()
    return runs


def hook_status(output: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}\.+(Passed|Failed)$", output, re.M)
    assert match, f"no result line for hook {name!r} in:\n{output}"
    return match.group(1)


def test_manifest_is_valid_for_pre_commit():
    result = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == set(HOOK_IDS)
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "jupyter"]
        assert hook["require_serial"] is False
        assert hook["entry"].startswith("hyperlint check")
    assert "--fix" in hooks["hyperlint-fix"]["entry"].split()
    assert "--fix" not in hooks["hyperlint"]["entry"].split()


def test_try_repo_fails_on_violations_and_fix_hook_fixes(runs):
    code, output, folder = runs.results["violating"]
    assert code == 1, output
    assert hook_status(output, "hyperlint") == "Failed"
    assert hook_status(output, "hyperlint (apply safe fixes)") == "Failed"
    check_part, fix_part = output.split("- hook id: hyperlint-fix")
    assert "train.py:4:52: HL101" in check_part
    assert "fixme.py:1:8: HL002" in check_part
    assert re.search(r"analysis\.ipynb:cell 2:4:52: HL101", check_part), "the notebook is handed to the hook"
    assert "legacy/old_train.py" not in output, "extend-exclude holds for files pre-commit names"
    # the fix hook removed the unused noqa, reports what it cannot fix, and says it changed files
    assert "files were modified by this hook" in fix_part
    assert (folder / "fixme.py").read_text() == FIXED
    assert (folder / "train.py").read_text() == VIOLATION
    assert "train.py:4:52: HL101" in fix_part


def test_try_repo_passes_on_clean_files(runs):
    code, output, folder = runs.results["clean"]
    assert code == 0, output
    assert hook_status(output, "hyperlint") == "Passed"
    assert hook_status(output, "hyperlint (apply safe fixes)") == "Passed"
    assert (folder / "train.py").read_text() == CLEAN


def test_readme_precommit_snippet_is_what_try_repo_runs(runs, tmp_path):
    """The README's config names hooks of the manifest, and, pointed at this repository, is a
    config pre-commit accepts: the same shape try-repo generates for the runs above."""
    snippet = [b for b in code_blocks(readme_section("CI and pre-commit"), "yaml") if "repos:" in b][0]
    # the active hook and the commented alternative both exist in the manifest
    mentioned = set(re.findall(r"-\s*id:\s*([\w-]+)", snippet))
    assert mentioned == set(HOOK_IDS)
    config = readme_precommit_config()
    assert [h["id"] for h in config["repos"][0]["hooks"]] == ["hyperlint"]
    assert set(config["repos"][0]) == {"repo", "rev", "hooks"}
    config["repos"][0].update(repo=str(runs.hook_repo), rev=runs.rev)
    path = tmp_path / ".pre-commit-config.yaml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", str(path)],
                            capture_output=True, text=True, env=runs.env)
    assert result.returncode == 0, result.stdout + result.stderr
    code, output, _ = runs.results["violating"]
    assert f"rev: {runs.rev}" in output  # try-repo ran the same repository and commit
