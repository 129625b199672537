"""``# noqa`` comments: per line, per file (``# hyperlint: noqa``), and which ones went unused."""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

_LINE_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?", re.I)
_FILE_NOQA = re.compile(r"#\s*hyperlint:\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]*(?:[\s,]+[A-Za-z]+[0-9]*)*))?", re.I)
_CODE = re.compile(r"[A-Za-z]+[0-9]*")


@dataclass
class LineDirective:
    row: int
    column: int  # 1-based column of the '#'
    end_column: int
    codes: tuple[str, ...] | None  # None: bare noqa
    used: set[str] = field(default_factory=set)
    used_bare: bool = False


@dataclass
class Directives:
    lines: dict[int, LineDirective] = field(default_factory=dict)
    file_all: bool = False
    file_codes: tuple[str, ...] = ()
    # rows whose line ends inside a string (a comment cannot be placed there)
    string_rows: set[int] = field(default_factory=set)

    def file_suppresses(self, code: str) -> bool:
        return self.file_all or any(code.startswith(prefix) for prefix in self.file_codes)

    def line_suppresses(self, code: str, rows) -> bool:
        for row in rows:
            directive = self.lines.get(row)
            if directive is None:
                continue
            if directive.codes is None:
                directive.used_bare = True
                return True
            for listed in directive.codes:
                if code.startswith(listed) and listed.startswith("HL") or code == listed:
                    directive.used.add(listed)
                    return True
        return False


def _comments(text: str):
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):  # a lone CR ends a row too
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.start[1], token.string
            elif token.type == tokenize.STRING and token.start[0] != token.end[0]:
                yield token.start[0], -1, (token.start[0], token.end[0])
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return


def parse_directives(text: str) -> Directives:
    directives = Directives()
    if "noqa" not in text and "NOQA" not in text.upper():
        return directives
    for row, column, comment in _comments(text):
        if column < 0:
            start, end = comment
            directives.string_rows.update(range(start, end))
            continue
        file_match = _FILE_NOQA.search(comment)
        if file_match:
            codes = file_match.group("codes")
            if codes:
                directives.file_codes += tuple(c.upper() for c in _CODE.findall(codes))
            else:
                directives.file_all = True
            continue
        match = _LINE_NOQA.search(comment)
        if match:
            codes = match.group("codes")
            parsed = tuple(c.upper() for c in _CODE.findall(codes)) if codes else None
            directives.lines[row] = LineDirective(
                row, column + 1 + match.start(), column + 1 + match.end(), parsed
            )
    return directives


def string_rows(text: str) -> set[int]:
    """Rows that end inside a multi-line string."""
    rows: set[int] = set()
    for row, column, comment in _comments(text):
        if column < 0:
            start, end = comment
            rows.update(range(start, end))
    return rows
