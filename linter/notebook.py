"""Jupyter notebooks (``.ipynb``): linted as one program, reported and fixed cell by cell.

The code cells, with IPython syntax masked (``hyperlint.ipython_magics``), are joined into one
program, so a hyperparameter set in one cell and used in another, or a config parsed in one cell
and changed in a training loop in another, is found. Findings are mapped back to the cell
(numbered from 1 over all cells, markdown included, as Ruff numbers them) with rows and columns
relative to the cell; their offsets and fix edits are offsets into the cell's source
(``CellTextEdit.cell`` says which cell). Fixes rewrite only the ``source`` of the cells they change
(``hyperlint.notebook_json``); outputs, metadata and other cells keep every byte.

API for other front ends (CLI runner, language server, pre-commit):
- ``lint_notebook_text(linter, text, display, path) -> LintResult`` (source: ``NotebookSource``)
- ``fix_notebook_text(linter, text, display, path, unsafe) -> NotebookFix`` (new JSON text)
- ``check_notebook_file(linter, path, display, fix, unsafe, diff) -> FileOutcome`` (reads/writes)
- ``to_json_positions(result) -> list[Finding]``: findings placed in the JSON text itself, for
  editors that open the ``.ipynb`` file as a plain JSON document.
"""
from __future__ import annotations

import ast
import bisect
import codecs
import dataclasses
import difflib
import json
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hyperlint.engine import INTERNAL_ERROR, PARSE_ERROR, Linter, LintResult
from hyperlint.finding import Applicability, Finding, Fix, Position, TextEdit
from hyperlint.atomic import write_atomic
from hyperlint.fixes import MAX_ROUNDS, applicable, apply_edits, single_edit
from hyperlint.ipython_magics import MaskedCell, mask_cell, split_lines
from hyperlint.notebook_json import JsonLayoutError, NotebookLayout, scan_layout
from hyperlint.source import SourceText, read_source_file

if TYPE_CHECKING:
    from hyperlint.runner import FileOutcome

NOTEBOOK_SUFFIX = ".ipynb"
# findings about the whole file (time budget exceeded, internal error), not about a cell
WHOLE_FILE_CODES = {"HL003", INTERNAL_ERROR}
_PARSE_FLAGS = ast.PyCF_ONLY_AST | getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0)


def is_notebook(path: Path | str) -> bool:
    return str(path).lower().endswith(NOTEBOOK_SUFFIX)


