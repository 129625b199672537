"""IPython syntax in notebook cells (magics, shell escapes, help), turned into plain Python
with the same rows, so a cell can be parsed and every unmasked character keeps its place.

- a line magic, shell escape, help or autocall line (``%time``, ``!pip``, ``?obj``, ``obj??``,
  ``/f x``) becomes ``pass`` at the line's indentation (continued with ``\\`` over several rows);
- ``x = !ls`` / ``x = %who_ls`` keeps ``x = `` and gets an opaque ``...`` value;
- ``%time stmt`` / ``%timeit stmt`` (no options) keep ``stmt``: the prefix becomes ``pass;`` padded
  to its width, so a training call timed in a notebook is still checked;
- a cell magic whose body is Python (``%%time``, ``%%capture``...) masks only its first line;
  any other cell magic (``%%bash``, ``%%writefile``...) masks the whole cell (empty rows).
"""
from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

# cell magics that run their body as Python in the notebook's namespace
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "time_it"})
# line magics whose argument is one Python statement (kept when no options are given)
STATEMENT_LINE_MAGICS = frozenset({"time", "timeit"})

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ESCAPES = ("!", "%", "?", "/", ",", ";")
_ASSIGN_ESCAPE = re.compile(r"(?P<lhs>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*(?P<escape>[!%])")
_STATEMENT_MAGIC = re.compile(r"%(?P<name>\w+)(?P<space>[ \t]+)(?=[^\s-])")
_CELL_MAGIC = re.compile(r"%%(?P<name>\w+)")
_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try, ast.FunctionDef,
             ast.AsyncFunctionDef, ast.ClassDef, ast.Match, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


@dataclass(frozen=True)
class MaskedSpan:
    """Columns ``start``..``end`` (0-based, in the original line) of ``row`` (1-based) hold IPython
    syntax that the Python text does not show; nothing may be reported or edited there."""

    row: int
    start: int
    end: int


@dataclass
class MaskedCell:
    python: str
    spans: list[MaskedSpan]

    def masked_rows(self) -> set[int]:
        return {span.row for span in self.spans}


def split_lines(text: str) -> list[tuple[str, str]]:
    """(content, line break) pairs; a text ending with a break has no empty last pair."""
    out: list[tuple[str, str]] = []
    position = 0
    for match in _LINE_BREAK.finditer(text):
        out.append((text[position : match.start()], match.group(0)))
        position = match.end()
    if position < len(text) or not out:
        out.append((text[position:], ""))
    return out


class _Lexer:
    """Just enough of Python's tokenizer to know whether a row starts a logical line: open
    brackets, strings spanning rows and backslash continuations."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None  # the open string's quote, tripled for long strings
        self.continued = False
        self.last_significant = ""  # last character of the row outside strings and comments

    @property
    def at_line_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def snapshot(self) -> tuple:
        return self.depth, self.quote, self.continued

    def restore(self, state: tuple) -> None:
        self.depth, self.quote, self.continued = state

    def feed(self, line: str, start: int = 0) -> None:
        i, n = start, len(line)
        self.last_significant = ""
        self.continued = False
        while i < n:
            if self.quote is not None:
                quote = self.quote
                if line[i] == "\\":
                    i += 2
                    continue
                if line.startswith(quote, i):
                    self.quote = None
                    i += len(quote)
                    self.last_significant = quote[0]
                    continue
                i += 1
                continue
            char = line[i]
            if char == "#":
                break
            if char in "\"'":
                triple = char * 3
                self.quote = triple if line.startswith(triple, i) else char
                i += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(self.depth - 1, 0)
            if not char.isspace():
                self.last_significant = char
            i += 1
        if self.quote is not None and len(self.quote) == 1:
            # a one-quote string ends with its row unless the row ends with a backslash
            self.continued = line.endswith("\\")
            if not self.continued:
                self.quote = None
        elif self.quote is None:
            self.continued = self.last_significant == "\\" and line.rstrip().endswith("\\")


def _is_simple_statement(code: str) -> bool:
    """``code`` is one simple statement (what may follow ``pass;`` on a row)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return len(tree.body) == 1 and not isinstance(tree.body[0], _COMPOUND)


def _continuation_rows(rows: list[tuple[str, str]], index: int) -> int:
    """How many rows after ``index`` a masked escape continues over (backslash continuation)."""
    count = 0
    while index + count < len(rows) and rows[index + count][0].rstrip().endswith("\\"):
        count += 1
    return min(count, len(rows) - 1 - index)


def mask_cell(source: str) -> MaskedCell:
    """The Python text of a code cell's ``source`` with every IPython-only construct masked."""
    if not any(marker in source for marker in _ESCAPES):
        return MaskedCell(source, [])
    rows = split_lines(source)
    out = [content for content, _ in rows]
    spans: list[MaskedSpan] = []

    def mask_row(index: int, start: int, replacement: str, end: int | None = None) -> None:
        content = rows[index][0]
        spans.append(MaskedSpan(index + 1, start, len(content) if end is None else end))
        out[index] = content[:start] + replacement

    first = next((i for i, (content, _) in enumerate(rows) if content.strip()), None)
    begin = 0
    if first is not None and rows[first][0].startswith("%%"):
        match = _CELL_MAGIC.match(rows[first][0])
        if match is None or match.group("name") not in PYTHON_CELL_MAGICS:
            for index in range(len(rows)):
                if rows[index][0]:
                    mask_row(index, 0, "")
            return MaskedCell("".join(content + brk for content, (_, brk) in zip(out, rows)), spans)
        mask_row(first, 0, "pass")
        begin = first + 1

    lexer = _Lexer()
    index = begin
    while index < len(rows):
        content = rows[index][0]
        if not lexer.at_line_start:
            lexer.feed(content)
            index += 1
            continue
        stripped = content.lstrip()
        indent = len(content) - len(stripped)
        if stripped.startswith(_ESCAPES):
            statement = _STATEMENT_MAGIC.match(stripped)
            if (
                statement is not None
                and statement.group("name") in STATEMENT_LINE_MAGICS
                and len(statement.group(0)) >= len("pass;")
                and _is_simple_statement(stripped[statement.end():])
            ):
                width = statement.end()
                mask_row(index, indent, "pass;".ljust(width) + stripped[width:], indent + width)
                lexer.feed(content, indent + width)
                index += 1
                continue
            extra = _continuation_rows(rows, index)
            for offset in range(extra + 1):
                mask_row(index + offset, indent if offset == 0 else 0, "pass" if offset == 0 else "")
            index += extra + 1
            continue
        assign = _ASSIGN_ESCAPE.match(stripped)
        if assign is not None:
            start = indent + assign.start("escape")
            extra = _continuation_rows(rows, index)
            width = len(content) - start
            mask_row(index, start, "...".ljust(width))
            for offset in range(1, extra + 1):
                mask_row(index + offset, 0, "")
            index += extra + 1
            continue
        state = lexer.snapshot()
        lexer.feed(content)
        if lexer.last_significant == "?" and lexer.depth == 0 and lexer.quote is None:
            lexer.restore(state)  # `obj?` / `obj.attr??`: help, not Python
            mask_row(index, indent, "pass")
        index += 1
    text = "".join(content + brk for content, (_, brk) in zip(out, rows))
    return MaskedCell(text, spans)
