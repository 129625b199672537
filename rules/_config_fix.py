"""The automatic fix of the HL1 rules: move every hard-coded hyperparameter of a file into the
configuration the file already uses (or a new frozen dataclass), planned once for the file so
that the fixes of all its findings compose. It changes the script's interface: unsafe.

The engine calls :func:`plan_fixes` after the traversal with the file's HL1 findings that are
not suppressed; each report carries ``data`` saying what was found (a literal in a slot, a
training-loop count, a variable holding a literal)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from hyperlint.code_index import CodeIndex, find_names, header_parts
from hyperlint.config_extraction import Site, plan
from hyperlint.config_values import snake
from hyperlint.facts.bindings import Binding
from hyperlint.facts.config_sources import final_config_source, suggestion
from hyperlint.facts.names import dotted
from hyperlint.finding import Applicability, Finding, Fix
from hyperlint.rules._hyperparameters import literal_text

if TYPE_CHECKING:
    from hyperlint.context import FileContext
    from hyperlint.rule import PendingReport

_RANGES = ("range", "trange", "tqdm.trange", "tqdm.auto.trange")
_TOOL_COMMENT = re.compile(r"(noqa|type:|pylint:|pyright:|mypy:|fmt:|isort:|pragma|nosec|HL\d)", re.I)


def plan_fixes(ctx: "FileContext", items: list[tuple["PendingReport", Finding]], positions) -> None:
    index = CodeIndex(ctx.module, ctx.source, positions)
    final_config_source(ctx)  # the rules asked during the traversal, before all of the file was seen
    sites: list[Site] = []
    for report, finding in sorted(items, key=lambda item: item[1].start_offset):
        site = _site(ctx, index, report, finding)
        if site is not None:
            sites.append(site)
    fixes = plan(ctx, index, sites) if sites else {}
    for report, finding in items:
        result = fixes.get(id(finding))
        advice = _suggestion(ctx, report) or report.suggestion
        if result is not None and result.edits:
            # the advice already says what the fix does, or the fix is added to it
            said = f"`{result.read}`" in advice and result.mode != "constant"
            message = advice if said else f"{advice} Automatic fix: {result.message}"
            finding.fix = Fix(message, Applicability.UNSAFE, result.edits)
            finding.extra["config_fix"] = {"option": result.option}
        else:
            reason = result.reason if result is not None else "this kind of finding has no automatic fix"
            finding.fix = Fix(f"{advice} (Not moved automatically: {reason}.)", Applicability.DISPLAY_ONLY)
            finding.extra["config_fix"] = {"skipped": reason}


def _suggestion(ctx: "FileContext", report: "PendingReport") -> str | None:
    """The rule's suggested fix again, now that the file's configuration is known from all of it."""
    data = getattr(report, "data", None) or {}
    kind = data.get("kind")
    if kind in ("slot", "loop"):
        return suggestion(ctx, data.get("slot") or data.get("name"), literal_text(ctx, report.node))
    if kind == "variable":
        binding = data["binding"]
        value = binding.value
        if binding.kind == "unpack" and isinstance(value, (cst.Tuple, cst.List)) and binding.index is not None:
            value = value.elements[binding.index].value
        shown = literal_text(ctx, value) if value is not None else "..."
        return suggestion(ctx, binding.name.lower(), shown, variable=binding.name)
    return None


def _site(ctx: "FileContext", index: CodeIndex, report: "PendingReport", finding: Finding) -> Site | None:
    data = getattr(report, "data", None) or {}
    kind = data.get("kind")
    if kind == "slot":
        slot, callee = data["slot"], data["callee"]
        return Site(finding, slot, report.node, f"{slot} of {callee}", [(report.node, None)],
                    contexts=tuple(c for c in (_assigned_name(report.statement, data.get("call")), snake(callee)) if c))
    if kind == "loop":
        name = data["name"]
        return Site(finding, name, report.node, f"number of {name} of the training loop", [(report.node, None)],
                    shift=_range_start(data["loop"], report.node))
    if kind == "variable":
        return _variable_site(ctx, index, finding, data["binding"], data.get("feeds", []))
    return None


def _assigned_name(statement: cst.CSTNode | None, call: cst.CSTNode | None) -> str | None:
    """``critic_opt = Adam(lr=...)``: the name the call's result is given."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and small.value is call:
            target = small.targets[0].target
            name = dotted(target) if isinstance(target, (cst.Name, cst.Attribute)) else None
            if name:
                return snake(name.rsplit(".", 1)[-1])
    return None


