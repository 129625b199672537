"""Helpers shared by the CI-integration tests (pre-commit, action, output formats, baseline)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = REPO.parent / "shared" / "reference" / "sarif-schema-2.1.0.json"

# one unmistakable HL101 finding (a literal learning rate in torch.optim.SGD)
VIOLATION = (
    "import torch\n"
    "\n"
    "model = torch.nn.Linear(2, 2)\n"
    "optimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
)
CLEAN = (
    "import argparse\n"
    "\n"
    "import torch\n"
    "\n"
    "parser = argparse.ArgumentParser()\n"
    "parser.add_argument('--lr', type=float, default=0.01)\n"
    "args = parser.parse_args()\n"
    "model = torch.nn.Linear(2, 2)\n"
    "optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)\n"
)
# HL002 (a noqa that suppresses nothing) has a safe automatic fix: the comment is removed
FIXABLE = "x = 1  # noqa: HL101\n"
FIXED = "x = 1\n"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "hyperlint tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "hyperlint tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}


def run_hyperlint(*args: str, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hyperlint", *args], cwd=cwd, capture_output=True, text=True, input=input,
        timeout=300,
    )


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd=cwd,
        capture_output=True, text=True, env={**os.environ, **GIT_ENV}, check=True,
    )
    return result.stdout.strip()


def git_repo(folder: Path, files: dict[str, str], commit: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git("init", "-q", cwd=folder)
    git("add", "-A", cwd=folder)
    if commit:
        git("commit", "-q", "-m", "files", cwd=folder)
    return folder


# what an installable copy of hyperlint needs: works from a fresh clone and includes the
# working tree's uncommitted changes (pre-commit try-repo would only see tracked ones)
PROJECT_FILES = ("pyproject.toml", "README.md", "linter", "rules", ".pre-commit-hooks.yaml", "action.yml")


def project_snapshot(dest: Path) -> str:
    """A git repository at ``dest`` holding the current hyperlint sources; returns its commit."""
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore)
        else:
            shutil.copy2(source, dest / name)
    git("init", "-q", cwd=dest)
    git("add", "-A", cwd=dest)
    git("commit", "-q", "-m", "hyperlint snapshot", cwd=dest)
    return git("rev-parse", "HEAD", cwd=dest)


def sarif_schema() -> dict:
    """The official SARIF 2.1.0 schema, from ../shared beside the repository. Missing in CI is a
    failure, not a skip: the schema check must run there."""
    if not SARIF_SCHEMA.exists():
        message = f"SARIF schema not found at {SARIF_SCHEMA}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))


def readme_section(title: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def code_blocks(section: str, language: str) -> list[str]:
    blocks, fence = [], f"```{language}\n"
    position = section.find(fence)
    while position >= 0:
        end = section.index("```", position + len(fence))
        blocks.append(section[position + len(fence) : end])
        position = section.find(fence, end + 3)
    return blocks
