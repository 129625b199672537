"""Notebooks through the library API: one program over the code cells, findings per cell,
fixes written back into the right cells, invalid notebooks refused."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hyperlint.finding import Applicability, Finding, Fix, Position, TextEdit
from hyperlint.notebook import (
    Notebook,
    NotebookSource,
    _cell_fix,
    fix_notebook_text,
    lint_notebook_text,
    to_json_positions,
)
from hyperlint.output import Report
from hyperlint.output.json_format import finding_json
from hyperlint.output.text import render_concise, render_text
from hyperlint.runner import lint_file, run_check
from hyperlint.source import SourceText
from hyperlint.testing import make_linter, make_settings

SGD_LITERAL = "opt = torch.optim.SGD(model.parameters(), lr=0.01)"


def notebook(*cells, language: str = "python") -> nbformat.NotebookNode:
    """A notebook of cells given as ("md", text) or code strings."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "k", "display_name": "K", "language": language}
    for cell in cells:
        if isinstance(cell, tuple) and cell[0] == "md":
            nb.cells.append(new_markdown_cell(cell[1]))
        elif isinstance(cell, nbformat.NotebookNode):
            nb.cells.append(cell)
        else:
            nb.cells.append(new_code_cell(cell))
    return nb


def text_of(nb) -> str:
    return nbformat.writes(nb)


def lint(nb_or_text, select=("HL1", "HL002")) -> list[Finding]:
    text = nb_or_text if isinstance(nb_or_text, str) else text_of(nb_or_text)
    return lint_notebook_text(make_linter(select), text, "nb.ipynb", Path("nb.ipynb")).findings


def brief(findings) -> list[tuple]:
    return [(f.code, f.cell, f.start.row, f.start.column) for f in findings]


# --- one program over all code cells ----------------------------------------------------------------
def test_constant_in_one_cell_used_in_another_is_reported_at_its_assignment():
    nb = notebook(
        ("md", "# Training"),
        "import torch\nLR = 0.01",
        ("md", "The model"),
        "model = torch.nn.Linear(2, 2)",
        "opt = torch.optim.SGD(model.parameters(), lr=LR)",
    )
    findings = lint(nb)
    assert brief(findings) == [("HL102", 2, 2, 1)]
    assert "torch.optim.SGD" in findings[0].message


def test_import_in_one_cell_resolves_a_call_in_another():
    findings = lint(notebook("from torch import optim", "import torch", ("md", "x"), "x = 1\n" + SGD_LITERAL.replace("torch.optim", "optim")))
    column = SGD_LITERAL.replace("torch.optim", "optim").index("0.01") + 1
    assert brief(findings) == [("HL101", 4, 2, column)]
    assert findings[0].end == Position(2, column + 4)


def test_a_config_value_in_another_cell_is_not_reported():
    findings = lint(notebook(
        "import argparse, torch\nparser = argparse.ArgumentParser()\nparser.add_argument('--lr', default=0.01)",
        "args = parser.parse_args([])",
        "opt = torch.optim.SGD(model.parameters(), lr=args.lr)",
    ))
    assert findings == []


def test_cells_are_numbered_over_all_cells_and_rows_are_cell_relative():
    nb = notebook(("md", "a"), ("md", "b\nc"), "import torch\n\n\n" + SGD_LITERAL, ("md", "d"), "import torch\n" + SGD_LITERAL)
    findings = lint(nb)
    assert brief(findings) == [("HL101", 3, 4, 46), ("HL101", 5, 2, 46)]
    for finding in findings:
        assert finding.noqa_row == finding.start.row
        # the offsets are into the cell's own source
        cell_source = nb.cells[finding.cell - 1].source
        assert cell_source[finding.start_offset : finding.end_offset] == "0.01"


