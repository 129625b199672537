"""``sarif``: SARIF 2.1.0 for code-scanning tools (GitHub's upload-sarif and others): every rule's
metadata and documentation, one result per finding, automatic fixes as replacements."""
from __future__ import annotations

import json
from pathlib import Path, PurePath
from urllib.parse import quote

from hyperlint import __version__
from hyperlint.finding import Applicability, Finding
from hyperlint.fingerprint import finding_keys
from hyperlint.output import Report, register, source_for
from hyperlint.output.rule_meta import RuleMeta, all_rule_meta, rule_meta, suggestion

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
INFORMATION_URI = "https://hyperlint.dev"


def artifact_location(path: str) -> dict:
    pure = PurePath(path)
    if pure.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(pure.as_posix()), "uriBaseId": SRCROOT}


def rule_descriptor(meta: RuleMeta) -> dict:
    return {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": meta.documentation},
        "help": {"text": meta.documentation, "markdown": meta.documentation},
        "helpUri": meta.url,
        "defaultConfiguration": {"enabled": meta.enabled_by_default, "level": "error"},
        "properties": {"tags": ["hyperlint", meta.family]},
    }


def _region(start, end) -> dict:
    return {"startLine": start.row, "startColumn": start.column, "endLine": end.row, "endColumn": end.column}


def sarif_fixes(finding: Finding, report: Report) -> list[dict]:
    fix = finding.fix
    if fix is None or not fix.edits or fix.applicability is Applicability.DISPLAY_ONLY or finding.cell is not None:
        return []
    source = source_for(report, finding)
    if source is None:
        return []
    replacements = []
    for edit in sorted(fix.edits, key=lambda e: (e.start, e.end)):
        region = _region(source.position(edit.start), source.position(edit.end))
        replacements.append({"deletedRegion": region, "insertedContent": {"text": edit.content}})
    description = f"{fix.message} ({fix.applicability.value} fix)" if fix.message else f"{fix.applicability.value} fix"
    return [{
        "description": {"text": description},
        "artifactChanges": [{"artifactLocation": artifact_location(finding.path), "replacements": replacements}],
    }]


def sarif_result(finding: Finding, rule_index: int, fingerprint: str, report: Report) -> dict:
    text = finding.message
    physical: dict = {"artifactLocation": artifact_location(finding.path)}
    if finding.cell is None:
        physical["region"] = _region(finding.start, finding.end)
    else:
        text = f"cell {finding.cell}, line {finding.start.row}: {text}"
    help_text = suggestion(finding)
    if help_text:
        text += f"\nSuggested fix: {help_text}"
    result: dict = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"hyperlint/v1": fingerprint},
    }
    fixes = sarif_fixes(finding, report)
    if fixes:
        result["fixes"] = fixes
    properties = {}
    if finding.cell is not None:
        properties["cell"] = finding.cell
    if finding.fix is not None:
        properties["fixApplicability"] = finding.fix.applicability.value
    if properties:
        result["properties"] = properties
    return result


def sarif_log(report: Report) -> dict:
    rules = all_rule_meta()
    known = {meta.code for meta in rules}
    rules += [rule_meta(code) for code in sorted({f.code for f in report.findings} - known)]
    index = {meta.code: i for i, meta in enumerate(rules)}
    keys = finding_keys(report.findings, lambda f: source_for(report, f), lambda f: PurePath(f.path).as_posix())
    results = [sarif_result(f, index[f.code], key.digest(), report) for f, key in zip(report.findings, keys)]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "hyperlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(meta) for meta in rules],
            }},
            "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


@register("sarif")
def render_sarif(report: Report) -> str:
    return json.dumps(sarif_log(report), indent=2) + "\n"
