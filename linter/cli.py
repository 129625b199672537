"""The ``hyperlint`` command line (click), with Ruff's conventions."""
from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import click

from hyperlint import __version__
from hyperlint.cli_adoption import adoption_options
from hyperlint.finding import Applicability
from hyperlint.output import Report, load_formats
from hyperlint.registry import all_rules, rule_by_code, select_codes, validate_selectors
from hyperlint.settings import ConfigError, Settings, resolve_settings

EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
INTERNAL_ERROR = "HL004"


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(part.strip().upper() for part in value.split(",") if part.strip())
    return tuple(out)


def load_settings(paths: list[Path], config: Path | None) -> Settings:
    start = paths[0] if paths else Path.cwd()
    if not start.exists():
        start = Path.cwd()
    return resolve_settings(start, config)


def effective_codes(settings: Settings, select=(), ignore=(), extend_select=()) -> set[str]:
    where = f"{settings.source}: " if settings.source else ""
    for key, values in (("select", settings.select), ("ignore", settings.ignore),
                        ("extend-select", settings.extend_select),
                        *((f"per-file-ignores.\"{pattern}\"", codes) for pattern, codes in settings.per_file_ignores)):
        unknown = validate_selectors(values)
        if unknown:  # name the file and the key, not only the code
            raise ConfigError(f"{where}`{key}`: unknown rule selector: {', '.join(unknown)} (see `hyperlint rule --all`)")
    select = tuple(select) or settings.select
    ignore = tuple(settings.ignore) + tuple(ignore)
    extend = tuple(settings.extend_select) + tuple(extend_select)
    unknown = validate_selectors((*select, *ignore, *extend))
    if unknown:
        raise ConfigError(f"unknown rule selector: {', '.join(unknown)} (see `hyperlint rule --all`)")
    return select_codes(select, ignore, extend)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="hyperlint", message="%(prog)s %(version)s")