def test_json_finding_carries_the_cell_and_cell_relative_locations():
    text = text_of(notebook(("md", "x"), "import torch\n" + SGD_LITERAL + "  # noqa: HL101, HL103"))
    result = lint_notebook_text(make_linter(("HL1", "HL002")), text, "nb.ipynb", Path("nb.ipynb"))
    report = Report(result.findings, {"nb.ipynb": result.source})
    as_json = [finding_json(f, report) for f in result.findings]
    column = len(SGD_LITERAL) + 3
    assert [(d["code"], d["cell"], d["location"], d["noqa_row"]) for d in as_json] == [
        ("HL002", 2, {"column": column, "row": 2}, 2)
    ]
    edits = as_json[0]["fix"]["edits"]
    assert edits == [{"content": "# noqa: HL101", "location": {"column": column, "row": 2},
                      "end_location": {"column": column + len("# noqa: HL101, HL103"), "row": 2}}]


def test_text_output_shows_the_cell_and_its_lines():
    text = text_of(notebook(("md", "x"), "import torch\nmodel = torch.nn.Linear(2, 2)\n" + SGD_LITERAL + "\nprint(opt)"))
    result = lint_notebook_text(make_linter(("HL101",)), text, "nb.ipynb", Path("nb.ipynb"))
    report = Report(result.findings, {"nb.ipynb": result.source})
    assert render_concise(report).startswith("nb.ipynb:cell 2:3:46: HL101 ")
    frame = render_text(report)
    assert "2 | model = torch.nn.Linear(2, 2)\n" in frame
    assert "3 | " + SGD_LITERAL + "\n" in frame
    assert "4 | print(opt)" in frame
    assert '"source"' not in frame  # the cell's lines, not the JSON file's


# --- IPython syntax ---------------------------------------------------------------------------------
def test_magics_and_shell_escapes_give_no_parse_error():
    nb = notebook(
        "!pip install torch\n%load_ext autoreload\n%autoreload 2\n%matplotlib inline",
        "%%capture\nimport torch\nmodel = torch.nn.Linear(2, 2)",
        "files = !ls\ntorch.optim.SGD?\n?model",
        "%%bash\necho 'this is not python ('",
        "for step in range(3):\n    !echo {step}\n    x = 1",
        "%time " + SGD_LITERAL,
    )
    findings = lint(nb)
    assert brief(findings) == [("HL101", 6, 1, 52)]


def test_statement_under_time_magic_is_checked_at_its_own_column():
    nb = notebook("import torch\nmodel = torch.nn.Linear(2, 2)", "%timeit -n 1 " + SGD_LITERAL, "%time " + SGD_LITERAL)
    findings = lint(nb)
    assert brief(findings) == [("HL101", 3, 1, 52)]  # options to %timeit: not checked


def test_a_cell_python_cannot_parse_is_reported_and_the_others_are_checked():
    nb = notebook("import torch", "def broken(:\n    pass", ("md", "x"), SGD_LITERAL)
    findings = lint(nb)
    assert brief(findings) == [("HL001", 2, 1, 12), ("HL101", 4, 1, 46)]
    assert findings[0].message.startswith("SyntaxError")


def test_notebook_of_another_language_is_not_checked():
    nb = notebook("library(torch)\nopt <- optim_sgd(lr = 0.01)", language="R")
    assert lint(nb) == []


def test_cell_of_another_language_in_a_polyglot_notebook_is_not_checked():
    sql = new_code_cell("SELECT lr FROM runs WHERE lr = 0.01")
    sql.metadata["vscode"] = {"languageId": "sql"}
    nb = notebook("import torch", sql, SGD_LITERAL)
    assert brief(lint(nb)) == [("HL101", 3, 1, 46)]


def test_notebook_without_code_cells():
    assert lint(notebook(("md", "only prose"))) == []


# --- noqa in cells --------------------------------------------------------------------------------
def test_noqa_in_a_cell_suppresses_and_an_unused_one_is_reported():
    nb = notebook(
        "import torch",
        SGD_LITERAL + "  # noqa: HL101",
        "x = 1  # noqa: HL101",
    )
    assert brief(lint(nb)) == [("HL002", 3, 1, 8)]


def test_file_level_noqa_in_a_cell():
    nb = notebook("# hyperlint: noqa: HL1\nimport torch", SGD_LITERAL)
    assert lint(nb) == []


