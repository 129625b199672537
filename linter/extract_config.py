"""``hyperlint extract-config``: move every hard-coded hyperparameter (the HL1 findings that
have an automatic fix) into the configuration the script already uses, and nothing else.

It is ``check --fix --unsafe-fixes`` restricted to the HL1 rules that plan a fix; a value that
cannot be moved is listed with the reason."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hyperlint.discovery import discover
from hyperlint.engine import Linter
from hyperlint.finding import Finding
from hyperlint.registry import all_rules
from hyperlint.runner import display_path, lint_file
from hyperlint.settings import Settings


@dataclass
class Extraction:
    path: str
    moved: int = 0
    options: list[str] = field(default_factory=list)  # the options the values now come from
    skipped: list[Finding] = field(default_factory=list)  # HL1 findings left in place, with the reason
    diff: str = ""
    error: str | None = None


def planned_codes(enabled: set[str]) -> set[str]:
    """The enabled rules whose findings are moved (the HL1 rules with a fix planner)."""
    return {r.code for r in all_rules() if r.fix_planner is not None and r.code.startswith("HL1") and r.code in enabled}


def extract(paths: list[Path], settings: Settings, enabled: set[str], diff: bool = False) -> list[Extraction]:
    codes = planned_codes(enabled)
    linter = Linter(settings, codes)
    out: list[Extraction] = []
    for item in discover(paths, settings, suffixes=(".py",)):
        display = display_path(item.path)
        if item.error is not None:
            out.append(Extraction(display, error=item.error))
            continue
        before = linter.lint_path(item.path, display)
        if before.error is not None:
            out.append(Extraction(display, error=before.error))
            continue
        options = sorted({f.extra["config_fix"]["option"] for f in before.findings
                          if f.fix is not None and f.fix.edits and "option" in f.extra.get("config_fix", {})})
        outcome = lint_file(linter, item.path, fix=True, unsafe=True, diff=diff)
        moved = sum(outcome.fixed.values())
        left = outcome.findings if not diff else [f for f in outcome.findings if not (f.fix and f.fix.edits)]
        extraction = Extraction(display, moved, options if moved else [], [f for f in left if f.code in codes],
                                outcome.diff, outcome.error)
        out.append(extraction)
    return out


def render(extractions: list[Extraction], diff: bool) -> tuple[str, str]:
    """(stdout, stderr): without --diff, what was moved and what was not, then a summary; with
    --diff, the diff on stdout and the rest on stderr."""
    lines: list[str] = []
    moved = files = left = 0
    for item in extractions:
        if item.error:
            lines.append(f"{item.path}: error: {item.error}")
            continue
        if item.moved:
            files += 1
            moved += item.moved
            names = ", ".join(item.options)
            verb = "would move" if diff else "moved"
            lines.append(f"{item.path}: {verb} {item.moved} hard-coded value{'s' if item.moved != 1 else ''}"
                         + (f" into the configuration ({names})" if names else ""))
        for finding in item.skipped:
            left += 1
            reason = finding.extra.get("config_fix", {}).get("skipped") or "its fix could not be applied"
            lines.append(f"{item.path}:{finding.start.row}:{finding.start.column}: {finding.code} not moved: {reason}")
    report = "".join(line + "\n" for line in lines)
    summary = (f"{'Would move' if diff else 'Moved'} {moved} hard-coded value{'s' if moved != 1 else ''} in {files} "
               f"file{'s' if files != 1 else ''}" + (f"; {left} left in place." if left else ".") + "\n")
    if diff:
        return "".join(item.diff for item in extractions), report + summary
    return report, summary