class NotebookError(ValueError):
    """The file is not a notebook hyperlint can read (bad JSON, wrong structure, nbformat-invalid)."""

    def __init__(self, message: str, row: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class CellTextEdit(TextEdit):
    """A TextEdit whose offsets are into the source of notebook cell ``cell`` (1-based)."""

    cell: int = 0


@dataclass
class CodeCell:
    index: int  # 0-based position among all the notebook's cells
    source: str  # as stored in the notebook
    masked: MaskedCell
    start_row: int = 1  # 1-based row of the cell's first line in the program
    start_offset: int = 0
    # a cell Python cannot parse is left out of the program: (message, row, column) in the cell
    error: tuple[str, int, int] | None = None
    _text: SourceText | None = field(default=None, repr=False)

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def text(self) -> SourceText:
        if self._text is None:
            self._text = SourceText(self.source)
        return self._text

    @property
    def python(self) -> str:
        """What the cell contributes to the program: empty rows when it does not parse."""
        if self.error is not None:
            return "".join(brk for _, brk in split_lines(self.masked.python))
        return self.masked.python


class Notebook:
    """A parsed notebook: its JSON, its code cells and the program they make together."""

    def __init__(self, text: str, data: dict, cells: list[CodeCell], python: bool = True) -> None:
        self.text = text
        self.data = data
        self.cells = cells
        self.is_python = python
        self._layout: NotebookLayout | None = None
        self._program: str | None = None
        self._rows: list[int] = []
        self._by_number: dict[int, CodeCell] | None = None

    # --- reading --------------------------------------------------------------------------------
    @classmethod
    def from_text(cls, text: str) -> "Notebook":
        data = _load(text)
        python = _is_python(data)
        cells: list[CodeCell] = []
        for index, cell in enumerate(data["cells"]):
            if cell.get("cell_type") != "code" or not python or not _is_python_cell(cell):
                continue
            source = cell["source"]
            source = "".join(source) if isinstance(source, list) else source
            code_cell = CodeCell(index, source, mask_cell(source))
            code_cell.error = _syntax_error(code_cell.masked.python)
            cells.append(code_cell)
        return cls(text, data, cells, python)

    @property
    def layout(self) -> NotebookLayout:
        if self._layout is None:
            self._layout = scan_layout(self.text)
        return self._layout

    # --- the program ----------------------------------------------------------------------------
    @property
    def program(self) -> str:
        if self._program is None:
            parts, row, offset = [], 1, 0
            self._rows = []
            for cell in self.cells:
                cell.start_row, cell.start_offset = row, offset
                self._rows.append(row)
                python = cell.python + "\n"
                parts.append(python)
                row += len(split_lines(python))
                offset += len(python)
            self._program = "".join(parts)
        return self._program

    def exclude(self, cell: CodeCell, message: str, row: int, column: int) -> None:
        """Leave a cell out of the program (it does not parse)."""
        cell.error = (message, row, column)
        self._program = None

    def cell_at_row(self, row: int) -> CodeCell | None:
        self.program  # noqa: B018 - computes the row table
        if not self.cells:
            return None
        return self.cells[max(bisect.bisect_right(self._rows, row) - 1, 0)]

    def cell_by_number(self, number: int) -> CodeCell | None:
        if self._by_number is None:
            self._by_number = {cell.number: cell for cell in self.cells}
        return self._by_number.get(number)

    def locate(self, position: Position) -> tuple[CodeCell, Position, int] | None:
        """(cell, cell-relative position, offset into the cell's source) of a program position."""
        cell = self.cell_at_row(position.row)
        if cell is None:
            return None
        text = cell.text
        row = min(max(position.row - cell.start_row + 1, 1), len(text.line_starts))
        column = min(max(position.column, 1), len(text.line(row)) + 1)
        return cell, Position(row, column), text.offset(row, column - 1)

    # --- writing --------------------------------------------------------------------------------
    def with_sources(self, sources: dict[int, str]) -> str:
        """The notebook's JSON text with new sources for some cells (by 0-based index)."""
        changed = {index: source for index, source in sources.items() if source != self._source_of(index)}
        if not changed:
            return self.text
        return self.layout.replace_sources(changed)

    def _source_of(self, index: int) -> str:
        source = self.data["cells"][index]["source"]
        return "".join(source) if isinstance(source, list) else source


# --- reading and validating -----------------------------------------------------------------------
def _load(text: str) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"invalid notebook: not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise NotebookError("invalid notebook: its JSON nests too deeply") from None
    if not isinstance(data, dict):
        raise NotebookError("invalid notebook: the top level of the JSON is not an object")
    version = data.get("nbformat")
    if not isinstance(version, int) or isinstance(version, bool):
        raise NotebookError("invalid notebook: no integer `nbformat` version at the top level")
    if version < 4:
        raise NotebookError(
            f"nbformat {version} notebooks are not supported; convert it with "
            "`jupyter nbconvert --to notebook --nbformat 4`"
        )
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise NotebookError("invalid notebook: it has no `cells` list")
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"invalid notebook: cell {number} is not an object with a `cell_type`")
        source = cell.get("source")
        if not (isinstance(source, str) or isinstance(source, list) and all(isinstance(s, str) for s in source)):
            raise NotebookError(f"invalid notebook: the `source` of cell {number} is not a string or a list of strings")
    problem = nbformat_problem(data)
    if problem is not None:
        raise NotebookError(f"invalid notebook: {problem}")
    return data