# --- fixes ----------------------------------------------------------------------------------------
def _rich_notebook():
    output = new_output("stream", name="stdout", text="loss 0.3\n")
    trained = new_code_cell(SGD_LITERAL + "  # noqa: HL101, HL103\nprint(opt)", execution_count=7, outputs=[output])
    trained.metadata["tags"] = ["train"]
    nb = notebook(("md", "# Run"), "import torch\nmodel = torch.nn.Linear(2, 2)  # noqa: HL105", trained,
                  "!nvidia-smi\n%time x = 1")
    nb.metadata["custom"] = {"ünïcode": "kept"}
    return nb


def test_fix_rewrites_only_the_fixed_cells_sources():
    nb = _rich_notebook()
    before = text_of(nb)
    outcome = fix_notebook_text(make_linter(("HL1", "HL002")), before, "nb.ipynb", Path("nb.ipynb"))
    assert outcome.error is None and outcome.fixed == {"HL002": 2}
    after = json.loads(outcome.text)
    original = json.loads(before)
    assert after["cells"][1]["source"] == ["import torch\n", "model = torch.nn.Linear(2, 2)"]
    assert after["cells"][2]["source"] == [SGD_LITERAL + "  # noqa: HL101\n", "print(opt)"]
    for index, (old, new) in enumerate(zip(original["cells"], after["cells"])):
        if index in (1, 2):
            old.pop("source"), new.pop("source")
        assert old == new  # outputs, metadata, ids, execution counts and other cells unchanged
    assert after["metadata"] == original["metadata"]
    nbformat.validate(nbformat.reads(outcome.text, as_version=4))
    # byte-for-byte: only the two source lines differ, and the writer's style is kept
    changed = [(a, b) for a, b in zip(before.splitlines(), outcome.text.splitlines()) if a != b]
    assert len(changed) == 2 and len(before.splitlines()) == len(outcome.text.splitlines())
    assert outcome.text[-2:] == before[-2:] == "\n}"
    assert outcome.sources == {2: (nb.cells[1].source, "import torch\nmodel = torch.nn.Linear(2, 2)"),
                               3: (nb.cells[2].source, SGD_LITERAL + "  # noqa: HL101\nprint(opt)")}
    assert [f.code for f in outcome.remaining] == []
    again = fix_notebook_text(make_linter(("HL1", "HL002")), outcome.text, "nb.ipynb", Path("nb.ipynb"))
    assert not again.changed and again.text == outcome.text


def test_fix_keeps_the_files_own_json_style():
    data = json.loads(text_of(_rich_notebook()))
    data["cells"][1]["source"] = "".join(data["cells"][1]["source"])  # source as one string
    text = json.dumps(data, indent=2, ensure_ascii=True)  # 2 spaces, escaped, no final newline
    outcome = fix_notebook_text(make_linter(("HL1", "HL002")), text, "nb.ipynb", Path("nb.ipynb"))
    assert outcome.fixed == {"HL002": 2}
    expected = json.loads(text)
    expected["cells"][1]["source"] = "import torch\nmodel = torch.nn.Linear(2, 2)"
    expected["cells"][2]["source"] = [SGD_LITERAL + "  # noqa: HL101\n", "print(opt)"]
    assert outcome.text == json.dumps(expected, indent=2, ensure_ascii=True)


def test_fix_fills_an_emptied_list_in_the_writers_layout():
    nb = notebook("x = 1  # noqa: HL101")
    text = text_of(nb)
    outcome = fix_notebook_text(make_linter(("HL1", "HL002")), text, "nb.ipynb", Path("nb.ipynb"))
    assert json.loads(outcome.text)["cells"][0]["source"] == ["x = 1"]
    assert outcome.text == nbformat.writes(nbformat.reads(outcome.text, as_version=4))


