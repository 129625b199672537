"""What a rule sees of the file being linted: the tree, the shared facts, where it is."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from hyperlint.catalogue import Catalogue
from hyperlint.facts.bindings import Bindings
from hyperlint.facts.configs import ConfigFacts
from hyperlint.facts.hooks import TrainingHooks
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
        self.stack: list[cst.CSTNode] = []
        self.bindings = Bindings(module, self.stack)
        self.local_functions: set[str] = set()
        self.local_classes: dict[str, cst.ClassDef] = {}
        self.training = TrainingFacts(self.imports, self.local_functions)
        self.training.local_classes = self.local_classes
        self.configs = ConfigFacts(self, settings.config_names, settings.config_classes)
        self.hooks = TrainingHooks(self)
        # the module's globals are overwritten from outside (exec(open(...).read()), globals().update)
        self.globals_overridden = False
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
        in a training hook (or a function it calls), or after the first training call in
        straight-line code. Call from ``finish``."""
        return self.training_context(ancestors) is not None

    def training_run_context(self, ancestors=None) -> str | None:
        """Like ``training_context``, but only while a training runs: in a training loop, a
        function called from one or a training hook; not merely after a training call."""
        ancestors = ancestors or self.ancestors()
        if self.training.in_training_loop(ancestors) is not None:
            return "inside a training loop"
        function = self.enclosing_function(ancestors)
        if function is not None and self.training.called_from_training_loop(function):
            return f"in `{function.name.value}`, which runs from a training loop"
        hook = self.hooks.hook_for(ancestors)
        if hook is not None:
            return hook.describe()
        return None

    def training_context(self, ancestors=None) -> str | None:
        """Why the node at ``ancestors`` runs during training, in words; None if it does not."""
        ancestors = ancestors or self.ancestors()
        running = self.training_run_context(ancestors)
        if running is not None:
            return running
        call = self.training.first_training_call_before(ancestors)
        if call is not None:
            text = " ".join(self.module.code_for_node(call).split())
            if len(text) > 40:
                text = text[: text.index("(") + 1] + "...)" if "(" in text[:37] else text[:37] + "..."
            return f"after the training call `{text}`"
        return None
