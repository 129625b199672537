"""``gitlab``: GitLab Code Quality report (a JSON array of Code Climate issues).

Fingerprints come from the file, the code and the finding's source text (not its line), so
GitLab keeps recognising a finding when lines are added or removed above it."""
from __future__ import annotations

import json
from pathlib import PurePath

from hyperlint.finding import Finding
from hyperlint.fingerprint import FindingKey, finding_keys
from hyperlint.output import Report, register, source_for

_SEVERITY = {"HL001": "critical", "HL004": "critical", "HL002": "minor", "HL003": "minor"}


def gitlab_issue(finding: Finding, key: FindingKey) -> dict:
    description = f"{finding.code}: {finding.message}"
    if finding.cell is not None:
        description = f"{finding.code}: cell {finding.cell}, line {finding.start.row}: {finding.message}"
    # GitLab has no notion of notebook cells: a notebook finding points at the file's first line
    begin, end = (finding.start.row, finding.end.row) if finding.cell is None else (1, 1)
    return {
        "description": description,
        "check_name": finding.code,
        "fingerprint": key.digest(),
        "severity": _SEVERITY.get(finding.code, "major"),
        "location": {"path": PurePath(finding.path).as_posix(), "lines": {"begin": begin, "end": end}},
    }


@register("gitlab")
def render_gitlab(report: Report) -> str:
    keys = finding_keys(report.findings, lambda f: source_for(report, f), lambda f: PurePath(f.path).as_posix())
    return json.dumps([gitlab_issue(f, k) for f, k in zip(report.findings, keys)], indent=2) + "\n"
