"""``hyperlint check --add-noqa``: write ``# noqa: CODE`` comments for today's findings.

A comment goes on the finding's ``noqa_row`` (the engine moves it out of multi-line strings), or
on another row of its statement where that row cannot take a comment. It is merged into an
existing ``# noqa: X`` on that row. Nothing is ever put inside a string, after a backslash
continuation or on an IPython magic line; a file whose code (its syntax tree) would change is not
written.
"""
from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import libcst as cst

from hyperlint.finding import Finding
from hyperlint.atomic import write_atomic
from hyperlint.noqa import parse_directives
from hyperlint.source import SourceText

# findings a line comment cannot suppress (parse errors, time-outs, internal errors), and unused
# noqa directives (HL002), which `--fix` removes: suppressing those would only add noise
UNSUPPRESSIBLE = {"HL001", "HL002", "HL003", "HL004"}


@dataclass
class NoqaOutcome:
    added: int = 0  # directives written or extended
    files: list[str] = field(default_factory=list)  # files written
    skipped: list[str] = field(default_factory=list)  # "path:row: why" for findings left as they were
    errors: list[str] = field(default_factory=list)  # files not written, and why


_STRING_STARTS = {getattr(tokenize, n) for n in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, n)}
_STRING_ENDS = {getattr(tokenize, n) for n in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, n)}


def string_rows(text: str) -> set[int]:
    """Rows that end inside a string, f-strings included (Python 3.12+ tokenizes those in parts)."""
    rows: set[int] = set()
    opened: list[int] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING:
                rows.update(range(token.start[0], token.end[0]))
            elif token.type in _STRING_STARTS:
                opened.append(token.start[0])
            elif token.type in _STRING_ENDS and opened:
                rows.update(range(opened.pop(), token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return rows


def _candidate_rows(finding: Finding) -> list[int]:
    rows = [finding.noqa_row or finding.start.row]
    if finding.statement_rows is not None:
        rows += [row for row in finding.statement_rows if row not in rows]
    return rows


def _row_problem(text: SourceText, row: int, strings: set[int], masked: set[int]) -> str | None:
    if row in strings:
        return "the line ends inside a string"
    if row in masked:
        return "the line is IPython syntax"
    if text.line(row).rstrip().endswith("\\"):
        return "the line ends with a backslash continuation"
    return None


def add_to_text(text: str, findings: Iterable[Finding], python: str | None = None,
                masked: set[int] = frozenset()) -> tuple[str, int, list[tuple[Finding, str]]]:
    """``text`` with noqa comments for ``findings``; ``python`` is the text as Python sees it (for
    a notebook cell: IPython syntax masked, same rows). Returns (new text, directives added or
    extended, findings skipped with the reason)."""
    source = SourceText(text)
    python = text if python is None else python
    strings = string_rows(python)
    directives = parse_directives(python)
    wanted: dict[int, set[str]] = {}
    skipped: list[tuple[Finding, str]] = []
    for finding in findings:
        if finding.code in UNSUPPRESSIBLE:
            continue
        problems = [(row, _row_problem(source, row, strings, masked)) for row in _candidate_rows(finding)]
        usable = [row for row, problem in problems if problem is None]
        if not usable:
            skipped.append((finding, problems[0][1] or "no line can take a comment"))
            continue
        wanted.setdefault(usable[0], set()).add(finding.code)

    lines = {row: source.line(row) for row in wanted}
    added = 0
    for row, codes in wanted.items():
        line = lines[row]
        directive = directives.lines.get(row)
        if directive is not None and directive.codes is None:
            continue  # a bare `# noqa` already covers every code
        if directive is not None:
            existing = list(directive.codes)
            merged = existing + sorted(c for c in codes if c not in existing)
            if merged == existing:
                continue
            comment = "# noqa: " + ", ".join(merged)
            lines[row] = line[: directive.column - 1] + comment + line[directive.end_column - 1 :]
        else:
            lines[row] = line.rstrip() + "  # noqa: " + ", ".join(sorted(codes))
        added += 1

    for row in sorted(wanted, reverse=True):
        start = source.line_starts[row - 1]
        old = source.line(row)
        text = text[:start] + lines[row] + text[start + len(old) :]
    return text, added, skipped


def same_code(old: str, new: str) -> bool:
    """Whether ``new`` is ``old`` with only comments changed: it parses to the same syntax tree
    (a comment that landed inside a string would change the tree)."""
    try:
        before = ast.dump(ast.parse(old))
    except (SyntaxError, ValueError):  # newer syntax than this Python: libcst must still parse it
        try:
            cst.parse_module(new)
        except Exception:
            return False
        return True
    try:
        return ast.dump(ast.parse(new)) == before
    except (SyntaxError, ValueError):
        return False


def _new_notebook_text(source, findings: list[Finding], outcome: NoqaOutcome, display: str):
    from hyperlint.notebook import Notebook, NotebookError

    notebook = source.notebook
    by_cell: dict[int, list[Finding]] = {}
    for finding in findings:
        if finding.cell is not None:
            by_cell.setdefault(finding.cell, []).append(finding)
    sources: dict[int, str] = {}
    added = 0
    for number, cell_findings in by_cell.items():
        cell = notebook.cell_by_number(number)
        if cell is None or cell.error is not None:
            continue
        new, count, skipped = add_to_text(cell.source, cell_findings, cell.masked.python, cell.masked.masked_rows())
        outcome.skipped += [f"{display}:cell {number}:{f.start.row}: {why}" for f, why in skipped]
        if count:
            sources[cell.index] = new
            added += count
    if not sources:
        return None, 0
    new_text = notebook.with_sources(sources)
    try:
        new_notebook = Notebook.from_text(new_text)
    except NotebookError as exc:
        outcome.errors.append(f"{display}: not written: adding noqa comments would make it invalid ({exc})")
        return None, 0
    old_cells = {c.index: c for c in notebook.cells}
    for cell in new_notebook.cells:
        if cell.index in sources and not same_code(old_cells[cell.index].masked.python, cell.masked.python):
            outcome.errors.append(f"{display}: not written: adding noqa comments would change cell {cell.number}")
            return None, 0
    return new_text, added


def add_noqa(files: Iterable[tuple[str, SourceText | None, list[Finding]]]) -> NoqaOutcome:
    """Write noqa comments into each (path, source it was linted from, findings) file."""
    outcome = NoqaOutcome()
    for display, source, findings in files:
        findings = [f for f in findings if f.code not in UNSUPPRESSIBLE]
        if source is None or not findings:
            continue
        if getattr(source, "notebook", None) is not None:
            new_text, added = _new_notebook_text(source, findings, outcome, display)
        else:
            new_text, added, skipped = add_to_text(source.text, findings)
            outcome.skipped += [f"{display}:{f.start.row}: {why}" for f, why in skipped]
            if added and not same_code(source.text, new_text):
                outcome.errors.append(f"{display}: not written: adding noqa comments would change the code")
                continue
        if not added or new_text is None:
            continue
        path = Path(display)
        try:
            if path.read_bytes() != source.to_bytes():
                outcome.errors.append(f"{display}: not written: the file changed on disk during the run")
                continue
            write_atomic(path, source.to_bytes(new_text))
        except OSError as exc:
            outcome.errors.append(f"{display}: not written: {exc.strerror or exc}")
            continue
        outcome.added += added
        outcome.files.append(display)
    return outcome
