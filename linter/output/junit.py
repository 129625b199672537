"""``junit``: JUnit XML for CI test reports: one test suite, a test case per file checked, a
failure per finding."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import PurePath

from hyperlint.finding import Finding
from hyperlint.output import Report, register
from hyperlint.output.rule_meta import suggestion


def _where(finding: Finding) -> str:
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{cell}{finding.start.row}:{finding.start.column}"


def failure_element(finding: Finding) -> ET.Element:
    element = ET.Element("failure", {
        "message": f"{_where(finding)}: {finding.code} {finding.message}",
        "type": finding.code,
    })
    lines = [f"{PurePath(finding.path).as_posix()}:{_where(finding)}: {finding.code} {finding.message}"]
    help_text = suggestion(finding)
    if help_text:
        lines.append(f"Suggested fix: {help_text}")
    element.text = "\n".join(lines)
    return element


@register("junit")
def render_junit(report: Report) -> str:
    # a clean file's source may not be kept, so the list of checked files comes first
    by_path: dict[str, list[Finding]] = {path: [] for path in (*report.checked, *report.sources)}
    for finding in report.findings:
        by_path.setdefault(finding.path, []).append(finding)
    failures = sum(1 for found in by_path.values() if found)  # failing test cases, as JUnit counts
    counts = {"tests": str(len(by_path)), "failures": str(failures), "errors": "0", "skipped": "0"}
    root = ET.Element("testsuites", {"name": "hyperlint", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "hyperlint", **counts})
    for path in sorted(by_path):
        posix = PurePath(path).as_posix()
        case = ET.SubElement(suite, "testcase", {"name": posix, "classname": "hyperlint", "file": posix})
        for finding in by_path[path]:
            case.append(failure_element(finding))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
