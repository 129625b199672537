"""Config-object shapes: a field added to a config class (dataclass, attrs, pydantic,
NamedTuple) read through an instance in reach, or a key added to a config dict."""
from __future__ import annotations

import re

import libcst as cst

from hyperlint.code_index import Entry
from hyperlint.config_holders import Holders, annotation_names
from hyperlint.config_shapes import Option, Shape, bindings_with_value, literal_key, function_returns
from hyperlint.config_values import as_tuple_text, python_string
from hyperlint.facts.bindings import Binding
from hyperlint.facts.names import dotted
from hyperlint.finding import TextEdit


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
        self._returned: dict[str, bool] = {}
        self._fields, self._last, self._style = self._scan()
        for name in self._written_names(self._produces):
            self._fields.setdefault(name, None)
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
        for other in self.ctx.local_classes.values():
            if any((dotted(b.value) or "").rsplit(".", 1)[-1] == self.name for b in other.bases):
                # a subclass's fields follow ours: a new default could break its field order
                return f"`{self.name}` has a subclass in this file"
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
                fields[small.target.value] = literal_key(small.value, self.ctx.module)
                last, style = entry, "annotated"
            elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                value = small.value
                name = small.targets[0].target.value
                if isinstance(value, cst.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] in _FIELD_CALLS:
                    default = next((a.value for a in value.args if a.keyword and a.keyword.value == "default"), None)
                    fields[name] = literal_key(default, self.ctx.module)
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
            if function not in self._returned:
                self._returned[function] = False
                self._returned[function] = function_returns(self.index, function, self._produces_expression,
                                                            annotation=self.name)
            return self._returned[function]
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
        for binding in bindings_with_value(ctx):
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
                    keys[key.evaluated_value] = literal_key(element.value, self.ctx.module)
                    quote = key.quote[-1]
        else:
            for arg in self.node.args:
                keys[arg.keyword.value] = literal_key(arg.value, self.ctx.module)
        return keys, quote

    def existing(self) -> dict[str, tuple | None]:
        # keys stored later (``config["lr"] = ...``) are taken too: a read would see the stored value
        name = re.escape(self.binding.name)
        stored = re.finditer(rf"\b{name}\s*\[\s*(['\"])(\w+)\1\s*\]\s*(?:[-+*/%@&|^]|//|\*\*)?=(?!=)",
                             self.ctx.source.text)
        return {**{m.group(2): None for m in stored}, **self._keys}

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