def test_fix_in_a_file_on_disk_through_the_runner(tmp_path):
    path = tmp_path / "train.ipynb"
    nb = _rich_notebook()
    nbformat.write(nb, path)
    before = path.read_text(encoding="utf-8")
    linter = make_linter(("HL1", "HL002"))
    diff = lint_file(linter, path, fix=True, diff=True)
    assert path.read_text(encoding="utf-8") == before  # --diff writes nothing
    assert ":cell 2\n" in diff.diff and ":cell 3\n" in diff.diff
    assert "-model = torch.nn.Linear(2, 2)  # noqa: HL105" in diff.diff
    outcome = lint_file(linter, path, fix=True)
    assert outcome.fixed == {"HL002": 2} and outcome.findings == []
    assert path.read_text(encoding="utf-8").endswith("\n}\n")  # nbformat's final newline kept
    written = nbformat.read(path, as_version=4)
    nbformat.validate(written)
    assert written.cells[2].outputs == nb.cells[2].outputs
    assert written.cells[2].metadata == {"tags": ["train"]}
    assert written.cells[3].source == "!nvidia-smi\n%time x = 1"


def _program_and_notebook(*cells):
    notebook_ = Notebook.from_text(text_of(notebook(*cells)))
    return notebook_, SourceText(notebook_.program)


def test_a_fix_whose_edits_span_two_cells_is_not_applied():
    nb, program = _program_and_notebook("a = 1", "b = 2")
    start, end = program.text.index("1"), program.text.index("2")
    fix = Fix("join", Applicability.SAFE, (TextEdit(start, end, ""),))
    assert _cell_fix(fix, nb, program) == Fix("join", Applicability.DISPLAY_ONLY)
    two = Fix("two", Applicability.SAFE, (TextEdit(start, start + 1, "3"), TextEdit(end, end + 1, "4")))
    assert _cell_fix(two, nb, program).applicability is Applicability.DISPLAY_ONLY
    one = _cell_fix(Fix("one", Applicability.SAFE, (TextEdit(end, end + 1, "4"),)), nb, program)
    assert one.applicability is Applicability.SAFE
    assert [(e.cell, e.start, e.end, e.content) for e in one.edits] == [(2, 4, 5, "4")]


def test_a_fix_touching_ipython_syntax_is_not_applied():
    nb, program = _program_and_notebook("x = !ls\ny = 1")
    masked_start = program.text.index("...")
    fix = Fix("f", Applicability.SAFE, (TextEdit(masked_start, masked_start + 3, "2"),))
    assert _cell_fix(fix, nb, program).applicability is Applicability.DISPLAY_ONLY
    y = program.text.index("1")
    ok = _cell_fix(Fix("f", Applicability.SAFE, (TextEdit(y, y + 1, "2"),)), nb, program)
    assert ok.edits[0].start == nb.cells[0].source.index("1")


# --- invalid notebooks ----------------------------------------------------------------------------
INVALID = {
    "bad-json": ('{"cells": [', "not valid JSON"),
    "not-an-object": ("[1, 2]", "not an object"),
    "no-cells": ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "no `cells` list"),
    "old-format": ('{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}', "nbformat 3 notebooks are not supported"),
    "bad-source": ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": 3}]}',
                   "`source` of cell 1"),
    "schema": (None, "'outputs' is a required property (cell 2"),
}


def _schema_invalid() -> str:
    data = json.loads(text_of(notebook("import torch", SGD_LITERAL)))
    del data["cells"][1]["outputs"]
    return json.dumps(data, indent=1)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_an_invalid_notebook_gives_one_clear_finding_and_is_never_written(name, tmp_path):
    text, expected = INVALID[name]
    text = text if text is not None else _schema_invalid()
    result = lint_notebook_text(make_linter(("HL1", "HL002")), text, "nb.ipynb", Path("nb.ipynb"))
    assert len(result.findings) == 1 and result.error is not None
    finding = result.findings[0]
    assert finding.code == "HL001" and finding.cell is None and expected in finding.message
    path = tmp_path / "nb.ipynb"
    path.write_text(text, encoding="utf-8")
    outcome = lint_file(make_linter(("HL1", "HL002")), path, fix=True, unsafe=True)
    assert [f.code for f in outcome.findings] == ["HL001"]
    assert path.read_text(encoding="utf-8") == text


def test_bad_json_is_located_in_the_json_text():
    finding = lint('{\n "cells": [\n  {,\n ]\n}')[0]
    assert (finding.start.row, finding.start.column) == (3, 4)