def _range_start(loop: cst.For, count: cst.CSTNode) -> int:
    """``range(1, 11)``: the loop runs 10 times; an option ``epochs = 10`` is read as ``+ 1``."""
    iterable = loop.iter
    for _ in range(3):
        if not isinstance(iterable, cst.Call):
            return 0
        positional = [a.value for a in iterable.args if a.keyword is None and not a.star]
        if (dotted(iterable.func) or "") in _RANGES:
            if len(positional) == 2 and positional[1] is count and isinstance(positional[0], cst.Integer):
                return 1 if positional[0].evaluated_value == 1 else 0
            return 0
        if not positional:
            return 0
        iterable = positional[0]
    return 0


def _option_name(name: str) -> str:
    return name.lower() if name.isupper() else name


def _variable_site(ctx, index: CodeIndex, finding: Finding, binding: Binding, feeds: list[str]) -> Site:
    value = binding.value
    name = binding.name
    description = "; ".join(f.replace("`", "") for f in feeds) or name
    if binding.kind == "unpack":
        if not isinstance(value, (cst.Tuple, cst.List)) or binding.index is None:
            return Site(finding, name, value, description, [], reason="the value is unpacked from an expression")
        value = value.elements[binding.index].value
    in_place = Site(finding, _option_name(name), value, description, [(value, None)], mode="assign", subject=name)
    if binding.kind not in ("assign", "annassign") or binding.scope is None or binding.scope.kind != "module":
        return in_place
    constant = _constant_site(ctx, index, finding, binding, value, description)
    if isinstance(constant, str):
        return in_place
    constant.fallback = in_place
    return constant


def _constant_site(ctx, index: CodeIndex, finding, binding: Binding, value, description: str) -> Site | str:
    """A module-level constant becomes an option: its uses read the option, its line goes."""
    name = binding.name
    if binding.statement not in index.positions:
        return "not located"
    definition = index.statement_at(*index.offsets(binding.statement))
    if (definition is None or definition.depth != 0 or not isinstance(definition.node, cst.SimpleStatementLine)
            or len(definition.node.body) != 1):
        return "the constant does not have a line of its own at module level"
    statement = definition.node.body[0]
    if isinstance(statement, cst.Assign) and (
            len(statement.targets) != 1 or not isinstance(statement.targets[0].target, cst.Name)):
        return "several names are assigned at once"
    others = {id(b.statement) for b in ctx.bindings.module_scope.bindings.get(name, [])}
    others |= {id(b.statement) for b in ctx.bindings.module_all.get(name, [])}
    if len(others) != 1:
        return f"`{name}` is assigned more than once"
    if "__all__" in ctx.source.text:
        return f"`{name}` may be exported"
    uses: list[tuple[cst.CSTNode, str | None]] = []
    seen: set[int] = set()
    accounted = {index.offsets(definition.node)[0]}
    for offset in index.occurrences(name):
        entry = index.statement_at(offset, offset + len(name))
        if entry is None or entry is definition or id(entry) in seen:
            continue
        seen.add(id(entry))
        for use in find_names(header_parts(entry.node), name):
            start, end = index.offsets(use.node)
            accounted.add(start)
            if use.role in ("attr", "keyword", "def"):
                continue
            if use.role in ("global", "import"):
                return f"`{name}` is declared global or imported elsewhere in the file"
            local = _bound_locally(index, ctx, name, start, end)
            if use.role in ("store", "param"):
                if not local and not _in_function(index, start, end):
                    return f"`{name}` is assigned more than once"
                continue
            if not local:
                uses.append((use.node, use.quote))
    tokens = index.name_tokens(name)
    if tokens is None or any(offset not in accounted for offset in tokens):
        return f"not every use of `{name}` could be followed"
    if not uses:
        return f"`{name}` is not used directly"
    comment = None
    trailing = definition.node.trailing_whitespace.comment
    if trailing is not None:
        comment = trailing.value.lstrip("#").strip() or None
        if comment and _TOOL_COMMENT.match(comment):
            comment = None  # a directive for a tool, not a description of the value
    return Site(finding, _option_name(name), value, description, uses, mode="constant", subject=name,
                delete=definition.node, comment=comment)


def _in_function(index: CodeIndex, start: int, end: int) -> bool:
    return any(isinstance(n, cst.FunctionDef) for n in index.scopes_at(start, end))


def _bound_locally(index: CodeIndex, ctx, name: str, start: int, end: int) -> bool:
    """The name at the place is a local of a function around it (or of the class body it is
    directly in), not the module's: Python's rule, where methods do not see class attributes."""
    scopes = {id(b.scope.node) for b in ctx.bindings.all
              if b.scope is not None and b.name == name and b.scope.kind != "module"}
    for depth, node in enumerate(reversed(index.scopes_at(start, end))):
        if isinstance(node, cst.ClassDef) and depth:
            continue
        if id(node) in scopes:
            return True
    return False