def nbformat_problem(data: dict) -> str | None:
    """What nbformat's schema finds wrong with the notebook, or None (also when nbformat is absent)."""
    try:
        import nbformat
    except ImportError:  # validation by the schema needs nbformat; the structure was checked above
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(data)
    except nbformat.ValidationError as exc:
        message = str(getattr(exc, "message", "") or exc).split("\n")[0]
        where = list(getattr(exc, "absolute_path", ()) or ())
        if len(where) >= 2 and where[0] == "cells" and isinstance(where[1], int):
            return f"{message} (cell {where[1] + 1}, per nbformat's schema)"
        return f"{message} (per nbformat's schema)"
    except Exception as exc:  # nbformat raises a few other types on odd input
        return f"nbformat cannot validate it: {type(exc).__name__}: {exc}".split("\n")[0]
    return None


def _is_python(data: dict) -> bool:
    """Whether the notebook's kernel runs Python (R, Julia... notebooks are not checked)."""
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for key, name_key in (("language_info", "name"), ("kernelspec", "language")):
        info = metadata.get(key)
        if isinstance(info, dict) and isinstance(info.get(name_key), str):
            return info[name_key].lower() in ("python", "python3", "ipython", "ipython3")
    return True


def _is_python_cell(cell: dict) -> bool:
    """A code cell of another language in a polyglot notebook (VS Code's per-cell language) is skipped."""
    metadata = cell.get("metadata")
    vscode = metadata.get("vscode") if isinstance(metadata, dict) else None
    language = vscode.get("languageId") if isinstance(vscode, dict) else None
    return not isinstance(language, str) or language.lower() == "python"


def _syntax_error(python: str) -> tuple[str, int, int] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(python, "<cell>", "exec", _PARSE_FLAGS, dont_inherit=True)
    except SyntaxError as exc:
        return f"{type(exc).__name__}: {exc.msg}", exc.lineno or 1, exc.offset or 1
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"cannot parse: {type(exc).__name__}", 1, 1
    return None


def decode_notebook(data: bytes) -> tuple[str, bool]:
    """The text of a notebook file (UTF-8, as the format requires) and whether it had a BOM."""
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        return data[len(codecs.BOM_UTF8) if bom else 0 :].decode("utf-8"), bom
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise NotebookError(f"invalid notebook: not UTF-8 (byte 0x{data[exc.start]:02x} is invalid)", row, column) from None


# --- the source object front ends see -------------------------------------------------------------
@dataclass
class NotebookSource(SourceText):
    """The notebook file's JSON text (what ``to_bytes`` writes) plus its cells, so output formats
    can show a finding's cell: ``cell_source(number)`` is that cell's source."""

    notebook: Notebook | None = field(default=None, repr=False)

    def cell_source(self, number: int) -> SourceText | None:
        cell = self.notebook.cell_by_number(number) if self.notebook is not None else None
        return cell.text if cell is not None else None


# --- linting --------------------------------------------------------------------------------------
def error_finding(display: str, message: str, row: int = 1, column: int = 1, cell: int | None = None) -> Finding:
    position = Position(max(row, 1), max(column, 1))
    help_text = ("Fix the cell so Python can parse it; hyperlint checks the other cells without it."
                 if cell is not None else
                 "Repair the notebook (open and save it in Jupyter, or fix the JSON); nothing in it is checked "
                 "and it is never written until then.")
    return Finding(PARSE_ERROR, message, display, position, position, Fix(help_text, Applicability.DISPLAY_ONLY),
                   position.row, cell)


def lint_notebook_text(linter: Linter, text: str, display: str, path: Path | None = None,
                       encoding: str = "utf-8", bom: bool = False) -> LintResult:
    """Findings for a notebook's JSON text, each with its cell and cell-relative positions."""
    try:
        notebook = Notebook.from_text(text)
    except NotebookError as exc:
        source = NotebookSource(text, encoding, bom)
        return LintResult(display, [error_finding(display, str(exc), exc.row, exc.column)], source, error=str(exc))
    return lint_notebook(linter, notebook, display, path, encoding, bom)


def lint_notebook_bytes(linter: Linter, data: bytes, display: str, path: Path | None = None) -> LintResult:
    try:
        text, bom = decode_notebook(data)
    except NotebookError as exc:
        return LintResult(display, [error_finding(display, str(exc), exc.row, exc.column)], error=str(exc))
    return lint_notebook_text(linter, text, display, path, "utf-8", bom)


