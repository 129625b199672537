"""``json``: Ruff's JSON layout, so tools that read Ruff's output read hyperlint's."""
from __future__ import annotations

import json
import os

from hyperlint.finding import Finding
from hyperlint.output import Report, register, source_for
from hyperlint.registry import rule_by_code
from hyperlint.rule import DOCS_URL


def edit_json(finding: Finding, report: Report) -> list[dict]:
    edits = []
    for edit in finding.fix.edits if finding.fix else ():
        source = source_for(report, finding, getattr(edit, "cell", None))
        if source is None:
            continue
        start, end = source.position(edit.start), source.position(edit.end)
        edits.append({"content": edit.content, "end_location": end.as_json(), "location": start.as_json()})
    return edits


def finding_json(finding: Finding, report: Report) -> dict:
    fix = None
    if finding.fix is not None:
        fix = {
            "applicability": finding.fix.applicability.value,
            "edits": edit_json(finding, report),
            "message": finding.fix.message,
        }
    rule = rule_by_code(finding.code)
    return {
        "cell": finding.cell,
        "code": finding.code,
        "end_location": finding.end.as_json(),
        "filename": os.path.abspath(finding.path),
        "fix": fix,
        "location": finding.start.as_json(),
        "message": finding.message,
        "noqa_row": finding.noqa_row,
        "url": rule.url() if rule else DOCS_URL.format(code=finding.code),
    }


@register("json")
def render_json(report: Report) -> str:
    return json.dumps([finding_json(f, report) for f in report.findings], indent=2) + "\n"


@register("json-lines")
def render_json_lines(report: Report) -> str:
    return "".join(json.dumps(finding_json(f, report)) + "\n" for f in report.findings)