def cli() -> None:
    """hyperlint: find hard-coded hyperparameters, hand-edited weights and configuration
    mutated during training in machine-learning code."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (replaces the default set).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to enable on top of the selection.")
@click.option("--output-format", default="text", show_default=True, help="text, concise, json, json-lines, github, sarif, junit, gitlab.")
@click.option("--statistics", is_flag=True, help="Show counts for every rule with findings.")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when there are findings.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("--fix", is_flag=True, help="Apply safe automatic fixes.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply (and list as fixable) unsafe fixes.")
@click.option("--diff", is_flag=True, help="Print the diff that --fix would apply; write nothing.")
@click.option("--show-fixes", is_flag=True, help="List the fixes that were applied.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit with 1 if any fix was applied.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), help="Use this config file.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("--ignore-noqa", is_flag=True, help="Report findings even where a `# noqa` comment suppresses them.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: all cores].")
@click.option("--no-shortcuts", is_flag=True, hidden=True,
              help="Switch off the engine's shortcuts (for checking that they change nothing).")
@adoption_options
def check(paths, select, ignore, extend_select, output_format, statistics, exit_zero, quiet, fix, unsafe_fixes,
          diff, show_fixes, exit_non_zero_on_fix, config_file, no_cache, ignore_noqa=False, jobs=None,
          no_shortcuts=False, **adoption) -> None:
    """Lint PATHS (files or folders; default: the current folder)."""
    from hyperlint import cli_adoption
    from hyperlint.runner import run_check

    cli_adoption.validate(adoption, fix, diff)

    formats = load_formats()
    if output_format not in formats:
        raise click.UsageError(
            f"unknown output format {output_format!r}; choose from {', '.join(sorted(formats))}"
        )
    paths = list(paths) or [Path(".")]
    try:
        settings = load_settings(paths, config_file)
        if ignore_noqa:
            settings = settings.with_overrides(ignore_noqa=True)
        enabled = effective_codes(settings, _codes(select), _codes(ignore), _codes(extend_select))
        if adoption["force_exclude"]:
            from hyperlint.force_exclude import drop_excluded

            paths = drop_excluded(paths, settings)
    except ConfigError as exc:
        click.echo(f"hyperlint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    try:
        if no_shortcuts:
            from hyperlint import shortcuts

            os.environ[shortcuts.ENVIRONMENT_VARIABLE] = "all"
        from hyperlint.parallel import default_jobs

        # a progress bar only where a person reads the output (it goes to stderr, and only to a terminal)
        progress = output_format in ("text", "concise") and not quiet
        outcomes = run_check(paths, settings, enabled, fix=fix or diff, unsafe=unsafe_fixes, diff=diff,
                             jobs=jobs or default_jobs(), cache=not no_cache, progress=progress)
    except KeyboardInterrupt:
        click.echo("hyperlint: interrupted", err=True)
        sys.exit(130)

    findings = sorted((f for o in outcomes for f in o.findings), key=lambda f: f.sort_key())
    # an internal error (HL004) means some file went unchecked: exit 2 whatever else is said
    internal_error = any(f.code == INTERNAL_ERROR for f in findings)
    findings = cli_adoption.apply(findings, outcomes, adoption, quiet)
    fixed = {o.path: o.fixed for o in outcomes if o.fixed}
    total_fixed = sum(sum(c.values()) for c in fixed.values())
    if diff:
        text = "".join(o.diff for o in outcomes if o.diff)
        click.echo(text, nl=False)
        if not quiet:
            click.echo(f"Would fix {total_fixed} error{'s' if total_fixed != 1 else ''}.", err=True)
        if internal_error:
            sys.exit(EXIT_ERROR)
        sys.exit(EXIT_VIOLATIONS if total_fixed and not exit_zero else EXIT_CLEAN)

    report = Report(
        findings=findings,
        sources={o.path: o.source for o in outcomes if o.source is not None},
        files_checked=len(outcomes),
        checked=[o.path for o in outcomes],
        show_fixes=show_fixes,
        fixed=fixed,
        unsafe_fixes=unsafe_fixes,
    )
    machine = output_format not in ("text", "concise")
    if statistics and not machine:
        _print_statistics(findings, unsafe_fixes)
    else:
        click.echo(formats[output_format](report), nl=False)
    if not machine and not quiet:
        _print_summary(findings, fixed, show_fixes, unsafe_fixes, fix)
    if internal_error:
        sys.exit(EXIT_ERROR)
    if exit_zero:
        sys.exit(EXIT_CLEAN)
    if findings or (exit_non_zero_on_fix and total_fixed):
        sys.exit(EXIT_VIOLATIONS)
    sys.exit(EXIT_CLEAN)


def _fixable(finding, unsafe: bool) -> bool:
    fix = finding.fix
    return bool(fix and fix.edits) and (
        fix.applicability is Applicability.SAFE or (unsafe and fix.applicability is Applicability.UNSAFE)
    )


def _print_statistics(findings, unsafe: bool) -> None:
    counts = Counter(f.code for f in findings)
    fixable = Counter(f.code for f in findings if _fixable(f, unsafe))
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = rule_by_code(code)
        name = rule.name if rule else {"HL001": "parse-error", "HL002": "unused-noqa"}.get(code, "")
        mark = "[*]" if fixable[code] else "   "
        click.echo(f"{count:>5}\t{code}\t{mark} {name}")


def _print_summary(findings, fixed, show_fixes: bool, unsafe: bool, fix_mode: bool) -> None:
    total_fixed = sum(sum(c.values()) for c in fixed.values())
    if show_fixes and fixed:
        click.echo("")
        click.echo(f"Fixed {total_fixed} error{'s' if total_fixed != 1 else ''}:")
        for path, codes in sorted(fixed.items()):
            click.echo(f"- {path}:")
            for code, count in sorted(codes.items()):
                rule = rule_by_code(code)
                click.echo(f"    {count} × {code} ({rule.name if rule else code})")
    remaining = len(findings)
    if remaining == 0 and total_fixed == 0:
        click.echo("All checks passed!")
        return
    if total_fixed:
        click.echo(f"Found {remaining + total_fixed} error{'s' if remaining + total_fixed != 1 else ''} "
                   f"({total_fixed} fixed, {remaining} remaining).")
    else:
        click.echo(f"Found {remaining} error{'s' if remaining != 1 else ''}.")
    fixable = sum(1 for f in findings if _fixable(f, unsafe))
    hidden = sum(1 for f in findings if f.fix and f.fix.edits and f.fix.applicability is Applicability.UNSAFE) if not unsafe else 0
    if fixable and not fix_mode:
        click.echo(f"[*] {fixable} fixable with the `--fix` option"
                   + (f" ({hidden} hidden fixes can be enabled with the `--unsafe-fixes` option)." if hidden else "."))
    elif hidden:
        click.echo(f"No fixes available ({hidden} hidden fixes can be enabled with the `--unsafe-fixes` option).")


@cli.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="List every rule.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rule(code: str | None, show_all: bool, output_format: str) -> None:
    """Show a rule's documentation, or list every rule with --all."""
    import json

    if show_all or not code:
        rules = all_rules()
        if output_format == "json":
            click.echo(json.dumps([
                {"code": r.code, "name": r.name, "family": r.family(), "enabled_by_default": r.enabled_by_default,
                 "summary": r.summary()} for r in rules], indent=2))
            return
        click.echo(f"{'code':6}  {'name':44}  {'family':6}  default")
        for r in rules:
            click.echo(f"{r.code:6}  {r.name:44}  {r.family():6}  {'on' if r.enabled_by_default else 'off'}")
        return
    found = rule_by_code(code)
    if found is None:
        click.echo(f"hyperlint: error: unknown rule {code!r} (see `hyperlint rule --all`)", err=True)
        sys.exit(EXIT_ERROR)
    if output_format == "json":
        click.echo(json.dumps({"code": found.code, "name": found.name, "family": found.family(),
                               "enabled_by_default": found.enabled_by_default,
                               "explanation": found.documentation()}, indent=2))
        return
    default = "on by default" if found.enabled_by_default else "off by default (enable with --extend-select " + found.code + ")"
    click.echo(f"# {found.name} ({found.code})\n\nFamily {found.family()}, {default}.\n")
    click.echo(found.documentation())


