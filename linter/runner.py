"""A ``check`` run over many files: discovery, linting, fixing, writing. No printing here."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from hyperlint.budget import FileTimeout, time_budget
from hyperlint.discovery import discover
from hyperlint.engine import PARSE_ERROR, Linter
from hyperlint.finding import Applicability, Finding, Fix, Position
from hyperlint.atomic import write_atomic
from hyperlint.fixes import FixOutcome, fix_text
from hyperlint.parse_guard import timeout_result
from hyperlint.settings import Settings
from hyperlint.source import SourceText


@dataclass
class FileOutcome:
    path: str
    findings: list[Finding]
    source: SourceText | None = None
    fixed: dict[str, int] = field(default_factory=dict)
    diff: str = ""
    error: str | None = None


def display_path(path: Path) -> str:
    try:  # the folder resolved, not the file: a symlinked file is shown under its own name
        return str((path.parent.resolve() / path.name).relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return str(path)


def lint_file(linter: Linter, path: Path, fix: bool = False, unsafe: bool = False, diff: bool = False) -> FileOutcome:
    display = display_path(path)
    if path.suffix.lower() == ".ipynb":
        from hyperlint.notebook import check_notebook_file

        return check_notebook_file(linter, path, display, fix, unsafe, diff)
    result = linter.lint_path(path, display)
    if not fix and not diff or result.source is None or result.error is not None:
        return FileOutcome(display, result.findings, result.source, error=result.error)
    source = result.source

    def lint(text: str) -> list[Finding]:
        return linter.lint_source(SourceText(text, source.encoding, source.bom), display, path).findings

    try:
        with time_budget(linter.settings.per_file_timeout):  # all fix rounds share one budget
            outcome: FixOutcome = fix_text(source.text, lint, unsafe)
    except FileTimeout:
        timeout = timeout_result(linter, source, display)
        return FileOutcome(display, result.findings + timeout.findings, source, error=timeout.error)
    if not outcome.changed:
        return FileOutcome(display, outcome.remaining, source, error=outcome.error)
    new_source = SourceText(outcome.text, source.encoding, source.bom)
    text_diff = ""
    if diff:
        text_diff = "".join(
            difflib.unified_diff(
                source.text.splitlines(keepends=True),
                outcome.text.splitlines(keepends=True),
                fromfile=f"a/{display}",
                tofile=f"b/{display}",
            )
        )
        # with --diff nothing is written and the findings are the ones of the original file
        return FileOutcome(display, result.findings, source, dict(outcome.fixed), text_diff, outcome.error)
    try:
        current = path.read_bytes()
    except OSError as exc:
        return FileOutcome(display, result.findings, source, error=f"cannot re-read before writing: {exc}")
    if current != source.to_bytes():
        message = "file changed on disk while it was being fixed; not written"
        finding = Finding(
            PARSE_ERROR, message, display, Position(1, 1), Position(1, 1),
            Fix("Run hyperlint again.", Applicability.DISPLAY_ONLY), 1,
        )
        return FileOutcome(display, result.findings + [finding], source, error=message)
    try:
        write_atomic(path, new_source.to_bytes())
    except (OSError, UnicodeEncodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        message = f"cannot write the fixed file ({reason}); not written"
        finding = Finding(
            PARSE_ERROR, message, display, Position(1, 1), Position(1, 1),
            Fix("Check the file's permissions and encoding, then run hyperlint again.", Applicability.DISPLAY_ONLY),
            1,
        )
        return FileOutcome(display, result.findings + [finding], source, error=message)
    return FileOutcome(display, outcome.remaining, new_source, dict(outcome.fixed), error=outcome.error)


def run_check(
    paths: list[Path],
    settings: Settings,
    enabled: set[str],
    fix: bool = False,
    unsafe: bool = False,
    diff: bool = False,
    jobs: int = 1,
    cache: bool = False,
    progress: bool = False,
) -> list[FileOutcome]:
    """``jobs`` worker processes (parallel.py); ``cache``: read and write .hyperlint_cache/ beside
    the configuration file, if there is one (cache.py); ``progress``: a progress bar on stderr if
    it is a terminal."""
    from hyperlint.cache import FindingsCache
    from hyperlint.parallel import Task, check_files
    from hyperlint.progress import Progress

    linter = Linter(settings, enabled)
    outcomes: list[FileOutcome | None] = []
    files: list[Path] = []
    slots: list[int] = []
    for item in discover(paths, settings):
        if item.error is not None:
            display = display_path(item.path)
            finding = Finding(
                PARSE_ERROR, item.error, display, Position(1, 1), Position(1, 1),
                Fix("Check the path and its permissions.", Applicability.DISPLAY_ONLY), 1,
            )
            outcomes.append(FileOutcome(display, [finding], error=item.error))
            continue
        slots.append(len(outcomes))
        outcomes.append(None)
        files.append(item.path)
    # the cache lives next to the configuration file; a folder without one is not written to
    use_cache = cache and settings.source is not None
    findings_cache = FindingsCache(settings.root, settings, enabled) if use_cache else None
    task = Task(fix, unsafe, diff, lint_file_safely)
    with Progress(len(files), enabled=progress) as bar:
        checked = check_files(linter, files, task, max(int(jobs), 1), findings_cache, bar)
    for slot, outcome in zip(slots, checked):
        outcomes[slot] = outcome
    return outcomes  # type: ignore[return-value]


def lint_file_safely(linter: Linter, path: Path, fix: bool = False, unsafe: bool = False,
                     diff: bool = False) -> FileOutcome:
    """``lint_file``, with a crash while checking this one file reported as HL004 (exit 2), not raised."""
    try:
        return lint_file(linter, path, fix, unsafe, diff)
    except Exception as exc:  # noqa: BLE001 - one file's crash must not end the run
        display = display_path(path)
        return FileOutcome(display, [linter._internal_error(display, exc)], error=f"internal error: {exc}")
    except FileTimeout:
        display = display_path(path)
        timeout = timeout_result(linter, None, display)
        return FileOutcome(display, timeout.findings, error=timeout.error)
