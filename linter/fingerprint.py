"""Identities of findings that survive edits elsewhere in the file.

A finding is identified by its file, its code and the text of the lines it covers (whitespace
normalised), plus an occurrence index among findings of the same file with the same code and text.
Row numbers are deliberately left out, so inserting or deleting lines above a finding keeps its
identity. Used by the baseline (``--baseline``) and by stable fingerprints (``gitlab``, ``sarif``).
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable

from hyperlint.finding import Finding
from hyperlint.source import SourceText

# a statement that spans many lines is identified by its first ones: enough to tell it apart,
# and an edit deep inside a long call does not turn an old finding into a "new" one
MAX_CONTEXT_LINES = 5


@dataclass(frozen=True, order=True)
class FindingKey:
    path: str
    code: str
    context: str
    occurrence: int

    def digest(self) -> str:
        data = "\0".join((self.path, self.code, self.context, str(self.occurrence)))
        return hashlib.sha256(data.encode("utf-8")).hexdigest()


def normalise(line: str) -> str:
    return " ".join(line.split())


def context_text(finding: Finding, source: SourceText | None) -> str:
    """The whitespace-normalised text of the lines a finding covers (cell-relative in notebooks)."""
    if source is None:
        return ""
    last = min(finding.end.row, finding.start.row + MAX_CONTEXT_LINES - 1)
    lines = (normalise(source.line(row)) for row in range(finding.start.row, max(last, finding.start.row) + 1))
    return "\n".join(line for line in lines if line)


def finding_keys(
    findings: Iterable[Finding],
    source_of: Callable[[Finding], SourceText | None],
    path_of: Callable[[Finding], str] = lambda f: f.path,
) -> list[FindingKey]:
    """One key per finding, in the given order; occurrence indices count in position order."""
    findings = list(findings)
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    seen: Counter = Counter()
    keys: list[FindingKey | None] = [None] * len(findings)
    for index in order:
        finding = findings[index]
        base = (path_of(finding), finding.code, context_text(finding, source_of(finding)))
        keys[index] = FindingKey(*base, seen[base])
        seen[base] += 1
    return keys  # type: ignore[return-value]
