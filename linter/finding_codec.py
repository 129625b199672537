"""Findings to and from plain JSON data, without loss (the cache stores them this way).

Positions, fixes and text edits have fixed shapes; any other field of ``Finding`` is stored as it
is. ``encode_findings`` checks the round trip and returns None when something would not come
back equal (a tuple in ``extra``, an object JSON cannot hold): such a file is simply not cached.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from hyperlint.finding import Applicability, Finding, Fix, Position, TextEdit

_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))


def _position(value: Position) -> list[int]:
    return [value.row, value.column]


def _fix(fix: Fix | None) -> dict | None:
    if fix is None:
        return None
    return {
        "message": fix.message,
        "applicability": fix.applicability.value,
        "edits": [[e.start, e.end, e.content] for e in fix.edits],
    }


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(finding, name)
        if name in ("start", "end"):
            value = _position(value)
        elif name == "fix":
            value = _fix(value)
        elif name == "statement_rows" and value is not None:
            value = list(value)
        data[name] = value
    return data


def finding_from_dict(data: dict[str, Any]) -> Finding:
    values = dict(data)
    values["start"] = Position(*values["start"])
    values["end"] = Position(*values["end"])
    fix = values.get("fix")
    if fix is not None:
        values["fix"] = Fix(
            fix["message"],
            Applicability(fix["applicability"]),
            tuple(TextEdit(int(s), int(e), str(c)) for s, e, c in fix["edits"]),
        )
    if values.get("statement_rows") is not None:
        values["statement_rows"] = tuple(values["statement_rows"])
    return Finding(**values)


def findings_to_data(findings: list[Finding]) -> list[dict] | None:
    """JSON-ready data for ``findings``, or None if it would not decode to equal findings."""
    try:
        data = [finding_to_dict(f) for f in findings]
        if findings_from_data(json.loads(json.dumps(data))) != findings:
            return None
    except (TypeError, ValueError, KeyError):
        return None
    return data


def findings_from_data(data: Any) -> list[Finding]:
    if not isinstance(data, list):
        raise ValueError("not a list of findings")
    return [finding_from_dict(item) for item in data]


def encode_findings(findings: list[Finding]) -> str | None:
    data = findings_to_data(findings)
    return None if data is None else json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode_findings(text: str) -> list[Finding]:
    return findings_from_data(json.loads(text))
