"""Robustness (issue 8): an invalid notebook gives one clear finding, is never written, and the run
goes on with the other files."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from hyperlint.testing import make_linter

TRAIN = "import torch\noptimizer = torch.optim.SGD([], lr=0.1)\n"


def _valid() -> dict:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(TRAIN)]
    return json.loads(nbformat.writes(notebook))


def _with(**changes) -> bytes:
    data = _valid()
    data.update(changes)
    return json.dumps(data).encode()


def _cell(**changes) -> bytes:
    data = _valid()
    data["cells"][0].update(changes)
    return json.dumps(data).encode()


INVALID = {
    "truncated": json.dumps(_valid()).encode()[:-20],
    "empty": b"",
    "not_json": b"import torch\n",
    "a_list": b"[1, 2, 3]",
    "a_string": b'"notebook"',
    "no_cells": json.dumps({"metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode(),
    "cells_not_a_list": _with(cells={"0": "x"}),
    "cell_not_an_object": _with(cells=["x = 1"]),
    "source_a_number": _cell(source=42),
    "source_list_of_numbers": _cell(source=[1, 2]),
    "nul_bytes": b"\x00" * 16,
    "latin1": '{"cells": [], "metadata": {"title": "caf\xe9"}}'.encode("latin-1"),
    "deep_json": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_notebook_is_one_hl001(name):
    result = make_linter().lint_bytes(INVALID[name], f"{name}.ipynb", Path(f"{name}.ipynb"))
    assert [f.code for f in result.findings] == ["HL001"], [(f.code, f.message) for f in result.findings]
    assert result.findings[0].message


def test_invalid_notebooks_are_reported_never_written_and_the_run_goes_on(tmp_path):
    for name, data in INVALID.items():
        (tmp_path / f"{name}.ipynb").write_bytes(data)
    (tmp_path / "zz_good.ipynb").write_bytes(json.dumps(_valid()).encode())
    (tmp_path / "zz_train.py").write_text(TRAIN)
    run = subprocess.run(
        [sys.executable, "-m", "hyperlint", "check", "--fix", "--no-cache",
         "--output-format", "json", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    findings = json.loads(run.stdout)
    by_file: dict[str, list[str]] = {}
    for finding in findings:
        by_file.setdefault(Path(finding["filename"]).name, []).append(finding["code"])
    for name in INVALID:
        assert by_file.get(f"{name}.ipynb") == ["HL001"], (name, by_file.get(f"{name}.ipynb"))
        assert (tmp_path / f"{name}.ipynb").read_bytes() == INVALID[name]  # never written
    assert "zz_train.py" in by_file  # the run went on to the end
    nbformat.validate(nbformat.read(str(tmp_path / "zz_good.ipynb"), as_version=4))


def test_a_notebook_with_a_broken_cell_reports_the_cell_and_checks_the_others():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("def f(:\n    pass"),
        nbformat.v4.new_code_cell("%time x = 1\n!ls\n" + TRAIN),
    ]
    data = nbformat.writes(notebook).encode()
    result = make_linter().lint_bytes(data, "nb.ipynb", Path("nb.ipynb"))
    codes = [(f.code, f.cell) for f in result.findings]
    assert ("HL001", 2) in codes
