"""Shared helpers for the tests of parallel runs, the cache and the progress bar (test_perf_*)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TRAIN = """\
import torch
from torch import optim


def train_{n}(model, loader, args):
    optimizer = optim.SGD(model.parameters(), lr=0.0{n}1, momentum=0.9)
    for epoch in range(args.epochs):
        for x, y in loader:
            loss = model(x).sub(y).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model
"""
FILLER = """

def helper_{n}_{i}(values, scale=2):
    total = 0
    for index, value in enumerate(values):
        if index % 3 == 0:
            total += value * scale
        else:
            total -= value // scale
    return {{"total": total, "count": len(values), "name": "helper_{n}_{i}"}}
"""


def write_project(root: Path, files: int = 14, filler: int = 70) -> Path:
    """A folder of ``files`` modules (about 25 KB each with the default filler) with findings,
    one unused noqa comment and one file with a syntax error."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.hyperlint]\n")
    for n in range(files):
        text = TRAIN.format(n=n + 1) + "".join(FILLER.format(n=n, i=i) for i in range(filler))
        if n == 0:
            text += "\nvalue = 3  # noqa: HL101\n"
        (root / f"train_{n:02d}.py").write_text(text)
    (root / "broken.py").write_text("def broken(:\n    pass\n")
    return root


def run(*args: str, cwd: Path, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    environment = dict(os.environ)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "hyperlint", *args], cwd=cwd, capture_output=True, text=True,
        env=environment, timeout=600, **kwargs,
    )


def findings_json(*args: str, cwd: Path, env: dict | None = None) -> list[dict]:
    result = run("check", ".", "--output-format", "json", *args, cwd=cwd, env=env)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def cache_entries(root: Path) -> list[Path]:
    return sorted((root / ".hyperlint_cache").rglob("*.json"))
