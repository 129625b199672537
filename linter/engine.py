"""Lint one file: parse once, collect facts and run every enabled rule in one traversal,
then turn reports into findings (positions only for files that have any)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange

from hyperlint.catalogue import Catalogue, load_catalogue
from hyperlint.context import FileContext
from hyperlint.facts.names import dotted
from hyperlint.finding import Applicability, Finding, Fix, Position, TextEdit
from hyperlint.incremental import IncrementalParser, parse_whole
from hyperlint.noqa import Directives, parse_directives
from hyperlint.positions import resolve_positions
from hyperlint.prefilter import nothing_to_check, rules_for
from hyperlint.registry import ENGINE_CODES, all_rules
from hyperlint.rule import NodeEdit, Rule
from hyperlint.settings import Settings
from hyperlint.parse_guard import lint_guarded
from hyperlint.source import DecodeError, SourceText, read_source_file
from hyperlint.walker import walk

PARSE_ERROR = "HL001"
UNUSED_NOQA = "HL002"
INTERNAL_ERROR = "HL004"


@dataclass
class LintResult:
    path: str
    findings: list[Finding]
    source: SourceText | None = None
    error: str | None = None  # set when the file could not be read or parsed


class Linter:
    """Holds what is shared across files: the settings, the catalogue and the chosen rules."""

    def __init__(self, settings: Settings, enabled: set[str]) -> None:
        self.settings = settings
        self.enabled = enabled
        self.catalogue: Catalogue = load_catalogue(settings.hyperparameter_slots)
        self.rules: list[type[Rule]] = [r for r in all_rules() if r.code in enabled]

    # --- entry points -------------------------------------------------------------------------
    def lint_path(self, path: Path, display: str | None = None) -> LintResult:
        display = display or str(path)
        try:
            data = read_source_file(path)
        except OSError as exc:
            message = f"cannot read file: {exc.strerror or exc}"
            return LintResult(display, [self._error_finding(display, message, 1, 1)], error=message)
        return self.lint_bytes(data, display, path)

    def lint_bytes(self, data: bytes, display: str, path: Path | None = None) -> LintResult:
        if str(path or display).lower().endswith(".ipynb"):
            from hyperlint.notebook import lint_notebook_bytes

            return lint_notebook_bytes(self, data, display, path)
        try:
            source = SourceText.from_bytes(data)
        except DecodeError as exc:
            return LintResult(display, [self._error_finding(display, str(exc), exc.row, exc.column)], error=str(exc))
        return self.lint_source(source, display, path)

    def lint_text(self, text: str, display: str = "<stdin>", path: Path | None = None) -> LintResult:
        return self.lint_source(SourceText(text), display, path)

    def lint_source(self, source: SourceText, display: str, path: Path | None = None,
                    parser: IncrementalParser | None = None) -> LintResult:
        """Check one file under the per-file time budget and the parser guards (parse_guard.py).
        ``parser``: an editor's parser for this buffer, which re-parses only what changed."""
        return lint_guarded(self, source, display, path or Path(display), parser)

    def _lint_source_unguarded(self, source: SourceText, display: str, path: Path,
                               parser: IncrementalParser | None = None) -> LintResult:
        if nothing_to_check(self._rule_types(path), source.text, self.catalogue):
            return LintResult(display, [], source)  # no rule can report here (prefilter.py)
        try:
            parsed = parser.parse(source.text) if parser is not None else parse_whole(source.text)
            module = parsed.module
        except cst.ParserSyntaxError as exc:
            message, row, column = _syntax_error(source.text, exc)
            finding = self._error_finding(display, message, row, column)
            return LintResult(display, [finding], source, error=message)
        except RecursionError:
            raise  # parse_guard retries with a deeper stack
        except MemoryError as exc:
            message = f"cannot parse: the file nests too deeply ({type(exc).__name__})"
            return LintResult(display, [self._error_finding(display, message, 1, 1)], source, error=message)
        except Exception as exc:  # libcst raises a few other types on odd input
            message = f"cannot parse: {type(exc).__name__}: {exc}".split("\n")[0]
            return LintResult(display, [self._error_finding(display, message, 1, 1)], source, error=message)
        findings = self.lint_module(module, source, display, path, parsed.positions)
        if "\x0c" in source.text and findings and module.code != source.text:
            findings = _without_automatic_fixes(findings)
        return LintResult(display, findings, source)

    def _rule_types(self, path: Path) -> list[type[Rule]]:
        return self._file_rules(path)[2]

    def _file_rules(self, path: Path) -> tuple[bool, tuple[str, ...], list[type[Rule]]]:
        """Whether ``path`` is a test file, the codes it ignores, and the rules that run on it
        (remembered for the last file: asked before and after its parse)."""
        key = (path, self.settings, tuple(self.rules))
        last = getattr(self, "_last_file_rules", None)
        if last is not None and last[0] == key:
            return last[1]
        is_test = (not self.settings.lint_tests) and self.settings.is_test_file(path)
        ignored = self.settings.ignored_codes_for(path)
        rule_types = [
            r for r in self.rules if (r.lint_tests or not is_test) and not any(r.code.startswith(c) for c in ignored)
        ]
        self._last_file_rules = (key, (is_test, ignored, rule_types))
        return is_test, ignored, rule_types

    def lint_module(self, module: cst.Module, source: SourceText, display: str, path: Path,
                    positions: Callable[[], Mapping[cst.CSTNode, CodeRange]] | None = None) -> list[Finding]:
        """``positions``: gives the module's node positions (resolved here when not given)."""
        is_test, ignored, rule_types = self._file_rules(path)
        rule_types = rules_for(rule_types, source.text, self.catalogue)  # prefilter.py
        try:
            return self._lint_module(module, source, display, path, is_test, ignored, rule_types,
                                     positions or (lambda: resolve_positions(module)))
        except RecursionError:
            raise  # parse_guard retries with a deeper stack
        except Exception as exc:  # a bug in hyperlint must not stop the run
            return [self._internal_error(display, exc)]

    def _lint_module(self, module, source: SourceText, display: str, path: Path, is_test, ignored, rule_types,
                     positions):
        ctx = FileContext(display, source, module, self.settings, self.catalogue, is_test)
        if rule_types:
            rules = [r(ctx, self.settings.rule_options.get(r.code)) for r in rule_types]
            collector = _FactCollector(ctx)
            collector.prepass(module)
            visit, leave = collector.handlers()
            for rule in rules:
                for attr in _handler_names(type(rule)):
                    if attr.startswith("visit_"):
                        visit.setdefault(attr[6:], []).append(getattr(rule, attr))
                    else:
                        leave.setdefault(attr[6:], []).insert(0, getattr(rule, attr))
            walk(module, ctx.stack, visit, leave)
            for rule in rules:
                rule.finish()
        else:
            rules = []
        findings = self._findings(ctx, module, source, display, ignored, positions)
        _release(ctx, rules)
        return findings

    def _internal_error(self, display: str, exc: Exception) -> Finding:
        import traceback

        where = traceback.extract_tb(exc.__traceback__)[-1]
        message = (f"internal error while checking this file: {type(exc).__name__}: {exc} "
                   f"(at {Path(where.filename).name}:{where.lineno}); please report it")
        return Finding(
            INTERNAL_ERROR, message, display, Position(1, 1), Position(1, 1),
            Fix("This is a bug in hyperlint, not in your code.", Applicability.DISPLAY_ONLY), 1,
        )

    # --- reports -> findings --------------------------------------------------------------------
    def _findings(self, ctx: FileContext, module, source: SourceText, display: str, ignored,
                  resolve: Callable[[], Mapping[cst.CSTNode, CodeRange]]) -> list[Finding]:
        directives = parse_directives(source.text)
        if self.settings.ignore_noqa:  # nothing suppressed, nothing unused; rows for new comments kept
            directives = Directives(string_rows=directives.string_rows)
        if not ctx.reports and not directives.lines:
            return []
        positions = resolve() if ctx.reports else {}
        findings: list[Finding] = []
        seen: set[tuple] = set()
        planned: dict = {}  # fix planner -> the (report, finding) pairs it plans together
        for report in ctx.reports:
            code = report.rule.code
            start_offset, end_offset = _node_offsets(report.node, positions, module, source)
            start, end = source.position(start_offset), source.position(end_offset)
            key = (code, start, end)
            if key in seen:
                continue
            seen.add(key)
            rows = [start.row]
            statement_rows = None
            if report.statement is not None and report.statement in positions:
                stmt = positions[report.statement]
                statement_rows = (stmt.start.line, _header_end(report.statement, positions, stmt.end.line))
                rows += list(statement_rows)
            if directives.file_suppresses(code) or directives.line_suppresses(code, rows):
                continue
            noqa_row = start.row
            if noqa_row in directives.string_rows and statement_rows:
                noqa_row = statement_rows[1]
            fix = Fix(report.suggestion, report.applicability, self._text_edits(report.edits, positions, module, source))
            finding = Finding(
                code=code,
                message=report.message,
                path=display,
                start=start,
                end=end,
                fix=fix,
                noqa_row=noqa_row,
                start_offset=start_offset,
                end_offset=end_offset,
                statement_rows=statement_rows,
            )
            findings.append(finding)
            planner = type(report.rule).fix_planner
            if planner is not None:
                planned.setdefault(planner, []).append((report, finding))
        for planner, items in planned.items():
            try:
                planner(ctx, items, positions)
            except Exception as exc:  # a planner bug costs the automatic fix, not the findings
                for _, finding in items:
                    if finding.fix is not None and not finding.fix.edits:
                        finding.fix = Fix(f"{finding.fix.message} (No automatic fix: internal error "
                                          f"{type(exc).__name__}: {exc}.)", Applicability.DISPLAY_ONLY)
        if UNUSED_NOQA in self.enabled and not any(UNUSED_NOQA.startswith(c) for c in ignored):
            findings.extend(self._unused_noqa(directives, source, display))
        findings.sort(key=Finding.sort_key)
        return findings

    def _unused_noqa(self, directives, source: SourceText, display: str) -> list[Finding]:
        if directives.file_suppresses(UNUSED_NOQA):
            return []
        known = {r.code for r in all_rules()} | set(ENGINE_CODES)
        out = []
        for directive in directives.lines.values():
            if directive.codes is None:
                continue
            ours = [c for c in directive.codes if c.startswith("HL")]
            unused = [c for c in ours if c not in directive.used]
            if not unused or UNUSED_NOQA in directive.codes:
                continue
            unknown = [c for c in unused if not any(k.startswith(c) for k in known)]
            disabled = [c for c in unused if c not in unknown and not any(e.startswith(c) for e in self.enabled)]
            parts = []
            if unknown:
                parts.append("unknown code" + ("s" if len(unknown) > 1 else "") + f": {', '.join(unknown)}")
            if disabled:
                parts.append("not enabled: " + ", ".join(disabled))
            unused_only = [c for c in unused if c not in unknown and c not in disabled]
            if unused_only:
                parts.append("unused: " + ", ".join(unused_only))
            message = f"Unused `noqa` directive ({'; '.join(parts)})"
            start = Position(directive.row, directive.column)
            end = Position(directive.row, directive.end_column)
            start_offset = source.offset(start.row, start.column - 1)
            end_offset = source.offset(end.row, end.column - 1)
            remaining = [c for c in directive.codes if c not in unused]
            line = source.line(directive.row)
            if remaining:
                content = "# noqa: " + ", ".join(remaining)
                edit = TextEdit(start_offset, end_offset, content)
                fix_message = f"Remove unused codes from the `noqa` directive: {', '.join(unused)}"
            else:
                # remove the comment and the whitespace before it
                before = line[: directive.column - 1]
                stripped = before.rstrip()
                edit_start = start_offset - (len(before) - len(stripped))
                after = line[directive.end_column - 1 :]
                if after.strip():  # other text follows in the same comment: keep it as a comment
                    edit = TextEdit(start_offset, end_offset, "#" if not after.lstrip().startswith("#") else "")
                else:
                    edit = TextEdit(edit_start, end_offset, "")
                fix_message = "Remove the unused `noqa` directive"
            out.append(
                Finding(
                    UNUSED_NOQA, message, display, start, end,
                    Fix(fix_message, Applicability.SAFE, (edit,)), directive.row,
                    start_offset=start_offset, end_offset=end_offset,
                )
            )
        return out

    def _text_edits(self, edits: Sequence[NodeEdit], positions, module: cst.Module, source: SourceText):
        out = []
        for edit in edits:
            node_range = positions.get(edit.node)
            if node_range is None:
                continue
            start = source.offset(node_range.start.line, node_range.start.column)
            end = source.offset(node_range.end.line, node_range.end.column)
            replacement = edit.replacement
            if not isinstance(replacement, str) and edit.mode == "replace" and getattr(replacement, "lpar", None):
                # the node's own parentheses stay in place: its range excludes them
                replacement = replacement.with_changes(lpar=[], rpar=[])
            content = replacement if isinstance(replacement, str) else module.code_for_node(replacement)
            if edit.mode == "replace":
                out.append(TextEdit(start, end, content))
            elif edit.mode == "insert_before":
                out.append(TextEdit(start, start, content))
            elif edit.mode == "insert_after":
                out.append(TextEdit(end, end, content))
            elif edit.mode == "insert_line_before":
                line_start = source.offset(node_range.start.line, 0)
                out.append(TextEdit(line_start, line_start, content + source.newline))
            else:
                raise ValueError(f"unknown edit mode {edit.mode!r}")
        return tuple(out)

    def _error_finding(self, display: str, message: str, row: int, column: int) -> Finding:
        row = max(int(row or 1), 1)
        column = max(int(column or 1), 1)
        return Finding(
            PARSE_ERROR, message, display, Position(row, column), Position(row, column),
            Fix("Fix the file so Python can parse it; hyperlint checks nothing else in it until then.",
                Applicability.DISPLAY_ONLY), row,
        )