@cli.command()
@click.option("--stdio", is_flag=True, help="Talk over stdin/stdout (the default and only transport).")
@click.option("--debounce", type=click.FloatRange(min=0), default=None,
              help="Seconds of quiet after edits that come faster than this before re-linting (default 0.05).")
def server(stdio: bool, debounce: float | None) -> None:
    """Run the language server (LSP over stdio) for editors."""
    try:
        from hyperlint.server import DEFAULT_DEBOUNCE, serve
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        click.echo(f"hyperlint: error: the language server needs {exc.name}; "
                   "install it with `pip install 'hyperlint[server]'`", err=True)
        sys.exit(EXIT_ERROR)
    serve(DEFAULT_DEBOUNCE if debounce is None else debounce)


@cli.command("extract-config")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--diff", is_flag=True, help="Print the changes as a diff; write nothing.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), help="Use this config file.")
def extract_config(paths, diff, config_file) -> None:
    """Move the hard-coded hyperparameters of PATHS (HL1 findings) into each script's own
    configuration: its argparse parser, config class or dict, or a new frozen dataclass.
    Values that cannot be moved are listed with the reason. Exits 1 with --diff when there are
    changes to make."""
    from hyperlint.extract_config import extract, render

    paths = list(paths) or [Path(".")]
    try:
        settings = load_settings(paths, config_file)
        enabled = effective_codes(settings)
    except ConfigError as exc:
        click.echo(f"hyperlint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    extractions = extract(paths, settings, enabled, diff=diff)
    out, err = render(extractions, diff)
    click.echo(out, nl=False)
    click.echo(err, nl=False, err=True)
    if any(e.error for e in extractions):
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_VIOLATIONS if diff and any(e.moved for e in extractions) else EXIT_CLEAN)


def main() -> None:
    try:
        cli(prog_name="hyperlint")
    except ConfigError as exc:
        click.echo(f"hyperlint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
