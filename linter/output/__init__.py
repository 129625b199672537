"""Output formats. Each module registers ``render(report) -> str`` under a format name."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from hyperlint.finding import Finding
from hyperlint.source import SourceText

Renderer = Callable[["Report"], str]
FORMATS: dict[str, Renderer] = {}


@dataclass
class Report:
    findings: list[Finding]
    sources: dict[str, SourceText] = field(default_factory=dict)
    files_checked: int = 0
    show_fixes: bool = False
    fixed: dict[str, dict[str, int]] = field(default_factory=dict)  # path -> code -> count
    unsafe_fixes: bool = False
    checked: list[str] = field(default_factory=list)  # every file checked, clean ones too (junit)


def source_for(report: Report, finding: Finding, cell: int | None = None) -> SourceText | None:
    """The text a finding's (or a fix edit's) rows and columns count in: for a notebook, the
    source of its cell (``cell`` overrides the finding's), otherwise the file's text."""
    source = report.sources.get(finding.path)
    cell = cell if cell is not None else finding.cell
    if cell is not None and source is not None and hasattr(source, "cell_source"):
        return source.cell_source(cell)
    return source


def register(name: str) -> Callable[[Renderer], Renderer]:
    def decorator(function: Renderer) -> Renderer:
        FORMATS[name] = function
        return function

    return decorator


def load_formats() -> dict[str, Renderer]:
    import importlib
    import pkgutil

    import hyperlint.output as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"hyperlint.output.{info.name}")
    return FORMATS
