"""The base class of every rule, and the data a rule's docs and examples are made of.

A rule is a class in ``hyperlint.rules``: its docstring is its documentation (Ruff's sections:
What it does / Why is this bad? / Example / Use instead / Fix safety), and its ``VALID`` and
``INVALID`` examples are run as tests. It implements ``visit_<Node>`` / ``leave_<Node>`` methods
for libcst node types and calls :meth:`Rule.report`; the engine runs every enabled rule in one
traversal and provides shared facts through ``self.ctx``.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence

import libcst as cst

from hyperlint.finding import Applicability

if TYPE_CHECKING:
    from hyperlint.context import FileContext

DOCS_URL = "https://hyperlint.dev/rules/{code}"


@dataclass(frozen=True)
class Invalid:
    """An example the rule must report; ``fixed`` is the source after its automatic fix."""

    code: str
    fixed: str | None = None
    unsafe: bool = False  # the fix needs --unsafe-fixes
    options: dict = field(default_factory=dict)  # this rule's options
    path: str = "train.py"
    settings: dict = field(default_factory=dict)  # other [tool.hyperlint] keys


@dataclass(frozen=True)
class Valid:
    code: str
    options: dict = field(default_factory=dict)
    path: str = "train.py"
    settings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class NodeEdit:
    """An edit expressed on the tree; the engine turns it into a text edit.

    ``mode`` is ``replace`` (the node's text becomes ``replacement``), ``insert_before``/
    ``insert_after`` (text placed at the node's start/end) or ``insert_line_before`` (a whole
    line, with its own indentation and no newline, placed above the line where the node starts).
    A ``replacement`` node is rendered with the file's own module settings.
    """

    node: cst.CSTNode
    replacement: cst.CSTNode | str
    mode: str = "replace"


@dataclass
class PendingReport:
    rule: "Rule"
    node: cst.CSTNode
    message: str
    suggestion: str
    edits: tuple[NodeEdit, ...]
    applicability: Applicability
    statement: cst.CSTNode | None
    data: dict | None = None  # what the rule's fix planner needs to know about the finding


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    enabled_by_default: ClassVar[bool] = True
    # whether the rule also runs on test files (test_*.py, tests/, conftest.py)
    lint_tests: ClassVar[bool] = False
    # per-rule options settable under [tool.hyperlint.rules.<CODE>] and their defaults
    options: ClassVar[dict[str, Any]] = {}
    VALID: ClassVar[Sequence[str | Valid]] = ()
    INVALID: ClassVar[Sequence[str | Invalid]] = ()
    # plans the fixes of all of a file's findings at once, after the traversal, for fixes that
    # edit shared places (one config for many findings): planner(ctx, [(report, finding)], positions)
    # sets each finding's ``fix``. Rules with the same planner are planned together.
    fix_planner: ClassVar[Callable[..., None] | None] = None
    # words of which a file must contain at least one (as a name, attribute, keyword, or inside a
    # string) for this rule to report anything in it: plain words, or triggers from
    # hyperlint.prefilter (CATALOGUED_CALLABLE, HYPERPARAMETER_KEYWORD). The engine skips the rule
    # elsewhere, and does not parse a file no rule may report in. None: no claim, always run.
    trigger_words: ClassVar[tuple | None] = None

    def __init__(self, ctx: "FileContext", options: dict[str, Any] | None = None) -> None:
        self.ctx = ctx
        self.settings = {**self.options, **(options or {})}

    # --- reporting -------------------------------------------------------------------------
    def report(
        self,
        node: cst.CSTNode,
        message: str,
        suggestion: str,
        *,
        edits: Sequence[NodeEdit] = (),
        unsafe: bool = False,
        statement: cst.CSTNode | None = None,
        data: dict | None = None,
    ) -> None:
        """Report a violation at ``node``. ``suggestion`` is the specific suggested fix.

        ``edits`` make it an automatic fix (``unsafe`` ones need --unsafe-fixes). ``statement``
        is the enclosing statement (for multi-line ``# noqa``); by default the engine finds it.
        ``data`` is handed to the rule's ``fix_planner`` with the finding.
        """
        if edits:
            applicability = Applicability.UNSAFE if unsafe else Applicability.SAFE
        else:
            applicability = Applicability.DISPLAY_ONLY
        if statement is None:
            statement = self.ctx.enclosing_statement()
        self.ctx.reports.append(
            PendingReport(self, node, message, suggestion, tuple(edits), applicability, statement, data)
        )

    def finish(self) -> None:
        """Called once after the traversal: report what needed the whole file."""

    # --- documentation ---------------------------------------------------------------------
    @classmethod
    def family(cls) -> str:
        return cls.code[:3]

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        doc = cls.documentation()
        match = re.search(r"## What it does\s*\n(.+?)(?:\n\s*\n|$)", doc, re.S)
        text = match.group(1) if match else doc.split("\n\n")[0]
        return " ".join(text.split())

    @classmethod
    def url(cls) -> str:
        return DOCS_URL.format(code=cls.code)

    @classmethod
    def handlers(cls) -> dict[str, list[str]]:
        """Map visit_X / leave_X method names by the node type they handle."""
        found: dict[str, list[str]] = {}
        for attr in dir(cls):
            if attr.startswith(("visit_", "leave_")) and callable(getattr(cls, attr)):
                found.setdefault(attr, []).append(attr)
        return found
