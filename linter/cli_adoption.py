"""The ``check`` options for adopting hyperlint in an existing code base: ``--baseline``,
``--write-baseline`` and ``--add-noqa`` (the logic lives in ``baseline`` and ``add_noqa``)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from hyperlint.finding import Finding
from hyperlint.output import Report, source_for

ADOPTION_OPTIONS = (
    click.option("--add-noqa", is_flag=True,
                 help="Add `# noqa: CODE` comments for every finding (merged into existing ones), then exit."),
    click.option("--write-baseline", "write_baseline_file", type=click.Path(path_type=Path, dir_okay=False),
                 help="Record every finding in this baseline file, then exit 0."),
    click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False),
                 help="Report only findings that are not recorded in this baseline file."),
    click.option("--force-exclude", is_flag=True,
                 help="Apply exclude/extend-exclude to files named on the command line too (for pre-commit)."),
)


def adoption_options(function):
    for option in ADOPTION_OPTIONS:
        function = option(function)
    return function


def validate(options: dict, fix: bool, diff: bool) -> None:
    if options.get("add_noqa") and (fix or diff):
        raise click.UsageError("--add-noqa cannot be combined with --fix or --diff")
    if options.get("write_baseline_file") and diff:
        raise click.UsageError("--write-baseline cannot be combined with --diff")


def apply(findings: list[Finding], outcomes, options: dict, quiet: bool) -> list[Finding]:
    """Handle the adoption options: may write files and exit; returns the findings to report."""
    from hyperlint.baseline import BaselineError, filter_new, write_baseline

    report = Report(findings, {o.path: o.source for o in outcomes if o.source is not None})

    def source_of(finding: Finding):
        return source_for(report, finding)

    if options.get("write_baseline_file"):
        file = options["write_baseline_file"]
        count = write_baseline(file, findings, source_of)
        click.echo(f"Wrote {count} finding{'s' if count != 1 else ''} to the baseline {file}.", err=True)
        sys.exit(0)
    if options.get("baseline_file"):
        try:
            findings, matched = filter_new(options["baseline_file"], findings, source_of)
        except BaselineError as exc:
            click.echo(f"hyperlint: error: {exc}", err=True)
            sys.exit(2)
        if matched and not quiet:
            click.echo(f"{matched} finding{'s' if matched != 1 else ''} in the baseline not shown.", err=True)
    if options.get("add_noqa"):
        _add_noqa(findings, outcomes)
    return findings


def _add_noqa(findings: list[Finding], outcomes) -> None:
    from hyperlint.add_noqa import add_noqa

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    outcome = add_noqa((o.path, o.source, by_path.get(o.path, [])) for o in outcomes)
    for line in outcome.skipped:
        click.echo(f"hyperlint: no noqa comment added at {line}", err=True)
    for line in outcome.errors:
        click.echo(f"hyperlint: error: {line}", err=True)
    files = len(outcome.files)
    click.echo(f"Added {outcome.added} noqa directive{'s' if outcome.added != 1 else ''}"
               f" in {files} file{'s' if files != 1 else ''}.", err=True)
    sys.exit(2 if outcome.errors else 1 if outcome.skipped else 0)
