"""No configuration yet: a new ``@dataclass(frozen=True)`` config after the imports, with a
module-level instance, exposed as command-line flags when the file has a ``__main__`` block."""
from __future__ import annotations

import libcst as cst

from hyperlint.code_index import CodeIndex
from hyperlint.config_holders import Unavailable
from hyperlint.config_shapes import NoPlace, Option, Shape
from hyperlint.config_values import as_tuple_text
from hyperlint.facts.names import dotted
from hyperlint.finding import TextEdit


def _fresh(index: CodeIndex, candidates: list[str]) -> str:
    """The first candidate name the code does not use (names in comments and strings do not
    count, unless a star import could bring any name in)."""
    import re

    text = index.source.text
    star = re.search(r"^\s*from\s+\S+\s+import\s+\*", text, re.M) is not None

    def used(name: str) -> bool:
        tokens = index.name_tokens(name)
        if star or tokens is None:
            return re.search(rf"\b{re.escape(name)}\b", text) is not None
        return bool(tokens) or re.search(rf"{{[^}}]*\b{re.escape(name)}\b", text) is not None

    for name in candidates:
        if not used(name):
            return name
    number = 2
    while used(f"{candidates[0]}_{number}"):
        number += 1
    return f"{candidates[0]}_{number}"


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
        self.class_name = _fresh(index, ["TrainConfig", "TrainingConfig", "ScriptConfig", "ExperimentConfig"])
        self.instance = _fresh(index, ["config", "train_config", "run_config", "script_config"])
        # not named like a parse_args() helper, so the file keeps reading as "a dataclass config"
        self.parser_function = _fresh(index, ["config_from_args", "train_config_from_args", "config_from_command_line"])
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
            raise NoPlace(f"the name `{module}` is taken in this file")

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