def _without_automatic_fixes(findings: list[Finding]) -> list[Finding]:
    """libcst drops a form feed that starts a statement's line, so its columns on that line are one
    short: positions may be off by a column there, and no automatic fix may edit such a file."""
    for finding in findings:
        if finding.fix is not None and finding.fix.edits:
            finding.fix = Fix(f"{finding.fix.message} (No automatic fix: this file has form feeds that "
                              "libcst does not keep.)", Applicability.DISPLAY_ONLY)
    return findings


def _syntax_error(text: str, exc: cst.ParserSyntaxError) -> tuple[str, int, int]:
    """CPython's own message and location where it has one: clearer than libcst's."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as error:
        name = type(error).__name__
        return f"{name}: {error.msg}", error.lineno or 1, error.offset or 1
    except (RecursionError, MemoryError, ValueError):
        pass
    return f"cannot parse with libcst: {exc.message}", exc.raw_line, exc.raw_column + 1


def _node_offsets(node: cst.CSTNode, positions, module: cst.Module, source: SourceText) -> tuple[int, int]:
    """A reported node's range, with its own parentheses (libcst's positions leave them out)."""
    node_range = positions[node]
    start = source.offset(node_range.start.line, node_range.start.column)
    end = source.offset(node_range.end.line, node_range.end.column)
    lpar, rpar = getattr(node, "lpar", ()), getattr(node, "rpar", ())
    if lpar and rpar:
        before = sum(len(module.code_for_node(p)) for p in lpar)
        after = sum(len(module.code_for_node(p)) for p in rpar)
        if source.text[start - before : start].lstrip().startswith("(") and source.text[end : end + after].rstrip().endswith(")"):
            start, end = start - before, end + after
    return start, end


def _release(ctx: FileContext, rules: list[Rule]) -> None:
    """Break the file's reference cycles once its findings are made (scopes and bindings, facts
    and the context, rules and the context), so that its tree is freed at once by reference
    counting rather than by a garbage-collector pass over every node (about 6% of a run)."""
    bindings = ctx.__dict__.get("bindings")
    if bindings is not None and hasattr(bindings, "release"):
        bindings.release()
    for rule in rules:
        rule.__dict__.clear()
    ctx.__dict__.clear()


@lru_cache(maxsize=None)
def _handler_names(rule_type: type) -> tuple[str, ...]:
    """A rule class's visit_/leave_ methods, in ``dir`` order (found once, not once per file)."""
    return tuple(a for a in dir(rule_type) if a.startswith(("visit_", "leave_")))


