"""Positions as the Language Server Protocol counts them.

An LSP position is a 0-based line and a 0-based offset into that line counted in the code
units of the negotiated encoding: UTF-16 unless client and server agreed on UTF-8 or UTF-32.
hyperlint counts characters (code points). Lines end at ``\\r\\n``, ``\\r`` or ``\\n`` for both,
never at the other characters ``str.splitlines`` breaks on (form feed, U+2028...).
"""
from __future__ import annotations

from hyperlint.source import SourceText

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def code_units(text: str, encoding: str = UTF16) -> int:
    """Length of ``text`` in the code units of ``encoding``."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def characters_for_units(line: str, units: int, encoding: str = UTF16) -> int:
    """How many characters of ``line`` the first ``units`` code units cover (clamped to the line)."""
    if units <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return min(units, len(line))
    counted = 0
    for index, char in enumerate(line):
        if counted >= units:
            return index
        counted += code_units(char, encoding)
    return len(line)


class LineIndex:
    """Converts between hyperlint's locations in one text and LSP (line, character) pairs."""

    def __init__(self, text: str | SourceText, encoding: str = UTF16) -> None:
        self.source = text if isinstance(text, SourceText) else SourceText(text)
        self.encoding = encoding

    @property
    def text(self) -> str:
        return self.source.text

    def _line_bounds(self, line: int) -> tuple[int, int]:
        """Start offset and end offset (before the line break) of a 0-based line."""
        starts = self.source.line_starts
        start = starts[line]
        end = starts[line + 1] if line + 1 < len(starts) else len(self.text)
        while end > start and self.text[end - 1] in "\r\n":
            end -= 1
        return start, end

    def position_at(self, offset: int) -> tuple[int, int]:
        """LSP (line, character) of a character offset."""
        offset = min(max(offset, 0), len(self.text))
        position = self.source.position(offset)
        line = position.row - 1
        start, end = self._line_bounds(line)
        return line, code_units(self.text[start : min(offset, end)], self.encoding)

    def position_of(self, row: int, column: int) -> tuple[int, int]:
        """LSP (line, character) of a 1-based row and 1-based character column (a Finding's)."""
        last = len(self.source.line_starts)
        if row > last:  # past the end: the end of the text
            return self.position_at(len(self.text))
        line = max(row, 1) - 1
        start, end = self._line_bounds(line)
        return line, code_units(self.text[start : min(start + max(column, 1) - 1, end)], self.encoding)

    def offset_at(self, line: int, character: int) -> int:
        """Character offset of an LSP position; positions past a line's end mean its end."""
        starts = self.source.line_starts
        if line < 0:
            return 0
        if line >= len(starts):
            return len(self.text)
        start, end = self._line_bounds(line)
        return start + characters_for_units(self.text[start:end], character, self.encoding)

    def apply_change(self, start: tuple[int, int], end: tuple[int, int], new_text: str) -> str:
        """The text with the LSP range [start, end) replaced by ``new_text``."""
        begin = self.offset_at(*start)
        finish = max(self.offset_at(*end), begin)
        return self.text[:begin] + new_text + self.text[finish:]
