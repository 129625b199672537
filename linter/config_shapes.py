"""The configuration a script already has, as a place to move hard-coded values into: how to
add an option there (an ``add_argument`` line, a dataclass field, a dict entry, an absl flag, or
a new frozen dataclass) and how code reads it back."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from hyperlint.code_index import CodeIndex, Entry
from hyperlint.config_holders import Holders, Unavailable, annotation_names
from hyperlint.config_values import (
    NotALiteral,
    ValueType,
    as_tuple_text,
    identifier,
    literal_value,
    python_string,
    value_key,
)
from hyperlint.facts.bindings import Binding
from hyperlint.facts.names import dotted
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
    def _insert_lines_after(self, entry: Entry, lines: list[str]) -> TextEdit:
        indent = self.index.line_indent(entry.start)
        point = self.index.next_line_start(entry.end)
        text = "".join(indent + line + self.newline for line in lines)
        if point == len(self.ctx.source.text) and not self.ctx.source.text.endswith(("\n", "\r")):
            text = self.newline + text
        return TextEdit(point, point, text)


def _literal_key(node: cst.BaseExpression | None, module: cst.Module) -> tuple | None:
    if node is None:
        return None
    try:
        return value_key(literal_value(module.code_for_node(node)))
    except NotALiteral:
        return None


def _bindings_with_value(ctx: "FileContext") -> list[Binding]:
    return [b for b in ctx.bindings.all if b.value is not None]


# -------------------------------------------------------------------------------------------------
# argparse


_PARSE = ("parse_args", "parse_known_args")


class ArgparseShape(Shape):
    kind = "argparse"
    what = "the parsed arguments"

    def __init__(self, ctx, index, parser: Binding, anchor: Entry, single_parser: bool, preferred: str | None) -> None:
        super().__init__(ctx, index)
        self.parser = parser
        self.anchor = anchor
        self.single_parser = single_parser
        self._returns: dict[str, bool] = {}
        self._quote = '"'
        self._existing, self._dash = self._scan_arguments()
        self.holders = Holders(ctx, index, self._produces, self._annotated, self.what, preferred)

    @classmethod
    def build(cls, ctx, index, preferred: str | None) -> "ArgparseShape | str":
        parsers = []
        for binding in _bindings_with_value(ctx):
            value = binding.value
            if isinstance(value, cst.Call) and binding.kind in ("assign", "annassign"):
                qualified = ctx.qualify(value.func) or ""
                if qualified == "transformers.HfArgumentParser":
                    return ("the parser is an HfArgumentParser, which fills dataclasses: add a field to one of "
                            "them by hand")
                if qualified == "argparse.ArgumentParser":
                    parsers.append(binding)
        if not parsers:
            return "no `argparse.ArgumentParser` assignment was found to add the flag to"
        parser = parsers[0]
        if parser.statement not in index.positions:
            return "the parser's definition could not be located"
        start, end = index.offsets(parser.statement)
        definition = index.statement_at(start, end)
        if definition is None or not isinstance(definition.node, cst.SimpleStatementLine):
            return "the parser is not defined on a line of its own"
        anchor = definition
        receivers = {parser.name}
        for entry in index.entries:
            if entry.block is not definition.block or entry.start <= definition.start:
                continue
            call = _statement_call(entry.node)
            if call is None or not isinstance(call.func, cst.Attribute) or not isinstance(call.func.value, cst.Name):
                small = entry.node.body[0] if isinstance(entry.node, cst.SimpleStatementLine) else None
                if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                    func = small.value.func
                    if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                            and func.value.value in receivers and func.attr.value.startswith("add_")
                            and "group" in func.attr.value):
                        receivers |= {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
                continue
            if call.func.attr.value == "add_argument" and call.func.value.value in receivers:
                anchor = entry
        return cls(ctx, index, parser, anchor, len({p.name for p in parsers}) == 1, preferred)

    # the parsed namespace ---------------------------------------------------------------------
    def _produces(self, binding: Binding) -> bool:
        value = binding.value
        if binding.kind == "unpack":
            return binding.index == 0 and self._parse_call(value, known_ok=True)
        if isinstance(value, cst.Subscript) and len(value.slice) == 1:
            index = value.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer) and index.value.value == "0":
                return self._parse_call(value.value, known_ok=True)
        return self._parse_call(value, known_ok=False)

    def _parse_call(self, value, known_ok: bool) -> bool:
        if not isinstance(value, cst.Call):
            return False
        func = value.func
        if isinstance(func, cst.Attribute) and func.attr.value in _PARSE:
            if func.attr.value == "parse_known_args" and not known_ok:
                return False
            receiver = func.value
            if isinstance(receiver, cst.Name):
                return receiver.value == self.parser.name or self.single_parser
            return self.single_parser and isinstance(receiver, cst.Call)
        if isinstance(func, cst.Name) and func.value in self.ctx.local_functions and not known_ok:
            return self._returns_namespace(func.value)
        return False

    def _returns_namespace(self, name: str) -> bool:
        if name not in self._returns:
            self._returns[name] = False  # recursion guard
            self._returns[name] = _returns(self.index, name, self._produces_expression)
        return self._returns[name]

    def _produces_expression(self, value: cst.BaseExpression) -> bool:
        return self._parse_call(value, known_ok=False)

    @staticmethod
    def _annotated(annotation: cst.BaseExpression) -> bool:
        return "Namespace" in annotation_names(annotation)

    # the parser's arguments -------------------------------------------------------------------
    def _scan_arguments(self) -> tuple[dict[str, tuple | None], bool]:
        existing: dict[str, tuple | None] = {"help": None, "h": None}
        dashes = underscores = 0
        for entry in self.index.entries:
            call = _statement_call(entry.node)
            if call is None or not isinstance(call.func, cst.Attribute):
                continue
            method = call.func.attr.value
            if method == "set_defaults":
                for arg in call.args:
                    if arg.keyword is not None:
                        existing[arg.keyword.value] = _literal_key(arg.value, self.ctx.module)
                continue
            if method != "add_argument":
                continue
            strings = [a.value for a in call.args if a.keyword is None and isinstance(a.value, cst.SimpleString)
                       and isinstance(a.value.evaluated_value, str)]
            flags = [s.evaluated_value for s in strings]
            if strings:
                self._quote = strings[0].quote[-1]
            keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
            long = [f for f in flags if f.startswith("--")]
            for flag in flags:
                stem = flag.lstrip("-")
                if "-" in stem:
                    dashes += 1
                elif "_" in stem:
                    underscores += 1
                existing.setdefault(stem.replace("-", "_"), None)
            dest_node = keywords.get("dest")
            if isinstance(dest_node, cst.SimpleString) and isinstance(dest_node.evaluated_value, str):
                dest = dest_node.evaluated_value
            elif long:
                dest = long[0].lstrip("-").replace("-", "_")
            elif flags:
                dest = flags[0].lstrip("-").replace("-", "_")
            else:
                continue
            existing[dest] = _literal_key(keywords.get("default"), self.ctx.module)
        return existing, underscores <= dashes

    def existing(self) -> dict[str, tuple | None]:
        return self._existing

    def reserved(self) -> set[str]:
        return {"help", "h"}

    def flag(self, name: str) -> str:
        return "--" + (name.replace("_", "-") if self._dash else name)

    def _argparse_module(self) -> str | None:
        for alias, target in self.ctx.imports.aliases.items():
            if target == "argparse":
                return alias
        return None

    def _line(self, option: Option) -> str:
        parser = self.parser.name
        q = self._quote
        flag = python_string(self.flag(option.name), q)
        help_text = python_string(option.description.replace("%", "%%"), q)
        vtype = option.vtype
        if vtype.kind == "bool":
            module = self._argparse_module()
            if module is not None:
                return (f"{parser}.add_argument({flag}, action={module}.BooleanOptionalAction, "
                        f"default={option.text}, help={help_text})")
            if option.value:
                negative = python_string("--no-" + self.flag(option.name)[2:], q)
                return (f"{parser}.add_argument({negative}, dest={python_string(option.name, q)}, "
                        f"action={q}store_false{q}, help={help_text})")
            return f"{parser}.add_argument({flag}, action={q}store_true{q}, help={help_text})"
        if vtype.sequence:
            nargs = str(vtype.length) if vtype.kind == "tuple" else f"{q}+{q}"
            return (f"{parser}.add_argument({flag}, type={vtype.element}, nargs={nargs}, default={option.text}, "
                    f"help={help_text})")
        return f"{parser}.add_argument({flag}, type={vtype.kind}, default={option.text}, help={help_text})"

    def insertions(self, options: list[Option]) -> list[TextEdit]:
        return [self._insert_lines_after(self.anchor, [self._line(o) for o in options])]

    def describe(self, option: Option) -> str:
        if not option.new:
            return f"use the parser's existing `{self.flag(option.name)}` (default {option.text})"
        return f"add `{self.flag(option.name)}` (default {option.text}) to the argparse parser `{self.parser.name}`"


# -------------------------------------------------------------------------------------------------
# a config class (dataclass / attrs / pydantic / NamedTuple) with an instance in reach

_FIELD_CALLS = ("ib", "attrib", "field", "Field")
_CLASS_FACTORIES = ("tyro.cli", "pyrallis.parse", "simple_parsing.parse", "draccus.parse")


class ConfigClassShape(Shape):
    kind = "dataclass"

    def __init__(self, ctx, index, entry: Entry, preferred: str | None) -> None:
        super().__init__(ctx, index)
        self.entry = entry
        self.node: cst.ClassDef = entry.node  # type: ignore[assignment]
        self.name = self.node.name.value
        self.what = f"an instance of `{self.name}`"
        self._returns: dict[str, bool] = {}
        self._fields, self._last, self._style = self._scan()
        self.holders = Holders(ctx, index, self._produces, self._annotated, self.what, preferred)

    @classmethod
    def candidates(cls, ctx, index) -> list[Entry]:
        names = ctx.configs.local_config_classes
        out = []
        for entry in index.entries:
            node = entry.node
            if isinstance(node, cst.ClassDef) and node.name.value in names:
                bases = {(dotted(b.value) or "").rsplit(".", 1)[-1] for b in node.bases}
                if bases & {"TypedDict", "Enum", "IntEnum", "StrEnum"}:
                    continue
                out.append(entry)
        return out

    def usable(self) -> str | None:
        if self._last is None:
            return f"`{self.name}` declares no fields in its class body"
        return None

    def _scan(self):
        fields: dict[str, tuple | None] = {}
        last: Entry | None = None
        style = "annotated"
        for entry in self.index.entries:
            if not entry.parents or entry.parents[-1].node is not self.node:
                continue
            node = entry.node
            if isinstance(node, cst.FunctionDef):
                fields.setdefault(node.name.value, None)
                continue
            if not isinstance(node, cst.SimpleStatementLine):
                continue
            small = node.body[0]
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                fields[small.target.value] = _literal_key(small.value, self.ctx.module)
                last, style = entry, "annotated"
            elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                value = small.value
                name = small.targets[0].target.value
                if isinstance(value, cst.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] in _FIELD_CALLS:
                    default = next((a.value for a in value.args if a.keyword and a.keyword.value == "default"), None)
                    fields[name] = _literal_key(default, self.ctx.module)
                    last, style = entry, "call:" + (dotted(value.func) or "field")
                else:
                    fields.setdefault(name, None)
        return fields, last, style

    def _produces(self, binding: Binding) -> bool:
        if binding.kind == "unpack":
            return False
        return self._produces_expression(binding.value)

    def _produces_expression(self, value) -> bool:
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call):
            return False
        name = dotted(value.func) or ""
        if name == self.name:
            return True
        qualified = self.ctx.qualify(value.func) or ""
        if qualified in _CLASS_FACTORIES:
            for arg in value.args:
                if (arg.keyword is None or arg.keyword.value == "config_class") and dotted(arg.value) == self.name:
                    return True
            return False
        if isinstance(value.func, cst.Name) and value.func.value in self.ctx.local_functions:
            function = value.func.value
            if function not in self._returns:
                self._returns[function] = False
                self._returns[function] = _returns(self.index, function, self._produces_expression,
                                                   annotation=self.name)
            return self._returns[function]
        return False

    def _annotated(self, annotation) -> bool:
        return self.name in annotation_names(annotation)

    def existing(self) -> dict[str, tuple | None]:
        return self._fields

    def read(self, holder: str, option: Option, quote: str | None) -> str:
        if option.vtype.kind == "list":
            return f"list({holder}.{option.name})"
        return f"{holder}.{option.name}"

    def field_line(self, option: Option) -> str:
        default = as_tuple_text(option.text, option.value)
        if self._style.startswith("call:"):
            line = f"{option.name} = {self._style[5:]}(default={default})"
        else:
            line = f"{option.name}: {option.vtype.annotation()} = {default}"
        return line + (f"  # {option.comment}" if option.comment else "")

    def insertions(self, options: list[Option]) -> list[TextEdit]:
        assert self._last is not None
        return [self._insert_lines_after(self._last, [self.field_line(o) for o in options])]

    def describe(self, option: Option) -> str:
        if not option.new:
            return f"use the existing field `{self.name}.{option.name}` (default {option.text})"
        return f"add the field `{self.field_line(option)}` to `{self.name}`"


# -------------------------------------------------------------------------------------------------
# a config dict literal: config = {"lr": 0.1, ...}


class ConfigDictShape(Shape):
    kind = "dict"

    def __init__(self, ctx, index, binding: Binding, preferred: str | None = None) -> None:
        super().__init__(ctx, index)
        self.binding = binding
        self.node: cst.Dict | cst.Call = binding.value  # type: ignore[assignment]
        self.what = f"the `{binding.name}` dict"
        self.holders = Holders(ctx, index, self._produces, lambda a: False, self.what, binding.name)
        self._keys, self._quote = self._scan()

    @classmethod
    def find(cls, ctx) -> Binding | None:
        for binding in _bindings_with_value(ctx):
            value = binding.value
            if binding.kind not in ("assign", "annassign") or not ctx.configs.is_config_variable_name(binding.name):
                continue
            if isinstance(value, cst.Dict) and all(
                    isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) for e in value.elements):
                return binding
            if isinstance(value, cst.Call) and dotted(value.func) == "dict" and all(
                    a.keyword is not None for a in value.args):
                return binding
        return None

    def _produces(self, binding: Binding) -> bool:
        return binding.value is self.node

    def _scan(self) -> tuple[dict[str, tuple | None], str]:
        keys: dict[str, tuple | None] = {}
        quote = '"'
        if isinstance(self.node, cst.Dict):
            for element in self.node.elements:
                key = element.key
                if isinstance(key, cst.SimpleString) and isinstance(key.evaluated_value, str):
                    keys[key.evaluated_value] = _literal_key(element.value, self.ctx.module)
                    quote = key.quote[-1]
        else:
            for arg in self.node.args:
                keys[arg.keyword.value] = _literal_key(arg.value, self.ctx.module)
        return keys, quote

    def existing(self) -> dict[str, tuple | None]:
        return self._keys

    def read(self, holder: str, option: Option, quote: str | None) -> str:
        q = self._quote if quote is None or quote[-1] != self._quote else ("'" if self._quote == '"' else '"')
        return f"{holder}[{python_string(option.name, q)}]"

    def _entry(self, option: Option) -> str:
        if isinstance(self.node, cst.Dict):
            return f"{python_string(option.name, self._quote)}: {option.text}"
        return f"{option.name}={option.text}"

    def insertions(self, options: list[Option]) -> list[TextEdit]:
        items = list(self.node.elements if isinstance(self.node, cst.Dict) else self.node.args)
        entries = [self._entry(o) for o in options]
        if not items:
            if isinstance(self.node, cst.Dict):
                start, end = self.index.offsets(self.node)
                return [TextEdit(start + 1, start + 1, ", ".join(entries))]
            start, end = self.index.offsets(self.node)
            return [TextEdit(end - 1, end - 1, ", ".join(entries))]
        last = items[-1]
        _, last_end = self.index.offsets(last.value)
        has_comma = isinstance(last.comma, cst.Comma)
        first_start, _ = self.index.offsets(items[0].key if isinstance(self.node, cst.Dict) else items[0])
        multiline = self.ctx.source.position(first_start).row != self.ctx.source.position(last_end).row or (
            self.ctx.source.position(first_start).row != self.ctx.source.position(self.index.offsets(self.node)[0]).row)
        if multiline:
            indent = self.index.line_indent(first_start)
            text = "".join(f"{indent}{e},{self.newline}" for e in entries)
            point = self.index.next_line_start(last_end if not has_comma else self._comma_end(last, last_end))
            edits = [TextEdit(point, point, text)]
            if not has_comma:
                edits.append(TextEdit(last_end, last_end, ","))
            return edits
        text = ", ".join(entries)
        if has_comma:
            point = self._comma_end(last, last_end)
            return [TextEdit(point, point, " " + text)]
        return [TextEdit(last_end, last_end, ", " + text)]

    def _comma_end(self, item, value_end: int) -> int:
        rest = self.ctx.source.text
        position = rest.find(",", value_end)
        return position + 1 if position >= 0 else value_end

    def describe(self, option: Option) -> str:
        if not option.new:
            return f"use the existing `{self.binding.name}[{python_string(option.name, self._quote)}]`"
        return f"add `{self._entry(option)}` to the `{self.binding.name}` dict"


# -------------------------------------------------------------------------------------------------
# absl flags


_ABSL_DEFINES = {"float": "DEFINE_float", "int": "DEFINE_integer", "str": "DEFINE_string", "bool": "DEFINE_bool"}


class AbslShape(Shape):
    kind = "absl"
    what = "absl's FLAGS"

    def __init__(self, ctx, index, anchor: Entry, module: str, holder: str) -> None:
        super().__init__(ctx, index)
        self.anchor = anchor
        self.module = module
        self.holder = holder
        self._flags = self._scan()

    @classmethod
    def build(cls, ctx, index) -> "AbslShape | str":
        anchor = module = None
        for entry in index.entries:
            if entry.depth:
                continue
            call = _statement_call(entry.node)
            if call is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value.startswith("DEFINE_"):
                qualified = ctx.qualify(call.func) or ""
                if qualified.startswith(("absl.flags.", "tensorflow.compat.v1.flags.", "tensorflow.compat.v1.app.flags.")):
                    anchor, module = entry, ctx.module.code_for_node(call.func.value)
        if anchor is None:
            return "no module-level `flags.DEFINE_*` line was found to add the flag beside"
        holder = None
        for binding in ctx.bindings.module_scope.bindings.get("FLAGS", []):
            if binding.value is not None and (ctx.qualify(binding.value) or "").endswith("flags.FLAGS"):
                holder = "FLAGS"
        if holder is None:
            holder = f"{module}.FLAGS"
        return cls(ctx, index, anchor, module, holder)

    def _scan(self) -> dict[str, tuple | None]:
        flags: dict[str, tuple | None] = {}
        for entry in self.index.entries:
            call = _statement_call(entry.node)
            if call is None or not isinstance(call.func, cst.Attribute) or not call.func.attr.value.startswith("DEFINE"):
                continue
            positional = [a.value for a in call.args if a.keyword is None]
            keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
            name = positional[0] if positional else keywords.get("name")
            if isinstance(name, cst.SimpleString) and isinstance(name.evaluated_value, str):
                default = positional[1] if len(positional) > 1 else keywords.get("default")
                flags[name.evaluated_value] = _literal_key(default, self.ctx.module)
        return flags

    def existing(self) -> dict[str, tuple | None]:
        return self._flags

    def unsupported(self, vtype: ValueType) -> str | None:
        if vtype.sequence:
            return "absl has no flag type for a tuple or list of numbers"
        return None

    def holder_at(self, start: int, end: int) -> str | Unavailable:
        chain = self.index.scopes_at(start, end)
        if not any(isinstance(n, cst.FunctionDef) for n in chain):
            return Unavailable("absl flags are parsed when `app.run` starts, after module-level code has run")
        return self.holder

    def _line(self, option: Option) -> str:
        define = _ABSL_DEFINES[option.vtype.kind]
        return f"{self.module}.{define}({python_string(option.name)}, {option.text}, {python_string(option.description)})"

    def insertions(self, options: list[Option]) -> list[TextEdit]:
        return [self._insert_lines_after(self.anchor, [self._line(o) for o in options])]

    def describe(self, option: Option) -> str:
        if not option.new:
            return f"use the existing flag `{option.name}` (default {option.text})"
        return f"define `{self._line(option)}`"


# -------------------------------------------------------------------------------------------------
# helpers


def _statement_call(node: cst.CSTNode) -> cst.Call | None:
    """The call of a statement line that is just a call: ``parser.add_argument(...)``."""
    if isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1:
        small = node.body[0]
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            return small.value
    return None


def _returns(index: CodeIndex, function: str, produces, annotation: str | None = None) -> bool:
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


# -------------------------------------------------------------------------------------------------
# no configuration yet: a new frozen dataclass near the top, parsed from the command line when the
# file runs as a script


def _fresh(text: str, candidates: list[str]) -> str:
    import re

    for name in candidates:
        if not re.search(rf"\b{re.escape(name)}\b", text):
            return name
    base = candidates[0]
    number = 2
    while re.search(rf"\b{base}_{number}\b", text):
        number += 1
    return f"{base}_{number}"


def _is_main_guard(node: cst.CSTNode) -> bool:
    if not isinstance(node, cst.If) or not isinstance(node.test, cst.Comparison):
        return False
    test = node.test
    if len(test.comparisons) != 1 or not isinstance(test.comparisons[0].operator, cst.Equal):
        return False
    sides = [test.left, test.comparisons[0].comparator]
    names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
    strings = [s for s in sides if isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__"]
    return len(names) == 1 and len(strings) == 1


def _is_import_line(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.SimpleStatementLine):
        return all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in node.body)
    if isinstance(node, (cst.Try, cst.If)) and isinstance(node.body, cst.IndentedBlock):
        return all(_is_import_line(s) for s in node.body.body)
    return False


def _is_future_import(node: cst.CSTNode) -> bool:
    return (isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1
            and isinstance(node.body[0], cst.ImportFrom) and dotted(node.body[0].module or cst.Name("x")) == "__future__")


def _is_docstring(node: cst.CSTNode) -> bool:
    return (isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1 and isinstance(node.body[0], cst.Expr)
            and isinstance(node.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


class NewConfigShape(Shape):
    kind = "none"
    what = "the new config"

    def __init__(self, ctx, index) -> None:
        super().__init__(ctx, index)
        text = ctx.source.text
        self.class_name = _fresh(text, ["TrainConfig", "TrainingConfig", "ScriptConfig", "ExperimentConfig"])
        self.instance = _fresh(text, ["config", "train_config", "run_config", "script_config"])
        # not named like a parse_args() helper, so the file keeps reading as "a dataclass config"
        self.parser_function = _fresh(text, ["config_from_args", "train_config_from_args", "config_from_command_line"])
        top = [e for e in index.entries if e.depth == 0]
        self.top = top
        self.exposed = any(_is_main_guard(e.node) for e in top)
        self.known_args = "argv" in text
        self.module_sites: list[int] = []
        self.indent = ctx.module.default_indent

    def holder_at(self, start: int, end: int) -> str | Unavailable:
        if not any(isinstance(n, cst.FunctionDef) for n in self.index.scopes_at(start, end)):
            self.module_sites.append(start)
        return self.instance

    def read(self, holder: str, option: Option, quote: str | None) -> str:
        if option.vtype.kind == "list":
            return f"list({holder}.{option.name})"
        return f"{holder}.{option.name}"

    def field_line(self, option: Option) -> str:
        line = f"{option.name}: {option.vtype.annotation()} = {as_tuple_text(option.text, option.value)}"
        return line + (f"  # {option.comment}" if option.comment else "")

    def describe(self, option: Option) -> str:
        flag = f" and the flag `--{option.name.replace('_', '-')}`" if self.exposed else ""
        return (f"move it into a new `@dataclass(frozen=True)` config `{self.class_name}` as "
                f"`{option.name}`{flag}")

    # where things go ----------------------------------------------------------------------------
    def _points(self) -> tuple[int, int, int]:
        """(end of docstring and __future__ imports, end of the leading imports, where the block goes)."""
        top = self.top
        i = 0
        if i < len(top) and _is_docstring(top[i].node):
            i += 1
        while i < len(top) and _is_future_import(top[i].node):
            i += 1
        header = self.index.next_line_start(top[i - 1].end) if i else 0
        after_imports = header
        while i < len(top) and _is_import_line(top[i].node):
            after_imports = self.index.next_line_start(top[i].end)
            i += 1
        block = after_imports
        for site in self.module_sites:
            entry = self.index.statement_at(site)
            if entry is not None:
                block = min(block, self.index.line_start(entry.top.start))
        return header, after_imports, max(block, header)

    def _imports_before(self, point: int) -> dict[str, str]:
        from hyperlint.facts.names import ImportTable

        table = ImportTable()
        for entry in self.top:
            if entry.start >= point or not isinstance(entry.node, cst.SimpleStatementLine):
                continue
            for small in entry.node.body:
                if isinstance(small, cst.Import):
                    table.add_import(small)
                elif isinstance(small, cst.ImportFrom):
                    table.add_import_from(small)
        return table.aliases

    def insertions(self, options: list[Option]) -> list[TextEdit]:
        nl, ind = self.newline, self.indent
        header, after_imports, block_point = self._points()
        aliases = self._imports_before(block_point)
        imports: list[str] = []

        def module_alias(module: str) -> str:
            for alias, target in aliases.items():
                if target == module:
                    return alias
            if self._free(module, module):
                imports.append(f"import {module}")
                return module
            raise _NoPlace(f"the name `{module}` is taken in this file")

        decorator = next((a for a, t in aliases.items() if t == "dataclasses.dataclass"), None)
        if decorator is None:
            if self._free("dataclass", "dataclasses.dataclass"):
                imports.append("from dataclasses import dataclass")
                decorator = "dataclass"
            else:
                decorator = module_alias("dataclasses") + ".dataclass"
        lines = [f"@{decorator}(frozen=True)", f"class {self.class_name}:",
                 f'{ind}"""Hyperparameters of this script, moved out of the code by `hyperlint extract-config`."""',
                 ""]
        lines += [ind + self.field_line(o) for o in options]
        if self.exposed:
            argparse_ = module_alias("argparse")
            dataclasses_ = module_alias("dataclasses")
            parse = ("cli.parse_known_args(argv)[0]" if self.known_args else "cli.parse_args(argv)")
            lines += [
                "", "",
                f"def {self.parser_function}(argv=None):",
                f'{ind}"""`{self.class_name}` from the command line: a `--flag` per field, defaulting to the field."""',
                f"{ind}cli = {argparse_}.ArgumentParser()",
                f"{ind}for item in {dataclasses_}.fields({self.class_name}):",
                f'{ind * 2}flag, default = "--" + item.name.replace("_", "-"), item.default',
                f"{ind * 2}if isinstance(default, bool):",
                f"{ind * 3}cli.add_argument(flag, action={argparse_}.BooleanOptionalAction, default=default)",
                f"{ind * 2}elif isinstance(default, tuple):",
                f"{ind * 3}cli.add_argument(flag, type=type(default[0]), nargs=len(default), default=default)",
                f"{ind * 2}else:",
                f"{ind * 3}cli.add_argument(flag, type=type(default), default=default)",
                f"{ind}values = vars({parse})",
                f"{ind}return {self.class_name}(**{{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}})",
            ]
        lines += ["", "", f"{self.instance} = {self.class_name}()"]
        if self.exposed:
            lines += ['if __name__ == "__main__":', f"{ind}{self.instance} = {self.parser_function}()"]
        before = self._blank_lines_before(block_point)
        after = self._blank_lines_after(block_point)
        block = nl * max(0, 2 - before) + nl.join(lines) + nl + nl * max(0, 2 - after)
        if block_point == 0:
            block = nl.join(lines) + nl + nl * max(0, 2 - after)
        imports.sort(key=lambda line: (line.startswith("from"), line))
        import_text = "".join(line + nl for line in imports)
        import_point = after_imports if after_imports <= block_point else block_point
        if import_point == block_point or not import_text:
            return [TextEdit(block_point, block_point, import_text + block)]
        return [TextEdit(import_point, import_point, import_text), TextEdit(block_point, block_point, block)]

    def _free(self, name: str, imported_as: str) -> bool:
        """``name`` can be bound to ``imported_as`` at the top without changing what the file means."""
        ctx = self.ctx
        if ctx.imports.aliases.get(name, imported_as) != imported_as:
            return False
        bound = ctx.bindings.module_scope.bindings.get(name) or ctx.bindings.module_all.get(name)
        return not bound and name not in ctx.local_functions and name not in ctx.local_classes

    def _blank_lines_before(self, point: int) -> int:
        row = self.ctx.source.position(point).row
        count = 0
        while row - 1 - count >= 1 and not self.ctx.source.line(row - 1 - count).strip():
            count += 1
        return count

    def _blank_lines_after(self, point: int) -> int:
        row = self.ctx.source.position(point).row
        starts = self.ctx.source.line_starts
        count = 0
        while row + count <= len(starts) and not self.ctx.source.line(row + count).strip():
            if row + count == len(starts) and starts[-1] == len(self.ctx.source.text):
                break
            count += 1
        return count


class _NoPlace(Exception):
    """The new config cannot be written into this file (a name it needs is taken)."""