def lint_notebook(linter: Linter, notebook: Notebook, display: str, path: Path | None = None,
                  encoding: str = "utf-8", bom: bool = False) -> LintResult:
    path = path or Path(display)
    source = NotebookSource(notebook.text, encoding, bom, notebook=notebook)
    findings: list[Finding] = []
    result = linter.lint_source(SourceText(notebook.program), display, path)
    for _ in range(len(notebook.cells)):
        # libcst can refuse what CPython accepts: leave that cell out and lint the rest
        if result.error is None or not result.findings or result.findings[0].code != PARSE_ERROR:
            break
        located = notebook.locate(result.findings[0].start)
        if located is None or located[0].error is not None:
            break
        cell, position, _ = located
        notebook.exclude(cell, result.findings[0].message, position.row, position.column)
        result = linter.lint_source(SourceText(notebook.program), display, path)
    for cell in notebook.cells:
        if cell.error is not None:
            message, row, column = cell.error
            findings.append(error_finding(display, message, row, column, cell.number))
    program = SourceText(notebook.program)
    for finding in result.findings:
        findings.append(_to_cell(finding, notebook, program))
    findings.sort(key=Finding.sort_key)
    return LintResult(display, findings, source, error=None)


def _to_cell(finding: Finding, notebook: Notebook, program: SourceText) -> Finding:
    """A finding on the program, placed in its cell."""
    if finding.code in WHOLE_FILE_CODES or not notebook.cells:
        return dataclasses.replace(finding, start=Position(1, 1), end=Position(1, 1), noqa_row=1, cell=None)
    start = notebook.locate(finding.start)
    assert start is not None
    cell, start_position, start_offset = start
    end = notebook.locate(finding.end)
    if end is None or end[0] is not cell:  # cannot happen for a statement; clamp to the cell
        end_position, end_offset = cell.text.position(len(cell.source)), len(cell.source)
    else:
        _, end_position, end_offset = end
    noqa_row = None
    if finding.noqa_row is not None:
        located = notebook.locate(Position(finding.noqa_row, 1))
        noqa_row = located[1].row if located and located[0] is cell else start_position.row
    statement_rows = None
    if finding.statement_rows is not None:
        first = notebook.locate(Position(finding.statement_rows[0], 1))
        last = notebook.locate(Position(finding.statement_rows[1], 1))
        if first and last and first[0] is cell and last[0] is cell:
            statement_rows = (first[1].row, last[1].row)
    return dataclasses.replace(
        finding, start=start_position, end=end_position, cell=cell.number, noqa_row=noqa_row,
        start_offset=start_offset, end_offset=end_offset, statement_rows=statement_rows,
        fix=_cell_fix(finding.fix, notebook, program),
    )


def _cell_fix(fix: Fix | None, notebook: Notebook, program: SourceText) -> Fix | None:
    """The fix with its edits moved into cells; a fix that spans cells or touches IPython syntax
    cannot be applied and keeps only its message."""
    if fix is None or not fix.edits:
        return fix
    edits: list[CellTextEdit] = []
    for edit in fix.edits:
        start = notebook.locate(program.position(edit.start))
        end = notebook.locate(program.position(edit.end))
        if start is None or end is None or start[0] is not end[0] or _touches_mask(start, end):
            return Fix(fix.message, Applicability.DISPLAY_ONLY)
        edits.append(CellTextEdit(start[2], end[2], edit.content, start[0].number))
    if len({edit.cell for edit in edits}) > 1:
        return Fix(fix.message, Applicability.DISPLAY_ONLY)
    return Fix(fix.message, fix.applicability, tuple(edits))


def _touches_mask(start: tuple[CodeCell, Position, int], end: tuple[CodeCell, Position, int]) -> bool:
    cell, first, last = start[0], start[1], end[1]
    for span in cell.masked.spans:
        if not first.row <= span.row <= last.row:
            continue
        begin = first.column - 1 if span.row == first.row else 0
        finish = last.column - 1 if span.row == last.row else 1 << 30
        if begin < span.end and span.start < finish or span.start < begin < span.end:
            return True
    return False


