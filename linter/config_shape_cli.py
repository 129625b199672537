"""Command-line shapes: flags added beside an argparse parser's arguments, or beside absl's
``flags.DEFINE_*`` lines; code reads the parsed namespace (``args.lr``) or ``FLAGS.lr``."""
from __future__ import annotations

import libcst as cst

from hyperlint.code_index import Entry
from hyperlint.config_holders import Holders, Unavailable, annotation_names
from hyperlint.config_shapes import Option, Shape, bindings_with_value, literal_key, function_returns, statement_call
from hyperlint.config_values import ValueType, python_string
from hyperlint.facts.bindings import Binding
from hyperlint.finding import TextEdit


_PARSE = ("parse_args", "parse_known_args")


class ArgparseShape(Shape):
    kind = "argparse"
    what = "the parsed arguments"

    def __init__(self, ctx, index, parser: Binding, anchor: Entry, single_parser: bool, preferred: str | None) -> None:
        super().__init__(ctx, index)
        self.parser = parser
        self.anchor = anchor
        self.single_parser = single_parser
        self._returned: dict[str, bool] = {}
        self._quote = '"'
        self._existing, self._dash = self._scan_arguments()
        for name in self._written_names(self._produces):
            self._existing.setdefault(name, None)
        self.holders = Holders(ctx, index, self._produces, self._annotated, self.what, preferred)

    @classmethod
    def build(cls, ctx, index, preferred: str | None) -> "ArgparseShape | str":
        parsers = []
        for binding in bindings_with_value(ctx):
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
            call = statement_call(entry.node)
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
        if name not in self._returned:
            self._returned[name] = False  # recursion guard
            self._returned[name] = function_returns(self.index, name, self._produces_expression)
        return self._returned[name]

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
            call = statement_call(entry.node)
            if call is None or not isinstance(call.func, cst.Attribute):
                continue
            method = call.func.attr.value
            if method == "set_defaults":
                for arg in call.args:
                    if arg.keyword is not None:
                        existing[arg.keyword.value] = literal_key(arg.value, self.ctx.module)
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
            existing[dest] = literal_key(keywords.get("default"), self.ctx.module)
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
            call = statement_call(entry.node)
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
            call = statement_call(entry.node)
            if call is None or not isinstance(call.func, cst.Attribute) or not call.func.attr.value.startswith("DEFINE"):
                continue
            positional = [a.value for a in call.args if a.keyword is None]
            keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
            name = positional[0] if positional else keywords.get("name")
            if isinstance(name, cst.SimpleString) and isinstance(name.evaluated_value, str):
                default = positional[1] if len(positional) > 1 else keywords.get("default")
                flags[name.evaluated_value] = literal_key(default, self.ctx.module)
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