def test_undecodable_notebook(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(b'{"cells": ["\xff"]}')
    outcome = lint_file(make_linter(("HL1",)), path)
    assert [f.code for f in outcome.findings] == ["HL001"] and "UTF-8" in outcome.findings[0].message


# --- front ends -----------------------------------------------------------------------------------
def test_folders_are_searched_for_notebooks(tmp_path):
    nbformat.write(notebook("import torch", SGD_LITERAL), tmp_path / "explore.ipynb")
    (tmp_path / "train.py").write_text("import torch\n" + SGD_LITERAL + "\n")
    outcomes = run_check([tmp_path], make_settings(root=tmp_path), {"HL101"})
    found = sorted((Path(o.path).name, [(f.cell, f.start.row) for f in o.findings]) for o in outcomes)
    assert found == [("explore.ipynb", [(2, 1)]), ("train.py", [(None, 2)])]


def test_engine_entry_points_dispatch_notebooks(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook("import torch", SGD_LITERAL), path)
    result = make_linter(("HL101",)).lint_path(path)
    assert isinstance(result.source, NotebookSource)
    assert brief(result.findings) == [("HL101", 2, 1, 46)]


def test_findings_placed_in_the_json_text_for_editors():
    text = text_of(notebook(("md", "é"), "import torch\n" + SGD_LITERAL + "  # noqa: HL101, HL103"))
    result = lint_notebook_text(make_linter(("HL1", "HL002")), text, "nb.ipynb", Path("nb.ipynb"))
    [finding] = to_json_positions(result)
    json_source = SourceText(text)
    line = json_source.line(finding.start.row)
    assert line.strip().startswith('"' + SGD_LITERAL)
    assert text[finding.start_offset : finding.end_offset] == "# noqa: HL101, HL103"
    assert finding.cell == 2 and finding.extra["cell_start"] == Position(2, len(SGD_LITERAL) + 3)
    [edit] = finding.fix.edits
    fixed = text[: edit.start] + edit.content + text[edit.end :]
    assert json.loads(fixed)["cells"][1]["source"][1] == SGD_LITERAL + "  # noqa: HL101"
    nbformat.validate(nbformat.reads(fixed, as_version=4))


def _hl2_notebook():
    timed = new_code_cell("!nvidia-smi\nmodel.weight.data.normal_(0, 0.01)", execution_count=4,
                          outputs=[new_output("stream", name="stdout", text="Tue Jan 1\n")])
    return notebook(("md", "# Init"), "import torch\nimport torch.nn as nn",
                    "model = nn.Linear(10, 2)\ncritic = nn.Linear(2, 1)", timed,
                    "for p in critic.parameters():\n    p.data.clamp_(-0.01, 0.01)\nprint('done')")


def test_hl2_fixes_land_in_their_cells_with_names_from_other_cells():
    nb = _hl2_notebook()
    text = text_of(nb)
    linter = make_linter(("HL2",))
    assert brief(lint_notebook_text(linter, text, "nb.ipynb", Path("nb.ipynb")).findings) == [
        ("HL201", 4, 2, 1), ("HL201", 5, 2, 5)]
    safe = fix_notebook_text(linter, text, "nb.ipynb", Path("nb.ipynb"))
    assert safe.fixed == {"HL201": 1}
    fixed = nbformat.reads(safe.text, as_version=4)
    nbformat.validate(fixed)
    assert fixed.cells[3].source == "!nvidia-smi\nnn.init.normal_(model.weight, 0, 0.01)"
    assert fixed.cells[3].outputs == nb.cells[3].outputs and fixed.cells[3].execution_count == 4
    assert [c.source for i, c in enumerate(fixed.cells) if i != 3] == [c.source for i, c in enumerate(nb.cells) if i != 3]
    unsafe = fix_notebook_text(linter, text, "nb.ipynb", Path("nb.ipynb"), unsafe=True)
    assert unsafe.fixed == {"HL201": 2} and unsafe.remaining == []
    cells = json.loads(unsafe.text)["cells"]
    assert cells[4]["source"] == ["for p in critic.parameters():\n", "    with torch.no_grad():\n",
                                  "        p.clamp_(-0.01, 0.01)\n", "print('done')"]
    nbformat.validate(nbformat.reads(unsafe.text, as_version=4))
