"""`hyperlint check` on notebooks, run as a subprocess: formats, exit codes, --fix, --diff."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hyperlint.registry import rule_by_code

SGD_LITERAL = "opt = torch.optim.SGD(model.parameters(), lr=0.01)"


def run(*args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERLINT")}
    return subprocess.run([sys.executable, "-m", "hyperlint", "check", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return tmp_path


def write_notebook(path: Path, *cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell in cells:
        nb.cells.append(new_markdown_cell(cell[1]) if isinstance(cell, tuple) else
                        cell if isinstance(cell, nbformat.NotebookNode) else new_code_cell(cell))
    nbformat.write(nb, path)
    return nb


def test_text_output_names_the_cell(project):
    write_notebook(project / "explore.ipynb", ("md", "# Explore"), "!pip install torch\nimport torch\n%matplotlib inline",
                   ("md", "## Train"), "model = torch.nn.Linear(2, 2)\n" + SGD_LITERAL)
    result = run("explore.ipynb", cwd=project)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("explore.ipynb:cell 4:2:46: HL101 ")
    assert "2 | " + SGD_LITERAL in result.stdout  # the code frame shows the cell's lines
    assert "HL001" not in result.stdout
    concise = run("--output-format", "concise", "explore.ipynb", cwd=project)
    assert concise.stdout.splitlines()[0] == (
        "explore.ipynb:cell 4:2:46: HL101 Hard-coded hyperparameter: `lr` of `torch.optim.SGD` is `0.01`")


def test_json_output_carries_cell_and_cell_relative_rows(project):
    write_notebook(project / "nb.ipynb", ("md", "a"), "import torch\nLR = 0.01", ("md", "b"), ("md", "c"),
                   "model = torch.nn.Linear(2, 2)", "opt = torch.optim.SGD(model.parameters(), lr=LR)",
                   "x = 1  # noqa: HL101")
    result = run("--output-format", "json", ".", cwd=project)
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    assert [(f["code"], f["cell"], f["location"], f["end_location"], f["noqa_row"]) for f in found] == [
        ("HL102", 2, {"column": 1, "row": 2}, {"column": 10, "row": 2}, 2),
        ("HL002", 7, {"column": 8, "row": 1}, {"column": 21, "row": 1}, 1),
    ]
    assert found[0]["filename"] == str(project / "nb.ipynb")
    assert found[1]["fix"]["edits"] == [
        {"content": "", "end_location": {"column": 21, "row": 1}, "location": {"column": 6, "row": 1}}]


def test_fix_writes_the_cell_and_keeps_everything_else(project):
    path = project / "nb.ipynb"
    trained = new_code_cell("import torch\n" + SGD_LITERAL + "  # noqa: HL101, HL103", execution_count=2,
                            outputs=[new_output("execute_result", {"text/plain": "SGD (...)"}, execution_count=2)])
    nb = write_notebook(path, ("md", "# T"), trained, "%%capture\n!ls")
    before = path.read_text(encoding="utf-8")
    diff = run("--diff", "nb.ipynb", cwd=project)
    assert diff.returncode == 1
    assert "--- a/nb.ipynb:cell 2\n+++ b/nb.ipynb:cell 2\n" in diff.stdout
    assert "+" + SGD_LITERAL + "  # noqa: HL101" in diff.stdout
    assert path.read_text(encoding="utf-8") == before
    fixed = run("--fix", "nb.ipynb", cwd=project)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "1 fixed, 0 remaining" in fixed.stdout
    after = nbformat.read(path, as_version=4)
    nbformat.validate(after)
    assert after.cells[1].source == "import torch\n" + SGD_LITERAL + "  # noqa: HL101"
    assert after.cells[1].outputs == nb.cells[1].outputs and after.cells[1].execution_count == 2
    assert [c.source for c in after.cells if c is not after.cells[1]] == ["# T", "%%capture\n!ls"]
    changed = [line for line in path.read_text(encoding="utf-8").splitlines() if line not in before.splitlines()]
    assert len(changed) == 1
    again = run("--fix", "nb.ipynb", cwd=project)
    assert again.returncode == 0 and "All checks passed!" in again.stdout


def test_invalid_notebook_is_one_finding_and_is_not_written(project):
    path = project / "broken.ipynb"
    path.write_text('{"cells": [{"cell_type": "code", "source": "x = 1  # noqa: HL101"', encoding="utf-8")
    before = path.read_bytes()
    result = run("--fix", "--output-format", "json", "broken.ipynb", cwd=project)
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)
    assert finding["code"] == "HL001" and finding["cell"] is None
    assert finding["message"].startswith("invalid notebook: not valid JSON")
    assert path.read_bytes() == before


def test_notebooks_are_found_in_folders_next_to_python_files(project):
    (project / "notebooks").mkdir()
    write_notebook(project / "notebooks" / "a.ipynb", "import torch", SGD_LITERAL)
    (project / "train.py").write_text("import torch\n" + SGD_LITERAL + "\n")
    (project / ".gitignore").write_text("ignored.ipynb\n")
    write_notebook(project / "ignored.ipynb", "import torch", SGD_LITERAL)
    result = run("--output-format", "concise", ".", cwd=project)
    lines = sorted(line.split(": ")[0] for line in result.stdout.splitlines() if "HL101" in line)
    assert lines == [os.path.join("notebooks", "a.ipynb") + ":cell 2:1:46", "train.py:2:46"]


@pytest.mark.skipif(rule_by_code("HL301") is None, reason="needs the HL3 rules")
def test_config_parsed_in_one_cell_and_changed_in_a_training_loop_in_another(project):
    write_notebook(
        project / "nb.ipynb",
        "import argparse\nimport torch\nparser = argparse.ArgumentParser()\n"
        "parser.add_argument('--lr', type=float, default=0.1)\nargs = parser.parse_args([])",
        ("md", "## Train"),
        "model = torch.nn.Linear(2, 2)\noptimizer = torch.optim.SGD(model.parameters(), lr=args.lr)",
        "for epoch in range(args.epochs):\n    loss = model(x).sum()\n    loss.backward()\n    optimizer.step()\n"
        "    if epoch == 5:\n        args.lr *= 0.1",
    )
    result = run("--output-format", "json", "--select", "HL3", "nb.ipynb", cwd=project)
    found = json.loads(result.stdout)
    assert [(f["code"], f["cell"], f["location"]["row"]) for f in found] == [("HL301", 4, 6)]
