"""Which expression a name was last bound to, per scope, built during the one traversal."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import libcst as cst


@dataclass(frozen=True)
class Binding:
    name: str
    kind: str  # assign | annassign | augassign | for | with | param | import | unpack | def | walrus
    statement: cst.CSTNode  # the statement (or Param / For) that binds
    value: cst.BaseExpression | None  # the bound expression (the whole RHS for unpacking)
    index: int | None = None  # position in a tuple unpacking
    scope: "Scope | None" = field(default=None, compare=False, repr=False)
    # the innermost block (suite) the binding is in; None when unknown (the top-level look-ahead)
    block: cst.CSTNode | None = field(default=None, compare=False, repr=False)


@dataclass
class Scope:
    node: cst.CSTNode  # Module, FunctionDef, Lambda or ClassDef
    kind: str  # module | function | class
    bindings: dict[str, list[Binding]] = field(default_factory=dict)

    def add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)


def target_names(target: cst.BaseExpression) -> Iterator[tuple[str, int | None]]:
    """Names bound by an assignment target, with their index in a tuple unpacking."""
    if isinstance(target, cst.Name):
        yield target.value, None
    elif isinstance(target, (cst.Tuple, cst.List)):
        for i, element in enumerate(target.elements):
            value = element.value
            if isinstance(value, cst.Name):
                yield value.value, i
            elif isinstance(value, (cst.Tuple, cst.List)):
                for name, _ in target_names(value):
                    yield name, i
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)


_BLOCKS = (cst.IndentedBlock, cst.SimpleStatementSuite, cst.Module)


class Bindings:
    """A stack of scopes. ``lookup`` follows Python's rules (class bodies are skipped)."""

    def __init__(self, module: cst.Module, node_stack: list[cst.CSTNode] | None = None) -> None:
        # the traversal's ancestor stack: a binding only reaches uses inside its own block
        self.node_stack = node_stack if node_stack is not None else []
        self.module_scope = Scope(module, "module")
        self.stack: list[Scope] = [self.module_scope]
        # every module-level binding, so functions can see names assigned below them
        self.module_all: dict[str, list[Binding]] = {}
        self.all: list[Binding] = []

    @property
    def current(self) -> Scope:
        return self.stack[-1]

    def push(self, node: cst.CSTNode, kind: str) -> None:
        self.stack.append(Scope(node, kind))

    def pop(self) -> None:
        self.stack.pop()

    def bind(self, name: str, kind: str, statement: cst.CSTNode, value, index=None, scope=None) -> Binding:
        scope = scope or self.current
        binding = Binding(name, kind, statement, value, index, scope, self._block())
        scope.add(binding)
        self.all.append(binding)
        return binding

    def bind_target(self, target: cst.BaseExpression, kind: str, statement: cst.CSTNode, value) -> None:
        for name, index in target_names(target):
            self.bind(name, "unpack" if index is not None and kind == "assign" else kind, statement, value, index)

    def _block(self) -> cst.CSTNode | None:
        stack = self.node_stack
        for i in range(len(stack) - 1, -1, -1):
            node = stack[i]
            if isinstance(node, _BLOCKS):
                # a `with` or `try` body always runs: what it binds reaches the code after it
                # (`with open(p) as f: cfg = yaml.safe_load(f)` then `cfg[...]`)
                if i > 0 and isinstance(stack[i - 1], (cst.With, cst.Try)):
                    continue
                return node
        return None

    def lookup(self, name: str, stack: list[Scope] | None = None) -> Binding | None:
        """The binding that reaches a use here: the latest one in the innermost scope that has
        the name, skipping bindings made in a block that does not enclose the use (``if``/``else``
        siblings, a loop body seen from after the loop)."""
        scopes = stack if stack is not None else self.stack
        innermost = True
        # outside the traversal (a rule's finish()) there is no "here": take the latest binding
        enclosing = {id(node) for node in self.node_stack} if self.node_stack else None
        for scope in reversed(scopes):
            if scope.kind == "class" and not innermost:
                continue
            first = innermost
            innermost = False
            found = scope.bindings.get(name)
            if found:
                if not first:
                    return found[-1]
                for binding in reversed(found):
                    if enclosing is None or binding.block is None or id(binding.block) in enclosing:
                        return binding
                if scope.kind != "module":
                    return None  # bound only in other branches: not known here
            if scope.kind == "module":
                later = self.module_all.get(name)
                if later:
                    return later[0]
        return None

    def lookup_all(self, name: str) -> list[Binding]:
        """Every binding of ``name`` in the scope that a lookup from here resolves to."""
        binding = self.lookup(name)
        if binding is None or binding.scope is None:
            return []
        if binding.scope.kind == "module":
            return self.module_all.get(name) or binding.scope.bindings.get(name, [])
        return binding.scope.bindings.get(name, [])

    def snapshot(self) -> list[Scope]:
        return list(self.stack)

    def release(self) -> None:
        """Forget every binding (after the file's findings are made): scopes and bindings refer
        to each other, and this lets the file's tree go by reference counting."""
        for scope in {id(s): s for s in (self.module_scope, *self.stack, *(b.scope for b in self.all))
                      if s is not None}.values():
            scope.bindings.clear()
        self.module_all.clear()
        self.all.clear()
