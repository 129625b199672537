"""Linting for editors, independent of any protocol: the text of an open buffer (not the file on
disk) with the settings of the project it lives in, and the text edits behind code actions.

``DocumentLinter.lint`` is the seam every editor front end goes through; it never raises.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from hyperlint.engine import INTERNAL_ERROR, PARSE_ERROR, UNUSED_NOQA, Linter, LintResult
from hyperlint.finding import Applicability, Finding, Fix, Position, TextEdit
from hyperlint.fixes import fix_text
from hyperlint.incremental import IncrementalParser
from hyperlint.noqa import Directives, parse_directives, string_rows
from hyperlint.settings import ConfigError, find_config, resolve_settings
from hyperlint.source import SourceText

MAX_PARSED_BUFFERS = 8  # buffers whose last parse is kept for the next edit

# findings a `# noqa` comment cannot silence: the file was not checked at all
UNSUPPRESSIBLE = {PARSE_ERROR, INTERNAL_ERROR}
# an unused-noqa finding is resolved by removing the directive, not by another noqa code
NO_NOQA_ACTION = UNSUPPRESSIBLE | {UNUSED_NOQA}

# document linters by file suffix, for front ends that lint something other than Python text
# (notebooks register here); the default is ``DocumentLinter.lint_python``
LintFunction = Callable[["DocumentLinter", str, Path, str], LintResult]
SUFFIX_LINTERS: dict[str, LintFunction] = {}


def _lint_notebook(documents: "DocumentLinter", text: str, path: Path, display: str) -> LintResult:
    from hyperlint.notebook import lint_notebook_document  # findings placed in the .ipynb's JSON text

    return lint_notebook_document(documents, text, path, display)


def _lint_notebook_cell(documents: "DocumentLinter", text: str, path: Path, display: str) -> LintResult:
    from hyperlint.notebook import lint_cell_document  # one cell of a notebook, as IPython

    return lint_cell_document(documents, text, path, display)


SUFFIX_LINTERS[".ipynb"] = _lint_notebook
SUFFIX_LINTERS[".ipynb-cell"] = _lint_notebook_cell


class DocumentLinter:
    """Lints buffer texts; keeps one ``Linter`` per configuration file (re-read when it changes)."""

    def __init__(self, fallback_root: Path | None = None, *, keep_parses: bool = True,
                 ignore_noqa: bool = False) -> None:
        """``keep_parses``: keep each buffer's last parse, so that its next text re-parses only
        what changed (an editor; not a one-pass front end). ``ignore_noqa``: report what
        ``# noqa`` comments suppress."""
        self.fallback_root = fallback_root or Path.cwd()
        self.keep_parses = keep_parses
        self.ignore_noqa = ignore_noqa
        self._linters: dict[tuple, Linter] = {}
        self._lock = threading.Lock()
        # per buffer: the parser that re-parses only what each edit changed (most recent last)
        self._parsers: OrderedDict[Path, IncrementalParser] = OrderedDict()

    # --- settings ---------------------------------------------------------------------------
    def linter_for(self, path: Path) -> Linter:
        """The linter with the settings that apply to ``path``; raises ConfigError."""
        from hyperlint.cli import effective_codes

        config = find_config(path)
        if config is not None:
            try:
                stat = config.stat()
                key: tuple = (str(config), stat.st_mtime_ns, stat.st_size)
            except OSError:
                key = (str(config), None, None)
        else:  # no configuration: the defaults, with paths relative to the file's folder
            key = (f"defaults in {path.parent.resolve()}", None, None)
        with self._lock:
            linter = self._linters.get(key)
            if linter is None:
                settings = resolve_settings(path, config)
                if self.ignore_noqa:
                    settings = settings.with_overrides(ignore_noqa=True)
                linter = Linter(settings, effective_codes(settings))
                self._linters = {k: v for k, v in self._linters.items() if k[0] != key[0]}
                self._linters[key] = linter
            return linter

    def forget_settings(self) -> None:
        with self._lock:
            self._linters.clear()

    # --- linting ----------------------------------------------------------------------------
    def document_path(self, path: Path | None, name: str = "untitled.py") -> Path:
        """A file path for a buffer; an unsaved, untitled buffer lives in the fallback root."""
        return path if path is not None else self.fallback_root / name

    def lint(self, text: str, path: Path | None, display: str | None = None) -> LintResult:
        """Findings for the buffer ``text`` of the file ``path``; never raises."""
        path = self.document_path(path)
        display = display or _display(path)
        lint_function = SUFFIX_LINTERS.get(path.suffix.lower(), DocumentLinter.lint_python)
        try:
            return lint_function(self, text, path, display)
        except ConfigError as exc:
            message = f"cannot use the hyperlint configuration: {exc}"
            fix = Fix("Correct the configuration file; nothing is checked until it is valid.",
                      Applicability.DISPLAY_ONLY)
            finding = Finding(PARSE_ERROR, message, display, Position(1, 1), Position(1, 1), fix, 1)
            return LintResult(display, [finding], SourceText(text), error=message)
        except Exception as exc:  # a bug in hyperlint must not take the editor's server down
            message = f"internal error while checking this file: {type(exc).__name__}: {exc}; please report it"
            fix = Fix("This is a bug in hyperlint, not in your code.", Applicability.DISPLAY_ONLY)
            finding = Finding(INTERNAL_ERROR, message, display, Position(1, 1), Position(1, 1), fix, 1)
            return LintResult(display, [finding], SourceText(text), error=message)

    def lint_python(self, text: str, path: Path, display: str) -> LintResult:
        linter = self.linter_for(path)
        parser = self.parser_for(path) if self.keep_parses else None
        return linter.lint_source(SourceText(text), display, path, parser)

    def parser_for(self, path: Path) -> IncrementalParser:
        with self._lock:
            parser = self._parsers.pop(path, None) or IncrementalParser()
            self._parsers[path] = parser
            while len(self._parsers) > MAX_PARSED_BUFFERS:
                self._parsers.popitem(last=False)
            return parser

    def prepare_buffer(self, path: Path | None) -> None:
        """Idle time after a lint: get the buffer's parse ready for its next edit."""
        with self._lock:
            parser = self._parsers.get(self.document_path(path))
        if parser is not None:
            parser.prepare()

    def forget_buffer(self, path: Path | None) -> None:
        """Drop what is kept for the buffer of ``path`` (it was closed)."""
        with self._lock:
            self._parsers.pop(self.document_path(path), None)

    def fixed_text(self, text: str, path: Path | None, unsafe: bool = False) -> str:
        """The buffer with every applicable fix applied (to a fixed point, never breaking the parse)."""
        path = self.document_path(path)
        display = _display(path)
        if path.suffix.lower() in (".ipynb", ".ipynb-cell"):
            from hyperlint.notebook import fixed_cell_document, fixed_notebook_document

            fixer = fixed_notebook_document if path.suffix.lower() == ".ipynb" else fixed_cell_document
            try:
                return fixer(self, text, path, unsafe)
            except Exception:  # settings or a bug: leave the buffer as it is
                return text

        def lint(current: str) -> list[Finding]:
            return self.lint(current, path, display).findings

        return fix_text(text, lint, unsafe).text


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def noqa_edits(source: SourceText, findings: list[Finding]) -> list[TextEdit | None]:
    """For each finding, the edit that adds its code to a ``# noqa`` comment on its noqa row, or
    None when no comment can go there (a bare ``# noqa`` is there, the line continues with a
    backslash or ends inside a string)."""
    directives = parse_directives(source.text)
    unsafe_rows = string_rows(source.text) if findings else set()
    return [_noqa_edit(source, finding, directives, unsafe_rows) for finding in findings]


def _noqa_edit(source: SourceText, finding: Finding, directives: Directives, unsafe_rows: set[int]) -> TextEdit | None:
    if finding.code in NO_NOQA_ACTION:
        return None
    if finding.cell is not None:  # a notebook cell: the notebook module computed the JSON edit
        return finding.extra.get("noqa_edit")
    rows = [finding.noqa_row or finding.start.row]
    if finding.statement_rows:
        rows += [row for row in reversed(finding.statement_rows) if row not in rows]
    for row in rows:
        line = source.line(row)
        if row > len(source.line_starts) or row in unsafe_rows or line.rstrip().endswith("\\"):
            continue
        directive = directives.lines.get(row)
        start = source.offset(row, 0)
        if directive is None:
            content = line.rstrip()
            return TextEdit(start + len(content), start + len(line), "  # noqa: " + finding.code)
        if directive.codes is None:
            return None  # a bare noqa already covers every code
        codes = [*directive.codes, finding.code]
        return TextEdit(start + directive.column - 1, start + directive.end_column - 1, "# noqa: " + ", ".join(codes))
    return None