def _header_end(statement: cst.CSTNode, positions, default: int) -> int:
    """For a compound statement, the last row of its header (where a comment can go)."""
    body = getattr(statement, "body", None)
    if not isinstance(statement, cst.BaseCompoundStatement) or body is None:
        return default
    if isinstance(body, cst.IndentedBlock):
        if body.body and body.body[0] in positions:
            return max(positions[body.body[0]].start.line - 1, positions[statement].start.line)
        return default
    return positions[body].start.line if body in positions else default


class _FactCollector:
    """The engine's own visitors: imports, bindings, scopes, training and config facts."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    def handlers(self):
        visit = {
            "Import": [self.visit_Import],
            "ImportFrom": [self.visit_ImportFrom],
            "FunctionDef": [self.visit_FunctionDef],
            "Lambda": [self.visit_Lambda],
            "ClassDef": [self.visit_ClassDef],
            "For": [self.visit_For],
            "While": [self.visit_While],
            "Call": [self.visit_Call],
            "WithItem": [self.visit_WithItem],
        }
        leave = {
            "FunctionDef": [self.leave_scope_function],
            "Lambda": [self.leave_scope],
            "ClassDef": [self.leave_scope],
            "For": [self.leave_loop],
            "While": [self.leave_loop],
            "Assign": [self.leave_Assign],
            "AnnAssign": [self.leave_AnnAssign],
            "AugAssign": [self.leave_AugAssign],
            "NamedExpr": [self.leave_NamedExpr],
        }
        return visit, leave

    # --- a cheap look at the top level before the traversal ------------------------------------
    def prepass(self, module: cst.Module) -> None:
        ctx = self.ctx
        module_all = ctx.bindings.module_all
        pending = list(module.body)
        while pending:
            statement = pending.pop(0)
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Import):
                        ctx.imports.add_import(small)
                    elif isinstance(small, cst.ImportFrom):
                        ctx.imports.add_import_from(small)
                    elif isinstance(small, cst.Assign):
                        for target in small.targets:
                            if isinstance(target.target, cst.Name):
                                name = target.target.value
                                module_all.setdefault(name, []).append(
                                    _binding(name, "assign", small, small.value, ctx)
                                )
                    elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value:
                        name = small.target.value
                        module_all.setdefault(name, []).append(_binding(name, "annassign", small, small.value, ctx))
            elif isinstance(statement, cst.FunctionDef):
                ctx.local_functions.add(statement.name.value)
            elif isinstance(statement, cst.ClassDef):
                ctx.local_classes[statement.name.value] = statement
                if _is_config_class(statement, ctx):
                    ctx.configs.local_config_classes.add(statement.name.value)
                for item in statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ():
                    if isinstance(item, cst.FunctionDef):
                        ctx.local_functions.add(item.name.value)
            elif isinstance(statement, (cst.If, cst.Try, cst.With)):
                block = statement.body
                if isinstance(block, cst.IndentedBlock):
                    pending[0:0] = list(block.body)
                if isinstance(statement, cst.Try):
                    for handler in statement.handlers:
                        if isinstance(handler.body, cst.IndentedBlock):
                            pending.extend(handler.body.body)
                elif isinstance(statement, cst.If) and statement.orelse is not None:
                    orelse = statement.orelse
                    if isinstance(orelse.body, cst.IndentedBlock):
                        pending.extend(orelse.body.body)

    # --- traversal ------------------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        self.ctx.imports.add_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.ctx.imports.add_import_from(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        ctx = self.ctx
        ctx.bindings.bind(node.name.value, "def", node, None)
        ctx.local_functions.add(node.name.value)
        ctx.bindings.push(node, "function")
        for decorator in node.decorators:
            target = decorator.decorator
            if isinstance(target, cst.Call):
                target = target.func
            if (ctx.qualify(target) or "").startswith("hydra.main"):
                ctx.configs.hydra_functions.add(node)
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            ctx.bindings.bind(param.name.value, "param", param, None)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                ctx.bindings.bind(star.name.value, "param", star, None)
        ctx.training.enter_function(node)

    def leave_scope_function(self, node: cst.FunctionDef) -> None:
        self.ctx.training.leave_function()
        self.ctx.bindings.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.ctx.bindings.push(node, "function")
        for param in node.params.params:
            self.ctx.bindings.bind(param.name.value, "param", param, None)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.ctx.bindings.bind(node.name.value, "def", node, None)
        if node.name.value not in self.ctx.local_classes:
            self.ctx.local_classes[node.name.value] = node
            if _is_config_class(node, self.ctx):
                self.ctx.configs.local_config_classes.add(node.name.value)
        self.ctx.bindings.push(node, "class")

    def leave_scope(self, node) -> None:
        self.ctx.bindings.pop()

    def visit_For(self, node: cst.For) -> None:
        self.ctx.training.enter_loop(node)
        self.ctx.bindings.bind_target(node.target, "for", node, node.iter)

    def visit_While(self, node: cst.While) -> None:
        self.ctx.training.enter_loop(node)

    def leave_loop(self, node) -> None:
        self.ctx.training.leave_loop()

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        ctx.training.on_call(node, ctx.stack)
        ctx.hooks.on_call(node)
        ctx.configs.on_call(node)
        func = node.func
        if isinstance(func, cst.Name) and func.value == "exec" and node.args:
            argument = dotted(node.args[0].value.func) if isinstance(node.args[0].value, cst.Call) else None
            if argument and argument.endswith("read") or isinstance(node.args[0].value, cst.Call):
                ctx.globals_overridden = True
        elif isinstance(func, cst.Attribute) and func.attr.value == "update":
            value = func.value
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "globals":
                ctx.globals_overridden = True

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.ctx.bindings.bind_target(node.asname.name, "with", node, node.item)

    def leave_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.ctx.bindings.bind_target(target.target, "assign", node, node.value)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.ctx.bindings.bind_target(node.target, "annassign", node, node.value)

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.ctx.bindings.bind(node.target.value, "augassign", node, node.value)

    def leave_NamedExpr(self, node: cst.NamedExpr) -> None:
        if isinstance(node.target, cst.Name):
            self.ctx.bindings.bind(node.target.value, "walrus", node, node.value)


def _binding(name, kind, statement, value, ctx):
    from hyperlint.facts.bindings import Binding

    return Binding(name, kind, statement, value, None, ctx.bindings.module_scope)


_CONFIG_DECORATORS = ("dataclass", "dataclasses.dataclass", "attr.s", "attrs.define", "attr.define", "attrs.frozen",
                      "define", "frozen", "attr.attrs", "flax.struct.dataclass", "struct.dataclass", "chex.dataclass")
_CONFIG_BASES = ("BaseModel", "BaseSettings", "pydantic.BaseModel", "pydantic_settings.BaseSettings", "NamedTuple",
                 "typing.NamedTuple", "TypedDict", "ConfigDict", "Namespace", "PretrainedConfig",
                 "transformers.PretrainedConfig", "TrainingArguments", "Config")


def _is_config_class(node: cst.ClassDef, ctx: FileContext) -> bool:
    name = node.name.value
    if ctx.configs.is_config_class_name(name):
        return True
    decorated = any(
        (dotted(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) or "") in _CONFIG_DECORATORS
        for d in node.decorators
    )
    based = any((dotted(b.value) or "").rsplit(".", 1)[-1] in _CONFIG_BASES for b in node.bases)
    if based:
        return True
    return decorated and ctx.configs.is_config_class_name(name)