# --- fixing ---------------------------------------------------------------------------------------
@dataclass
class NotebookFix:
    text: str  # the notebook's new JSON text (the old one when nothing was fixed)
    fixed: Counter = field(default_factory=Counter)
    remaining: list[Finding] = field(default_factory=list)
    error: str | None = None
    sources: dict[int, tuple[str, str]] = field(default_factory=dict)  # cell number -> (old, new) source
    result: LintResult | None = None  # the lint result of the new text

    @property
    def changed(self) -> bool:
        return sum(self.fixed.values()) > 0


def fix_notebook_text(linter: Linter, text: str, display: str, path: Path | None = None,
                      unsafe: bool = False, result: LintResult | None = None) -> NotebookFix:
    """Apply the applicable fixes to a fixed point; the notebook stays valid or nothing changes.
    ``result`` is the lint result of ``text`` when the caller has it already."""
    result = result or lint_notebook_text(linter, text, display, path)
    outcome = NotebookFix(text, remaining=result.findings, result=result)
    if result.error is not None:
        return outcome
    notebook = result.source.notebook
    original = {cell.number: cell.source for cell in notebook.cells}
    for _ in range(MAX_ROUNDS):
        candidates = [f for f in result.findings if applicable(f, unsafe)]
        if not candidates:
            break
        sources = _apply_in_cells(notebook, candidates)
        if not sources:
            break
        changed, accepted = sources
        new_text = notebook.with_sources(changed)
        new_result = lint_notebook_text(linter, new_text, display, path)
        if new_result.error is not None:
            outcome.error = f"a fix made the notebook invalid ({new_result.error}); fixes stopped"
            break
        new_notebook = new_result.source.notebook
        broken = [c for c in new_notebook.cells if c.error is not None and c.index in changed]
        if broken:
            outcome.error = f"a fix produced code that does not parse in cell {broken[0].number}; fixes stopped"
            break
        outcome.fixed.update(f.code for f in accepted)
        outcome.text, notebook, result = new_text, new_notebook, new_result
    outcome.remaining, outcome.result = result.findings, result
    for cell in notebook.cells:
        if original.get(cell.number, cell.source) != cell.source:
            outcome.sources[cell.number] = (original[cell.number], cell.source)
    return outcome


def _apply_in_cells(notebook: Notebook, candidates: list[Finding]):
    """New sources (by 0-based cell index) with the non-overlapping fixes applied, and those fixes."""
    by_number = {cell.number: cell for cell in notebook.cells}
    base, total = {}, 0
    for cell in notebook.cells:  # one virtual text of all cell sources, to resolve overlaps
        base[cell.number] = total
        total += len(cell.source) + 1
    shadows = []
    for finding in candidates:
        edits = finding.fix.edits
        if not all(isinstance(e, CellTextEdit) and e.cell in by_number for e in edits):
            continue
        moved = tuple(TextEdit(base[e.cell] + e.start, base[e.cell] + e.end, e.content) for e in edits)
        shadows.append(dataclasses.replace(finding, fix=dataclasses.replace(finding.fix, edits=moved), extra={"of": finding}))
    if not shadows:
        return None
    _, accepted = apply_edits("", shadows)
    sources: dict[int, str] = {}
    per_cell: dict[int, list[CellTextEdit]] = {}
    for shadow in accepted:
        for edit in shadow.extra["of"].fix.edits:
            if edit not in per_cell.setdefault(edit.cell, []):  # an edit shared by fixes applies once
                per_cell[edit.cell].append(edit)
    for number, edits in per_cell.items():
        text = by_number[number].source
        for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            text = text[: edit.start] + edit.content + text[edit.end :]
        sources[by_number[number].index] = text
    return sources, [shadow.extra["of"] for shadow in accepted]


def cell_diff(display: str, sources: dict[int, tuple[str, str]]) -> str:
    """A unified diff per changed cell, as Ruff shows notebook fixes."""
    out = []
    for number in sorted(sources):
        old, new = sources[number]
        out.extend(difflib.unified_diff(
            _lines(old), _lines(new), fromfile=f"a/{display}:cell {number}", tofile=f"b/{display}:cell {number}"))
    return "".join(out)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of cell\n"
    return lines


