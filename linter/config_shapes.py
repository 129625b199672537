"""A configuration to move hard-coded values into (a "shape"): how to add an option there and
how code reads it back. The shapes: the command line (config_shape_cli: an argparse parser, absl
flags), a config object (config_shape_objects: a dataclass/attrs/pydantic class with an instance
in reach, a config dict), or a new frozen dataclass (config_shape_new)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from hyperlint.code_index import CodeIndex, Entry
from hyperlint.config_holders import Holders, Unavailable, annotation_names
from hyperlint.config_values import NotALiteral, ValueType, literal_value, value_key
from hyperlint.facts.bindings import Binding
from hyperlint.finding import TextEdit

if TYPE_CHECKING:
    from hyperlint.context import FileContext


@dataclass
class Option:
    """One configuration option the plan reads: new (added by the plan) or already there."""

    name: str
    value: object
    vtype: ValueType
    text: str  # the default, as written
    description: str
    comment: str | None = None
    new: bool = True


class Shape:
    kind = ""
    what = "the configuration"  # in reasons: "the parsed arguments are not visible in ..."

    def __init__(self, ctx: "FileContext", index: CodeIndex) -> None:
        self.ctx = ctx
        self.index = index
        self.newline = ctx.source.newline
        self.holders: Holders | None = None

    # what is already there --------------------------------------------------------------------
    def existing(self) -> dict[str, tuple | None]:
        """Option name -> the key of its default value (None when not a literal)."""
        return {}

    def reserved(self) -> set[str]:
        return set()

    def unsupported(self, vtype: ValueType) -> str | None:
        return None

    def flag(self, name: str) -> str:
        return name

    # reading ------------------------------------------------------------------------------------
    def holder_at(self, start: int, end: int) -> str | Unavailable:
        assert self.holders is not None
        return self.holders.at(start, end)

    def read(self, holder: str, option: Option, quote: str | None) -> str:
        return f"{holder}.{option.name}"

    # writing ------------------------------------------------------------------------------------
    def insertions(self, options: list[Option]) -> list[TextEdit]:
        raise NotImplementedError

    def describe(self, option: Option) -> str:
        raise NotImplementedError

    # helpers ------------------------------------------------------------------------------------
    def _written_names(self, produces) -> set[str]:
        """Attributes the code sets on the configuration (``args.lr = ...``, ``setattr(cfg, "x", ...)``):
        a new option of that name would read the value set there, not the literal."""
        receivers = {b.name for b in self.ctx.bindings.all
                     if b.kind in ("assign", "annassign", "unpack") and b.value is not None and produces(b)}
        receivers |= {b.name for b in self.ctx.bindings.all if b.kind == "param"} & {"args", "opt", "cfg", "config",
                                                                                  "hparams", "opts", "flags"}
        if not receivers:
            return set()
        names = "|".join(re.escape(r) for r in sorted(receivers))
        text = self.ctx.source.text
        written = {m.group(1) for m in re.finditer(rf"\b(?:{names})\s*\.\s*(\w+)\s*(?:[-+*/%@&|^]|//|\*\*)?=(?!=)", text)}
        written |= {m.group(1) for m in re.finditer(rf"setattr\(\s*(?:{names})\s*,\s*['\"](\w+)['\"]", text)}
        return written

    def _insert_lines_after(self, entry: Entry, lines: list[str]) -> TextEdit:
        indent = self.index.line_indent(entry.start)
        point = self.index.next_line_start(entry.end)
        text = "".join(indent + line + self.newline for line in lines)
        if point == len(self.ctx.source.text) and not self.ctx.source.text.endswith(("\n", "\r")):
            text = self.newline + text
        return TextEdit(point, point, text)


def literal_key(node: cst.BaseExpression | None, module: cst.Module) -> tuple | None:
    if node is None:
        return None
    try:
        return value_key(literal_value(module.code_for_node(node)))
    except NotALiteral:
        return None


def bindings_with_value(ctx: "FileContext") -> list[Binding]:
    return [b for b in ctx.bindings.all if b.value is not None]


def statement_call(node: cst.CSTNode) -> cst.Call | None:
    """The call of a statement line that is just a call: ``parser.add_argument(...)``."""
    if isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1:
        small = node.body[0]
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            return small.value
    return None


def function_returns(index: CodeIndex, function: str, produces, annotation: str | None = None) -> bool:
    """The same-file function ``function`` returns what ``produces`` accepts (directly, or a local
    variable bound to it), or is annotated to return ``annotation``."""
    definition = next((e for e in index.functions() if e.node.name.value == function), None)  # type: ignore[union-attr]
    if definition is None:
        return False
    node: cst.FunctionDef = definition.node  # type: ignore[assignment]
    if annotation and node.returns is not None and annotation in annotation_names(node.returns.annotation):
        return True
    locals_: dict[str, list[cst.BaseExpression]] = {}
    returned: list[cst.BaseExpression] = []
    for entry in index.entries:
        if definition not in entry.parents or not isinstance(entry.node, cst.SimpleStatementLine):
            continue
        inner = [p for p in entry.parents if isinstance(p.node, cst.FunctionDef)]
        if inner[-1] is not definition:
            continue
        for small in entry.node.body:
            if isinstance(small, cst.Return) and small.value is not None:
                returned.append(small.value)
            elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                locals_.setdefault(small.targets[0].target.value, []).append(small.value)
    if not returned:
        return False
    for value in returned:
        if isinstance(value, cst.Name) and value.value in locals_:
            if not all(produces(v) for v in locals_[value.value]):
                return False
        elif not produces(value):
            return False
    return True


class NoPlace(Exception):
    """The options cannot be written into this file (a name they need is taken)."""
