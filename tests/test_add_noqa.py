"""``--add-noqa``: comments written by the real CLI silence exactly today's findings, merge with
existing ones, never land inside a string, and never change the code."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat

from ci_support import VIOLATION, run_hyperlint
from hyperlint import add_noqa as add_noqa_module
from hyperlint.engine import Linter
from hyperlint.registry import select_codes
from hyperlint.settings import Settings


def add_noqa(project: Path, *paths: str):
    return run_hyperlint("check", "--add-noqa", *paths, cwd=project)


def clean_after(project: Path, *paths: str) -> None:
    result = run_hyperlint("check", "--output-format", "json", *paths, cwd=project)
    assert result.returncode == 0 and json.loads(result.stdout) == [], result.stdout


def test_adds_merges_and_silences(tmp_path):
    source = (
        "import torch\n"
        "\n"
        "model = torch.nn.Linear(2, 2)\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.01)   \n"
        "opt2 = torch.optim.Adam(model.parameters(), lr=1e-3)  # noqa: E501\n"
        "opt3 = torch.optim.Adam(model.parameters(),  # the second optimizer\n"
        "                        lr=1e-3)\n"
        "for epoch in range(10):\n"
        "    loss = model(x).sum()\n"
        "    loss.backward()\n"
        "    opt.step()\n"
    )
    (tmp_path / "train.py").write_text(source)
    result = add_noqa(tmp_path, "train.py")
    assert result.returncode == 0, result.stderr
    assert "Added 4 noqa directives in 1 file." in result.stderr
    lines = (tmp_path / "train.py").read_text().splitlines()
    assert lines[3] == "opt = torch.optim.SGD(model.parameters(), lr=0.01)  # noqa: HL101"
    assert lines[4] == "opt2 = torch.optim.Adam(model.parameters(), lr=1e-3)  # noqa: E501, HL101"
    assert lines[5] == "opt3 = torch.optim.Adam(model.parameters(),  # the second optimizer"
    assert lines[6] == "                        lr=1e-3)  # noqa: HL101"
    assert lines[7] == "for epoch in range(10):  # noqa: HL103"
    assert ast.dump(ast.parse((tmp_path / "train.py").read_text())) == ast.dump(ast.parse(source))
    clean_after(tmp_path, "train.py")
    # a second run has nothing to add and changes nothing
    before = (tmp_path / "train.py").read_bytes()
    again = add_noqa(tmp_path, "train.py")
    assert again.returncode == 0 and "Added 0 noqa directives" in again.stderr
    assert (tmp_path / "train.py").read_bytes() == before


def test_never_inside_a_string(tmp_path):
    source = (
        "import torch\n"
        "\n"
        "opt = torch.optim.SGD(params, lr=0.01, foo='''first\n"
        "second''')\n"
        "text = f'''{torch.optim.Adam(params, lr=3e-4)}\n"
        "tail'''\n"
    )
    (tmp_path / "train.py").write_text(source)
    findings = json.loads(run_hyperlint("check", "--output-format", "json", "train.py", cwd=tmp_path).stdout)
    assert [f["location"]["row"] for f in findings] == [3, 5]  # both on rows that end inside a string
    assert add_noqa(tmp_path, "train.py").returncode == 0
    lines = (tmp_path / "train.py").read_text().splitlines()
    assert lines[2:] == [
        "opt = torch.optim.SGD(params, lr=0.01, foo='''first",
        "second''')  # noqa: HL101",
        "text = f'''{torch.optim.Adam(params, lr=3e-4)}",
        "tail'''  # noqa: HL101",
    ]
    clean_after(tmp_path, "train.py")


def test_backslash_continuation_gets_the_comment_on_the_last_line(tmp_path):
    source = "import torch\n\nopt = torch.optim.SGD(params, lr=0.01) if True \\\n    else None\n"
    (tmp_path / "train.py").write_text(source)
    assert add_noqa(tmp_path, "train.py").returncode == 0
    assert (tmp_path / "train.py").read_text().splitlines()[2:] == [
        "opt = torch.optim.SGD(params, lr=0.01) if True \\", "    else None  # noqa: HL101"]
    clean_after(tmp_path, "train.py")


def test_crlf_and_permissions_are_kept(tmp_path):
    path = tmp_path / "train.py"
    path.write_bytes(VIOLATION.replace("\n", "\r\n").encode())
    path.chmod(0o750)
    assert add_noqa(tmp_path, "train.py").returncode == 0
    data = path.read_bytes()
    assert data.count(b"\r\n") == VIOLATION.count("\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert b"lr=0.01)  # noqa: HL101\r\n" in data
    assert path.stat().st_mode & 0o777 == 0o750


def test_notebook_cells_get_comments_and_stay_valid(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Training"),
        nbformat.v4.new_code_cell("%matplotlib inline\nimport torch"),
        nbformat.v4.new_code_cell("model = torch.nn.Linear(2, 2)\nopt = torch.optim.SGD(model.parameters(), lr=0.01)"),
    ])
    notebook.cells[2].outputs = [nbformat.v4.new_output("stream", text="kept\n")]
    path = tmp_path / "nb.ipynb"
    path.write_text(nbformat.writes(notebook))
    assert add_noqa(tmp_path, "nb.ipynb").returncode == 0
    written = nbformat.reads(path.read_text(), as_version=4)
    nbformat.validate(written)
    assert written.cells[2].source.splitlines()[1] == "opt = torch.optim.SGD(model.parameters(), lr=0.01)  # noqa: HL101"
    assert written.cells[1].source == notebook.cells[1].source
    assert written.cells[2].outputs[0]["text"] == "kept\n"
    clean_after(tmp_path, "nb.ipynb")


def test_unsuppressible_and_fixable_findings_are_left_alone(tmp_path):
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "stale.py").write_text("x = 1  # noqa: HL101\n")
    result = add_noqa(tmp_path, "broken.py", "stale.py")
    assert result.returncode == 0 and "Added 0 noqa directives" in result.stderr
    assert (tmp_path / "broken.py").read_text() == "def f(:\n"
    assert (tmp_path / "stale.py").read_text() == "x = 1  # noqa: HL101\n"


def test_add_noqa_refuses_fix_and_diff(tmp_path):
    (tmp_path / "train.py").write_text(VIOLATION)
    for option in ("--fix", "--diff"):
        result = run_hyperlint("check", "--add-noqa", option, "train.py", cwd=tmp_path)
        assert result.returncode == 2 and "cannot be combined" in result.stderr
    assert (tmp_path / "train.py").read_text() == VIOLATION


def test_a_comment_that_would_change_the_code_is_never_written(tmp_path, monkeypatch):
    """The last line of defence: even if a comment were placed on a row inside a string, the
    changed syntax tree is noticed and the file is not written."""
    source = "import torch\n\nopt = torch.optim.SGD(params, lr=0.01, foo='''a\nb''')\n"
    path = tmp_path / "train.py"
    path.write_text(source)
    linter = Linter(Settings(root=tmp_path), select_codes(["HL1"], []))
    result = linter.lint_path(path, str(path))
    (finding,) = result.findings
    monkeypatch.setattr(add_noqa_module, "_row_problem", lambda *args: None)
    finding.noqa_row, finding.statement_rows = 3, None  # row 3 ends inside the string
    outcome = add_noqa_module.add_noqa([(str(path), result.source, [finding])])
    assert outcome.added == 0 and outcome.files == []
    assert outcome.errors and "would change the code" in outcome.errors[0]
    assert path.read_text() == source
