"""A flake8 plugin (codes ``HL``): hyperlint's findings inside flake8, at the lines and columns
``hyperlint check`` reports, with hyperlint's own ``# noqa`` handling and configuration.

flake8's plugin API takes 0-based columns and prints them 1-based, while a Finding's column is
1-based already: the plugin hands flake8 ``column - 1``.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

from hyperlint import __version__

_STDIN_NAMES = ("stdin", "-", "<stdin>")


class HyperlintChecker:
    name = "hyperlint"
    version = __version__
    disable_noqa = False

    @classmethod
    def parse_options(cls, options) -> None:
        """flake8's ``--disable-noqa`` reaches hyperlint's own ``# noqa`` handling too."""
        cls.disable_noqa = bool(getattr(options, "disable_noqa", False))

    # ``tree`` makes flake8 treat this as an AST plugin (run once per file); the text is re-parsed
    # by hyperlint's own parser, so the tree itself is not used.
    def __init__(self, tree: ast.AST, filename: str, lines: list[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        path = Path.cwd() / "stdin.py" if self.filename in _STDIN_NAMES else Path(self.filename)
        result = _document_linter(self.disable_noqa).lint("".join(self.lines), path, self.filename)
        for finding in result.findings:
            yield finding.start.row, finding.start.column - 1, f"{finding.code} {finding.message}", type(self)


_LINTERS: dict = {}


def _document_linter(ignore_noqa: bool):
    """One per process (flake8 may fork workers): settings and catalogue are read once per config.
    Each file is checked once, so no parse is kept for a next text."""
    linter = _LINTERS.get(ignore_noqa)
    if linter is None:
        from hyperlint.editor import DocumentLinter

        linter = _LINTERS[ignore_noqa] = DocumentLinter(keep_parses=False, ignore_noqa=ignore_noqa)
    return linter
