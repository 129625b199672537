"""Applying automatic fixes: to a fixed point, never to a file that would stop parsing,
written atomically with the file's permissions kept."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import libcst as cst

from hyperlint.common_ends import common_prefix, common_suffix
from hyperlint.finding import Applicability, Finding, TextEdit

MAX_ROUNDS = 10


def applicable(finding: Finding, unsafe: bool) -> bool:
    fix = finding.fix
    if fix is None or not fix.edits:
        return False
    if fix.applicability is Applicability.SAFE:
        return True
    return unsafe and fix.applicability is Applicability.UNSAFE


def apply_edits(text: str, findings: list[Finding]) -> tuple[str, list[Finding]]:
    """Apply the fixes of ``findings`` whose edits do not overlap an earlier accepted fix.

    An edit identical to one already accepted is shared, not a conflict, and applied once: the
    fixes of findings planned together (one config block for many hard-coded values) all carry
    the same shared insertions."""
    accepted: list[Finding] = []
    taken: dict[TextEdit, None] = {}
    for finding in sorted(findings, key=lambda f: min(e.start for e in f.fix.edits)):
        edits = finding.fix.edits
        if any(edit != other and _overlaps((edit.start, edit.end), (other.start, other.end))
               for edit in edits for other in taken):
            continue
        taken.update(dict.fromkeys(edits))
        accepted.append(finding)
    # applied back to front; insertions at one point keep their given order (the later one goes in first)
    order = {edit: i for i, edit in enumerate(taken)}
    edits: list[TextEdit] = sorted(taken, key=lambda e: (e.start, e.end, order[e]), reverse=True)
    for edit in edits:
        text = text[: edit.start] + edit.content + text[edit.end :]
    return text, accepted


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True  # two insertions at the same point: order would be ambiguous
    return a[0] < b[1] and b[0] < a[1] or (a[0] == a[1] and b[0] < a[0] < b[1]) or (b[0] == b[1] and a[0] < b[0] < a[1])


@dataclass
class FixOutcome:
    text: str
    fixed: Counter = field(default_factory=Counter)  # code -> number of fixes applied
    remaining: list[Finding] = field(default_factory=list)
    error: str | None = None  # why fixing stopped early (the last good text is kept)

    @property
    def changed(self) -> bool:
        return sum(self.fixed.values()) > 0


def fix_text(
    text: str, lint: Callable[[str], list[Finding]], unsafe: bool = False, codes: set[str] | None = None
) -> FixOutcome:
    """Lint, apply non-overlapping fixes, re-lint, until nothing applicable is left.

    Overlapping fixes wait for the next round (they are re-derived from the re-linted text). A
    round whose combined result does not parse (or no longer compiles, when the input did) is
    retried one fix at a time, keeping the first that gives valid code; a fix that breaks the
    code is never kept."""
    outcome = FixOutcome(text)
    findings = lint(text)
    compiled = _compiles(text)
    for _ in range(MAX_ROUNDS):
        candidates = [f for f in findings if applicable(f, unsafe) and (codes is None or f.code in codes)]
        if not candidates:
            break
        new_text, accepted = apply_edits(outcome.text, candidates)
        if new_text == outcome.text:
            break
        problem = _invalid(new_text, compiled)
        if problem is not None:
            new_text, accepted = outcome.text, []
            for candidate in candidates:
                single, taken = apply_edits(outcome.text, [candidate])
                if taken and single != outcome.text and _invalid(single, compiled) is None:
                    new_text, accepted = single, taken
                    break
            if not accepted:
                outcome.error = f"a fix produced {problem}; fixes stopped"
                break
        outcome.text = new_text
        outcome.fixed.update(f.code for f in accepted)
        findings = lint(new_text)
    outcome.remaining = findings
    return outcome


def _invalid(text: str, must_compile: bool) -> str | None:
    """Why ``text`` must not replace the file, or None when it is valid Python."""
    try:
        cst.parse_module(text)
    except Exception as exc:
        return f"code that does not parse ({type(exc).__name__})"
    if must_compile and not _compiles(text):
        return "code that does not compile"
    return None


def _compiles(text: str) -> bool:
    try:
        compile(text, "<hyperlint-fix>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def single_edit(old: str, new: str) -> TextEdit | None:
    """One edit turning ``old`` into ``new``: the changed middle, without the common ends."""
    if old == new:
        return None
    prefix = common_prefix(old, new)
    suffix = common_suffix(old, new, min(len(old), len(new)) - prefix)
    return TextEdit(prefix, len(old) - suffix, new[prefix : len(new) - suffix])
