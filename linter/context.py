"""What a rule sees of the file being linted: the tree, the shared facts, where it is."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from hyperlint.catalogue import Catalogue
from hyperlint.facts.bindings import Bindings
from hyperlint.facts.configs import ConfigFacts
from hyperlint.facts.names import ImportTable
from hyperlint.facts.training import TrainingFacts
from hyperlint.source import SourceText

if TYPE_CHECKING:
    from hyperlint.rule import PendingReport
    from hyperlint.settings import Settings

_STATEMENT_TYPES = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


class FileContext:
    def __init__(
        self,
        path: str,
        source: SourceText,
        module: cst.Module,
        settings: "Settings",
        catalogue: Catalogue,
        is_test: bool = False,
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.settings = settings
        self.catalogue = catalogue
        self.is_test = is_test
        self.imports = ImportTable()
        self.bindings = Bindings(module)
        self.local_functions: set[str] = set()
        self.local_classes: dict[str, cst.ClassDef] = {}
        self.training = TrainingFacts(self.imports, self.local_functions)
        self.configs = ConfigFacts(self, settings.config_names, settings.config_classes)
        # the module's globals are overwritten from outside (exec(open(...).read()), globals().update)
        self.globals_overridden = False
        self.stack: list[cst.CSTNode] = []
        self.reports: list["PendingReport"] = []
        # per-file memo shared by rules (e.g. one analysis feeding several rules)
        self.cache: dict = {}

    # --- names ---------------------------------------------------------------------------------
    def qualify(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, (cst.Name, cst.Attribute)):
            return self.imports.qualify(node)
        return None

    # --- where we are --------------------------------------------------------------------------
    @property
    def node(self) -> cst.CSTNode:
        return self.stack[-1]

    def parent(self, level: int = 1) -> cst.CSTNode | None:
        index = len(self.stack) - 1 - level
        return self.stack[index] if index >= 0 else None

    def ancestors(self) -> tuple[cst.CSTNode, ...]:
        """The path from the module to the current node, both included."""
        return tuple(self.stack)

    def enclosing_statement(self) -> cst.CSTNode | None:
        for node in reversed(self.stack):
            if isinstance(node, _STATEMENT_TYPES):
                return node
        return None

    def enclosing_function(self, ancestors=None) -> cst.FunctionDef | None:
        for node in reversed(ancestors or self.stack):
            if isinstance(node, cst.FunctionDef):
                return node
        return None

    def enclosing_class(self, ancestors=None) -> cst.ClassDef | None:
        for node in reversed(ancestors or self.stack):
            if isinstance(node, cst.ClassDef):
                return node
        return None

    def is_module_level(self) -> bool:
        return not any(isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) for n in self.stack)

    def during_training(self, ancestors=None) -> bool:
        """RULES.md's "during training": in a training loop, in a function called from one,
        or after the first training call in straight-line code. Call from ``finish``."""
        ancestors = ancestors or self.ancestors()
        if self.training.in_training_loop(ancestors) is not None:
            return True
        function = self.enclosing_function(ancestors)
        if function is not None and self.training.called_from_training_loop(function):
            return True
        return self.training.after_training_call(ancestors)
