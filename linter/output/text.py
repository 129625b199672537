"""``text`` (location, message, code frame, suggested fix) and ``concise`` (one line each)."""
from __future__ import annotations

from hyperlint.finding import Applicability, Finding
from hyperlint.output import Report, register, source_for


def location(finding: Finding) -> str:
    if finding.cell is not None:
        return f"{finding.path}:cell {finding.cell}:{finding.start.row}:{finding.start.column}"
    return f"{finding.path}:{finding.start.row}:{finding.start.column}"


def marker(finding: Finding, unsafe: bool = False) -> str:
    fix = finding.fix
    if fix is None or not fix.edits:
        return ""
    if fix.applicability is Applicability.SAFE or (unsafe and fix.applicability is Applicability.UNSAFE):
        return "[*] "
    return ""


@register("concise")
def render_concise(report: Report) -> str:
    lines = [f"{location(f)}: {f.code} {marker(f, report.unsafe_fixes)}{f.message}" for f in report.findings]
    return "\n".join(lines) + ("\n" if lines else "")


def _frame(finding: Finding, report: Report) -> list[str]:
    source = source_for(report, finding)
    if source is None:
        return []
    start, end = finding.start, finding.end
    first = max(start.row - 1, 1)
    last = min(end.row + 1, len(source.line_starts))
    width = len(str(last))
    gutter = " " * width + " |"
    out = [gutter]
    for row in range(first, last + 1):
        text = source.line(row).expandtabs(1)
        out.append(f"{row:>{width}} | {text}".rstrip())
        if start.row <= row <= end.row:
            col_start = start.column if row == start.row else len(text) - len(text.lstrip()) + 1
            col_end = end.column if row == end.row else len(text) + 1
            carets = max(col_end - col_start, 1)
            label = f" {finding.code}" if row == end.row else ""
            out.append(f"{gutter} {' ' * (col_start - 1)}{'^' * carets}{label}")
    out.append(gutter)
    return out


@register("text")
def render_text(report: Report) -> str:
    blocks: list[str] = []
    for finding in report.findings:
        lines = [f"{location(finding)}: {finding.code} {marker(finding, report.unsafe_fixes)}{finding.message}"]
        lines.extend(_frame(finding, report))
        if finding.fix is not None and finding.fix.message:
            lines.append(" " * 2 + f"= help: {finding.fix.message}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
