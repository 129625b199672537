"""Where the cells' ``source`` values sit in a notebook's JSON text, to map a cell position to the
JSON text (editors that open the ``.ipynb`` as JSON) and to rewrite one cell's source without
touching a byte of anything else (outputs, metadata, other cells)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_NON_LATIN_ESCAPE = re.compile(r"\\u(?!00[0-7])[0-9a-fA-F]{4}")


class JsonLayoutError(ValueError):
    """The text is not the JSON it was said to be (json.loads should have caught it first)."""


@dataclass
class SourceValue:
    """The ``source`` value of one cell: its span and, for a list, the span of each string."""

    start: int
    end: int
    is_list: bool
    strings: list[tuple[int, int]] = field(default_factory=list)  # spans including the quotes


@dataclass
class NotebookLayout:
    text: str
    sources: dict[int, SourceValue]  # 0-based cell index -> its source value
    indent_unit: str
    ensure_ascii: bool

    # --- positions ------------------------------------------------------------------------------
    def json_offset(self, cell: int, char_offset: int) -> int:
        """Offset in the JSON text of character ``char_offset`` of cell ``cell``'s decoded source."""
        value = self.sources[cell]
        remaining = max(char_offset, 0)
        for number, (start, end) in enumerate(value.strings):
            raw = self.text[start + 1 : end - 1]
            consumed, raw_index = _walk(raw, remaining)
            last = number == len(value.strings) - 1
            if consumed == remaining and (raw_index < len(raw) or last):
                return start + 1 + raw_index
            remaining -= consumed
        return value.strings[-1][1] - 1 if value.strings else value.start + 1

    # --- rewriting ------------------------------------------------------------------------------
    def replace_sources(self, new_sources: dict[int, str]) -> str:
        """The JSON text with the source of each given cell replaced, in the file's own style."""
        text = self.text
        for cell in sorted(new_sources, key=lambda c: self.sources[c].start, reverse=True):
            value = self.sources[cell]
            rendered = self._render(value, new_sources[cell])
            text = text[: value.start] + rendered + text[value.end :]
        return text

    def _render(self, value: SourceValue, source: str) -> str:
        dump = lambda s: json.dumps(s, ensure_ascii=self.ensure_ascii)  # noqa: E731
        if not value.is_list:
            return dump(source)
        lines = source.splitlines(keepends=True)
        if not lines:
            return "[]"
        first = closing = ""
        if value.strings:
            first = self.text[value.start + 1 : value.strings[0][0]]
            closing = self.text[value.strings[-1][1] : value.end - 1]
        if "\n" not in first and (value.strings or not self.indent_unit):
            first = closing = ""  # a list written on one line stays on one line
        elif "\n" not in first:  # `[]` in an indented file: lay the list out as the writer would
            line_start = self.text.rfind("\n", 0, value.start) + 1
            key_indent = _WHITESPACE.match(self.text, line_start).group(0)
            first, closing = "\n" + key_indent + self.indent_unit, "\n" + key_indent
        separator = "," + first if "\n" in first else ", "
        return "[" + first + separator.join(dump(line) for line in lines) + closing + "]"


def _walk(raw: str, wanted: int) -> tuple[int, int]:
    """Decode up to ``wanted`` characters of the raw JSON string body ``raw``: (characters
    decoded, raw index reached)."""
    count = index = 0
    length = len(raw)
    while count < wanted and index < length:
        if raw[index] == "\\":
            if raw.startswith("u", index + 1):
                code = int(raw[index + 2 : index + 6], 16)
                index += 6
                if 0xD800 <= code < 0xDC00 and raw.startswith("\\u", index):
                    low = int(raw[index + 2 : index + 6], 16)
                    if 0xDC00 <= low < 0xE000:
                        index += 6
            else:
                index += 2
        else:
            index += 1
        count += 1
    return count, index


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text

    def skip_ws(self, index: int) -> int:
        return _WHITESPACE.match(self.text, index).end()

    def expect(self, index: int, char: str) -> int:
        if not self.text.startswith(char, index):
            raise JsonLayoutError(f"expected {char!r} at offset {index}")
        return index + 1

    def value_end(self, index: int) -> int:
        """Skip one JSON value starting at ``index`` (no whitespace before it)."""
        char = self.text[index : index + 1]
        if char == '"':
            return scanstring(self.text, index + 1)[1]
        if char in "{[":
            closing = "}" if char == "{" else "]"
            index = self.skip_ws(index + 1)
            if self.text.startswith(closing, index):
                return index + 1
            while True:
                if char == "{":
                    index = self.skip_ws(self.value_end(index))
                    index = self.skip_ws(self.expect(index, ":"))
                index = self.skip_ws(self.value_end(index))
                if self.text.startswith(",", index):
                    index = self.skip_ws(index + 1)
                    continue
                return self.expect(index, closing)
        match = _SCALAR.match(self.text, index)
        if match is None:
            raise JsonLayoutError(f"unexpected character at offset {index}")
        return match.end()

    def members(self, index: int):
        """(key, value start, value end) of the object at ``index``; returns after the object."""
        index = self.skip_ws(self.expect(index, "{"))
        if self.text.startswith("}", index):
            return
        while True:
            key, index = scanstring(self.text, self.expect(index, '"'))
            index = self.skip_ws(self.expect(self.skip_ws(index), ":"))
            end = self.value_end(index)
            yield key, index, end
            index = self.skip_ws(end)
            if self.text.startswith(",", index):
                index = self.skip_ws(index + 1)
                continue
            self.expect(index, "}")
            return

    def elements(self, index: int):
        """(start, end) of each element of the array at ``index``."""
        index = self.skip_ws(self.expect(index, "["))
        if self.text.startswith("]", index):
            return
        while True:
            end = self.value_end(index)
            yield index, end
            index = self.skip_ws(end)
            if self.text.startswith(",", index):
                index = self.skip_ws(index + 1)
                continue
            self.expect(index, "]")
            return


def scan_layout(text: str) -> NotebookLayout:
    """The layout of a notebook's JSON text (which must already be known to be valid JSON)."""
    scanner = _Scanner(text)
    sources: dict[int, SourceValue] = {}
    top = scanner.skip_ws(0)
    for key, start, _end in scanner.members(top):
        if key != "cells" or not text.startswith("[", start):
            continue
        sources = {}  # a repeated key: the last one wins, as in json.loads
        for cell_index, (cell_start, _cell_end) in enumerate(scanner.elements(start)):
            if not text.startswith("{", cell_start):
                continue
            for cell_key, value_start, value_end in scanner.members(cell_start):
                if cell_key != "source":
                    continue
                is_list = text.startswith("[", value_start)
                strings = list(scanner.elements(value_start)) if is_list else [(value_start, value_end)]
                sources[cell_index] = SourceValue(value_start, value_end, is_list, strings)
    return NotebookLayout(text, sources, _indent_unit(text, top), _ensure_ascii(text))


def _indent_unit(text: str, top: int) -> str:
    """The indentation of the top object's first key (nbformat writes one space)."""
    index = top + 1
    newline = text.find("\n", index)
    if newline < 0 or text[index:newline].strip():
        return ""
    return _WHITESPACE.match(text, newline + 1).group(0).replace("\n", "").replace("\r", "")


def _ensure_ascii(text: str) -> bool:
    """Whether the file escapes non-ASCII characters (nbformat's writer does not)."""
    return text.isascii() and _NON_LATIN_ESCAPE.search(text) is not None