# --- files ----------------------------------------------------------------------------------------
def check_notebook_file(linter: Linter, path: Path, display: str, fix: bool = False, unsafe: bool = False,
                        diff: bool = False) -> "FileOutcome":
    """Lint (and with ``fix``/``diff``, fix) one notebook file: the runner's notebook path."""
    from hyperlint.runner import FileOutcome

    try:
        data = read_source_file(path)  # refuses FIFOs and devices
    except OSError as exc:
        message = f"cannot read file: {exc.strerror or exc}"
        return FileOutcome(display, [error_finding(display, message)], error=message)
    try:
        text, bom = decode_notebook(data)
    except NotebookError as exc:
        return FileOutcome(display, [error_finding(display, str(exc), exc.row, exc.column)], error=str(exc))
    if not fix and not diff:
        result = lint_notebook_text(linter, text, display, path, "utf-8", bom)
        return FileOutcome(display, result.findings, result.source, error=result.error)
    before = lint_notebook_text(linter, text, display, path, "utf-8", bom)
    if before.error is not None:
        return FileOutcome(display, before.findings, before.source, error=before.error)
    outcome = fix_notebook_text(linter, text, display, path, unsafe, before)
    if not outcome.changed:
        return FileOutcome(display, outcome.remaining, before.source, error=outcome.error)
    if diff:
        return FileOutcome(display, before.findings, before.source, dict(outcome.fixed),
                           cell_diff(display, outcome.sources), outcome.error)
    new_source = outcome.result.source
    new_source.bom = bom
    try:
        current = path.read_bytes()
    except OSError as exc:
        return FileOutcome(display, before.findings, before.source, error=f"cannot re-read before writing: {exc}")
    if current != data:
        message = "file changed on disk while it was being fixed; not written"
        return FileOutcome(display, before.findings + [error_finding(display, message)], before.source, error=message)
    write_atomic(path, new_source.to_bytes())
    return FileOutcome(display, outcome.remaining, new_source, dict(outcome.fixed), error=outcome.error)


# --- editors that open the .ipynb as JSON text ----------------------------------------------------
def to_json_positions(result: LintResult) -> list[Finding]:
    """The findings of a notebook placed in its JSON text (rows, columns, offsets and fix edits),
    for an editor showing the ``.ipynb`` file itself. A fix becomes one edit of the JSON text
    (the changed part of the cell's ``source``); ``cell`` stays set, the cell-relative start and
    end are in ``extra["cell_start"]``/``extra["cell_end"]`` and the JSON edit that adds a
    ``# noqa`` for the finding (or None) in ``extra["noqa_edit"]``. Findings without a cell (an
    invalid notebook) are already in JSON positions."""
    from hyperlint.editor import noqa_edits

    notebook = getattr(result.source, "notebook", None)
    if notebook is None:
        return list(result.findings)
    try:
        layout = notebook.layout
    except JsonLayoutError:
        return list(result.findings)
    json_text = SourceText(notebook.text)
    out = []
    for finding in result.findings:
        cell = notebook.cell_by_number(finding.cell) if finding.cell is not None else None
        if cell is None or cell.index not in layout.sources:
            out.append(finding)
            continue
        start = layout.json_offset(cell.index, finding.start_offset)
        end = max(layout.json_offset(cell.index, finding.end_offset), start)
        noqa_row = json_text.position(layout.json_offset(cell.index, cell.text.offset(finding.noqa_row or 1, 0))).row
        fix = finding.fix
        if fix is not None and fix.edits:
            edit = _json_edit(notebook, fix.edits)
            fix = Fix(fix.message, fix.applicability, (edit,)) if edit else Fix(fix.message, Applicability.DISPLAY_ONLY)
        [cell_noqa] = noqa_edits(cell.text, [dataclasses.replace(finding, cell=None)])
        noqa_edit = _json_edit(notebook, [CellTextEdit(*dataclasses.astuple(cell_noqa), cell.number)]) if cell_noqa else None
        out.append(dataclasses.replace(
            finding, start=json_text.position(start), end=json_text.position(end), start_offset=start,
            end_offset=end, noqa_row=noqa_row, statement_rows=None, fix=fix,
            extra={**finding.extra, "cell_start": finding.start, "cell_end": finding.end, "noqa_edit": noqa_edit},
        ))
    return out


