"""Reading, decoding and locating text in a source file."""
from __future__ import annotations

import bisect
import codecs
import errno
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass, field

from hyperlint.finding import Position

_NEWLINE = re.compile(r"\r\n|\r|\n")


def read_source_file(path) -> bytes:
    """The bytes of a regular file. A FIFO, a device or a socket is refused rather than read: reading
    one could block for ever (a FIFO with no writer) or never end (/dev/zero)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)  # O_NONBLOCK: opening a FIFO does not wait for a writer
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a folder" if stat.S_ISDIR(mode) else "a device or socket"
            raise OSError(errno.EINVAL, f"not a regular file ({kind})", str(path))
        return handle.read()


class DecodeError(Exception):
    """The bytes of a file are not text in the encoding it declares."""

    def __init__(self, message: str, row: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass
class SourceText:
    """Decoded text of one file, with what is needed to write it back byte-for-byte."""

    text: str
    encoding: str = "utf-8"
    bom: bool = False
    _line_starts: list[int] | None = field(default=None, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes) -> "SourceText":
        if b"\x00" in data:
            row = data.count(b"\n", 0, data.index(b"\x00")) + 1
            raise DecodeError("file contains a NUL byte; it is not Python source text", row)
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            if "encoding declaration" not in str(exc):
                raise DecodeError(f"cannot determine the encoding: {exc}") from None
            encoding = "utf-8"  # no usable cookie and not UTF-8: the decode below says where
        bom = encoding == "utf-8-sig"
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            row = data.count(b"\n", 0, exc.start) + 1
            column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise DecodeError(
                f"cannot decode as {codecs.lookup(encoding).name}: byte 0x{data[exc.start]:02x} is invalid"
                " (declare the encoding with a `# -*- coding: ... -*-` line or save the file as UTF-8)",
                row,
                column,
            ) from None
        if bom and text.startswith("\ufeff"):
            text = text[1:]
        return cls(text=text, encoding="utf-8" if bom else encoding, bom=bom)

    def to_bytes(self, text: str | None = None) -> bytes:
        body = (self.text if text is None else text).encode(self.encoding)
        return codecs.BOM_UTF8 + body if self.bom else body

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.text)]
        return self._line_starts

    def offset(self, row: int, column0: int) -> int:
        """Offset of a 1-based row and 0-based column."""
        starts = self.line_starts
        row = min(max(row, 1), len(starts))
        return min(starts[row - 1] + column0, len(self.text))

    def position(self, offset: int) -> Position:
        starts = self.line_starts
        index = bisect.bisect_right(starts, offset) - 1
        return Position(index + 1, offset - starts[index] + 1)

    def line(self, row: int) -> str:
        starts = self.line_starts
        if not 1 <= row <= len(starts):
            return ""
        end = starts[row] if row < len(starts) else len(self.text)
        return self.text[starts[row - 1] : end].rstrip("\r\n")

    @property
    def newline(self) -> str:
        match = _NEWLINE.search(self.text)
        return match.group(0) if match else "\n"
