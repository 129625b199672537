"""The one finding model every front end reads: CLI formats, fixes, the language server, flake8."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Applicability(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True, order=True)
class Position:
    """1-based row, 1-based column counted in characters (as Ruff's JSON does)."""

    row: int
    column: int

    def as_json(self) -> dict:
        return {"column": self.column, "row": self.row}


@dataclass(frozen=True)
class TextEdit:
    """Replace source[start:end] (character offsets into the decoded text) with content."""

    start: int
    end: int
    content: str


@dataclass(frozen=True)
class Fix:
    message: str
    applicability: Applicability
    edits: tuple[TextEdit, ...] = ()

    @property
    def is_automatic(self) -> bool:
        return bool(self.edits) and self.applicability is not Applicability.DISPLAY_ONLY


@dataclass
class Finding:
    code: str
    message: str
    path: str
    start: Position
    end: Position
    fix: Fix | None = None
    noqa_row: int | None = None
    cell: int | None = None
    # offsets into the decoded text, kept so fixes and notebooks can map back
    start_offset: int = 0
    end_offset: int = 0
    # rows of the enclosing statement: a noqa comment on either also suppresses
    statement_rows: tuple[int, int] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.code[:3]

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.start.row, self.start.column, self.code)