def _json_edit(notebook: Notebook, edits) -> TextEdit | None:
    """One edit of the notebook's JSON text doing what the cell edits do (None if it cannot)."""
    per_cell: dict[int, list[TextEdit]] = {}
    for edit in edits:
        per_cell.setdefault(getattr(edit, "cell", 0), []).append(edit)
    sources = {}
    for number, cell_edits in per_cell.items():
        cell = notebook.cell_by_number(number)
        if cell is None:
            return None
        text = cell.source
        for edit in sorted(cell_edits, key=lambda e: (e.start, e.end), reverse=True):
            text = text[: edit.start] + edit.content + text[edit.end :]
        sources[cell.index] = text
    return single_edit(notebook.text, notebook.with_sources(sources))


def lint_notebook_document(documents, text: str, path: Path, display: str) -> LintResult:
    """``hyperlint.editor.SUFFIX_LINTERS`` entry: a notebook buffer opened as JSON text, with the
    findings in positions of that text (``documents`` is the editor's ``DocumentLinter``)."""
    result = lint_notebook_text(documents.linter_for(path), text, display, path)
    return LintResult(display, to_json_positions(result), SourceText(text), error=result.error)


def fixed_notebook_document(documents, text: str, path: Path, unsafe: bool = False) -> str:
    """The notebook buffer's JSON text with every applicable fix applied (unchanged if invalid)."""
    return fix_notebook_text(documents.linter_for(path), text, str(path), path, unsafe).text


# --- notebook cells that editors sync as documents of their own -----------------------------------
# VS Code sends each cell of an open notebook as a text document (`vscode-notebook-cell:` URI) to
# a server that does not sync notebooks: such a cell is checked alone, as IPython, with the
# settings of its notebook. The server marks it with this suffix on the notebook's path.
CELL_DOCUMENT_SUFFIX = ".ipynb-cell"


def cell_document_path(notebook_path: Path) -> Path:
    return notebook_path.with_name(notebook_path.name + "-cell" if is_notebook(notebook_path)
                                   else notebook_path.name + CELL_DOCUMENT_SUFFIX)


def _lint_cell(linter: Linter, text: str, display: str, path: Path) -> LintResult:
    cell = CodeCell(0, text, mask_cell(text))
    cell.error = _syntax_error(cell.masked.python)
    notebook = Notebook(text, {"cells": []}, [cell])
    notebook_path = path.with_name(path.name[: -len("-cell")]) if path.name.endswith("-cell") else path
    result = lint_notebook(linter, notebook, display, notebook_path)
    findings = [dataclasses.replace(f, cell=None) for f in result.findings]  # the cell is the document
    return LintResult(display, findings, SourceText(text), error=None)


def lint_cell_document(documents, text: str, path: Path, display: str) -> LintResult:
    """``hyperlint.editor.SUFFIX_LINTERS`` entry for one notebook cell synced as a document:
    IPython syntax is understood; positions and fix edits are in the cell's own text."""
    return _lint_cell(documents.linter_for(path), text, display, path)


def fixed_cell_document(documents, text: str, path: Path, unsafe: bool = False) -> str:
    """The cell's text with every applicable fix applied, never leaving it unparseable."""
    linter = documents.linter_for(path)
    findings = _lint_cell(linter, text, str(path), path).findings
    for _ in range(MAX_ROUNDS):
        candidates = [f for f in findings if applicable(f, unsafe)]
        if not candidates:
            break
        new_text, _accepted = apply_edits(text, candidates)
        if new_text == text or _syntax_error(mask_cell(new_text).python) is not None:
            break
        text = new_text
        findings = _lint_cell(linter, text, str(path), path).findings
    return text
