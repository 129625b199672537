"""Which variable holds the configuration object at a place in the code: the parsed argparse
namespace, an instance of the config class, the config dict, absl's FLAGS.

A name holds it in a scope when every binding of the name there produces the configuration
(``args = parser.parse_args()``, ``cfg = TrainConfig()``), or when it is a parameter annotated
with the config's type or given the configuration by every call of the function in the file.
From a place, the innermost such scope counts if no scope in between rebinds the name, and,
where the place runs as soon as that scope does, if the binding comes first."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import libcst as cst

from hyperlint.code_index import CodeIndex, find_names, header_parts
from hyperlint.facts.bindings import Binding, Scope
from hyperlint.facts.names import dotted

if TYPE_CHECKING:
    from hyperlint.context import FileContext

MAX_CALL_DEPTH = 3


@dataclass(frozen=True)
class Unavailable:
    reason: str


class Holders:
    def __init__(
        self,
        ctx: "FileContext",
        index: CodeIndex,
        produces: Callable[[Binding], bool],
        annotated: Callable[[cst.BaseExpression], bool],
        what: str,
        preferred: str | None = None,
    ) -> None:
        """``produces(binding)``: the bound value is the configuration; ``annotated(annotation)``:
        a parameter so annotated receives it; ``what`` names it in reasons ("the parsed arguments")."""
        self.ctx = ctx
        self.index = index
        self.produces = produces
        self.annotated = annotated
        self.what = what
        self.preferred = preferred
        self.scopes: dict[int, Scope] = {id(ctx.bindings.module_scope.node): ctx.bindings.module_scope}
        for binding in ctx.bindings.all:
            if binding.scope is not None:
                self.scopes.setdefault(id(binding.scope.node), binding.scope)
        self._calls: dict[str, list[tuple[cst.Call, int, int]] | None] = {}
        self._params: dict[tuple[int, str], bool] = {}
        self._module: dict[str, list[Binding]] | None = None
        self._depth = 0

    # --- the question --------------------------------------------------------------------------
    def at(self, start: int, end: int) -> str | Unavailable:
        chain = self.index.scopes_at(start, end)
        functions = [node for node in chain if isinstance(node, cst.FunctionDef)]
        shadowed: set[str] = set()
        if chain and isinstance(chain[-1], cst.ClassDef):
            shadowed |= set(self._bindings(chain[-1]))
        innermost = functions[-1] if functions else None
        late: str | None = None
        for function in reversed(functions):
            names = self._bindings(function)
            for name in self._candidates(names, shadowed):
                if not all(self._holds(b, function) for b in names[name]):
                    continue
                if function is innermost and not self._bound_before(names[name], start, end):
                    late = late or name
                    continue
                return name
            shadowed |= set(names)
        names = self._module_holders()
        for name in names:
            if name in shadowed:
                continue
            if innermost is None and not self._bound_before(names[name], start, end):
                late = late or name
                continue
            return name
        if late is not None:
            return Unavailable(f"`{late}` ({self.what}) is not set yet where the value is used")
        plural = self.what.endswith("s")
        verb, pronoun = ("are", "them") if plural else ("is", "it")
        if innermost is not None:
            return Unavailable(f"{self.what} {verb} not visible in `{innermost.name.value}()`: it neither receives "
                               f"nor creates {pronoun}")
        return Unavailable(f"{self.what} {verb} not available at module level here")

    # --- pieces ------------------------------------------------------------------------------
    def _module_holders(self) -> dict[str, list[Binding]]:
        """Module-level names bound only to the configuration (the same from every place)."""
        if self._module is None:
            module = self.ctx.bindings.module_scope
            names = dict(module.bindings)
            for name, items in self.ctx.bindings.module_all.items():
                names.setdefault(name, items)
            self._module = {name: names[name] for name in self._candidates(names, set())
                            if all(self._holds(b, None) for b in names[name])}
        return self._module

    def _bindings(self, node: cst.CSTNode) -> dict[str, list[Binding]]:
        scope = self.scopes.get(id(node))
        return scope.bindings if scope is not None else {}

    def _candidates(self, names: dict[str, list[Binding]], shadowed: set[str]) -> list[str]:
        found = [name for name, items in names.items()
                 if name not in shadowed and any(self._may_hold(b) for b in items)]
        return sorted(found, key=lambda n: (n != self.preferred, n))

    def _may_hold(self, binding: Binding) -> bool:
        if binding.kind == "param":
            return True
        return binding.kind in ("assign", "annassign", "unpack", "walrus") and self.produces(binding)

    def _holds(self, binding: Binding, function: cst.FunctionDef | None) -> bool:
        if binding.kind == "param":
            return function is not None and self._param_holds(binding, function)
        return binding.kind in ("assign", "annassign", "unpack", "walrus") and self.produces(binding)

    def _bound_before(self, bindings: list[Binding], start: int, end: int) -> bool:
        for binding in bindings:
            if binding.kind == "param":
                return True
            if binding.statement not in self.index.positions:
                continue
            _, bound_end = self.index.offsets(binding.statement)
            if bound_end > start:
                continue
            block = binding.block
            if block is None or isinstance(block, cst.Module) or block not in self.index.positions:
                return True
            block_start, block_end = self.index.offsets(block)
            if block_start <= start and end <= block_end:
                return True
        return False

    def _param_holds(self, binding: Binding, function: cst.FunctionDef) -> bool:
        key = (id(function), binding.name)
        if key not in self._params:
            self._params[key] = False  # recursion guard
            self._params[key] = self._param_holds_uncached(binding, function)
        return self._params[key]

    def _param_holds_uncached(self, binding: Binding, function: cst.FunctionDef) -> bool:
        param = binding.statement
        if not isinstance(param, cst.Param):
            return False
        if param.annotation is not None and self.annotated(param.annotation.annotation):
            return True
        if self._depth >= MAX_CALL_DEPTH or self._is_method(function):
            return False
        positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        calls = self._calls_of(function.name.value)
        if not calls:
            return False
        self._depth += 1
        try:
            for call, start, end in calls:
                argument = _argument_for(call, binding.name, positional)
                if not isinstance(argument, cst.Name):
                    return False
                if self.at(start, end) != argument.value:
                    return False
            return True
        finally:
            self._depth -= 1

    def _is_method(self, function: cst.FunctionDef) -> bool:
        entry = self.index.entry(function)
        return entry is not None and bool(entry.parents) and isinstance(entry.parents[-1].node, cst.ClassDef)

    def _calls_of(self, name: str) -> list[tuple[cst.Call, int, int]] | None:
        """Every call of the same-file function ``name``; None when it is also used as a value
        (passed as a callback: its callers are unknown) or defined more than once."""
        if name in self._calls:
            return self._calls[name]
        calls: list[tuple[cst.Call, int, int]] = []
        definitions = 0
        result: list | None = calls
        seen: set[int] = set()
        for offset in self.index.occurrences(name):
            entry = self.index.statement_at(offset, offset + len(name))
            if entry is None or id(entry) in seen:
                continue
            seen.add(id(entry))
            if isinstance(entry.node, cst.FunctionDef) and entry.node.name.value == name:
                definitions += 1
            for use in find_names(header_parts(entry.node), name):
                if use.role == "call" and use.call is not None and use.call in self.index.positions:
                    start, end = self.index.offsets(use.call)
                    calls.append((use.call, start, end))
                elif use.role in ("load", "store", "global"):
                    result = None
        if definitions != 1:
            result = None
        self._calls[name] = result
        return result


def _argument_for(call: cst.Call, name: str, positional: list[str]) -> cst.BaseExpression | None:
    index = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is not None:
            if arg.keyword.value == name:
                return arg.value
            continue
        if index < len(positional) and positional[index] == name:
            return arg.value
        index += 1
    return None


def annotation_names(annotation: cst.BaseExpression) -> set[str]:
    """``Foo``, ``mod.Foo``, ``"Foo"``, ``Optional[Foo]`` -> the class names it mentions."""
    names: set[str] = set()
    if isinstance(annotation, cst.SimpleString):
        value = annotation.evaluated_value
        if isinstance(value, str):
            names.add(value.strip().rsplit(".", 1)[-1])
    elif isinstance(annotation, (cst.Name, cst.Attribute)):
        text = dotted(annotation)
        if text:
            names.add(text.rsplit(".", 1)[-1])
    return names
