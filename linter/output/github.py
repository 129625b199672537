"""``github``: GitHub Actions workflow commands, one ``::error`` annotation per finding."""
from __future__ import annotations

from pathlib import PurePath

from hyperlint.finding import Finding
from hyperlint.output import Report, register
from hyperlint.output.rule_meta import suggestion


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    properties = [("file", PurePath(finding.path).as_posix())]
    message = finding.message
    if finding.cell is None:
        properties += [
            ("line", str(finding.start.row)),
            ("col", str(finding.start.column)),
            ("endLine", str(finding.end.row)),
            ("endColumn", str(finding.end.column)),
        ]
    else:
        # rows of a notebook finding count inside its cell: GitHub would point at the wrong line
        message = f"cell {finding.cell}, line {finding.start.row}: {message}"
    properties.append(("title", finding.code))
    help_text = suggestion(finding)
    if help_text:
        message += f"\nSuggested fix: {help_text}"
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::error {rendered}::{escape_data(message)}"


@register("github")
def render_github(report: Report) -> str:
    return "".join(annotation(finding) + "\n" for finding in report.findings)
