"""Moving hard-coded values into a script's configuration, planned once per file.

Every value to move is a :class:`Site`: a literal, the places that should read it from the
configuration instead, and what to name it. :func:`plan` picks the file's configuration
(:mod:`hyperlint.config_shapes`), checks that it can be read at every place, gives equal values of
the same name one option, and returns each site's edits: the shared insertions (identical for
every site, so the fixes of one file compose) followed by the site's own replacements. A site
that cannot be moved gets the reason instead."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from hyperlint.code_index import CodeIndex
from hyperlint.config_holders import Unavailable
from hyperlint.config_shape_cli import AbslShape, ArgparseShape
from hyperlint.config_shape_new import NewConfigShape
from hyperlint.config_shape_objects import ConfigClassShape, ConfigDictShape
from hyperlint.config_shapes import NoPlace, Option, Shape
from hyperlint.config_values import (
    NotALiteral,
    default_text,
    identifier,
    literal_value,
    value_key,
    value_type,
)
from hyperlint.facts.config_sources import final_config_source
from hyperlint.finding import TextEdit

if TYPE_CHECKING:
    from hyperlint.context import FileContext


@dataclass
class Site:
    key: object  # the caller's handle for the result
    name: str  # the option name it would like
    value_node: cst.BaseExpression  # the literal; its text becomes the default
    description: str  # help text: "lr of torch.optim.SGD"
    replace: list[tuple[cst.CSTNode, str | None]]  # nodes that will read the option (and the f-string quote around)
    mode: str = "literal"  # literal | assign (the value of an assignment) | constant (a module constant's uses)
    subject: str | None = None  # the constant or variable moved, for messages
    delete: cst.CSTNode | None = None  # the statement line removed (a module constant)
    # names that tell clashing options apart, best first (the variable assigned, the callee)
    contexts: tuple[str, ...] = ()
    comment: str | None = None
    shift: int = 0  # range(1, N): the option holds N - 1 and reads add 1 back
    fallback: "Site | None" = None  # tried when this one cannot be moved
    reason: str | None = None  # already known not to be movable


@dataclass
class SiteFix:
    edits: tuple[TextEdit, ...] = ()
    message: str = ""
    reason: str | None = None  # why the site is not moved
    option: str | None = None  # the option it reads
    read: str | None = None  # how the code reads it: ``args.lr``
    mode: str = "literal"  # as Site.mode


@dataclass
class _Prepared:
    site: Site
    value: object
    vtype: object
    text: str
    reads: list[tuple[int, int, str, str | None]] = field(default_factory=list)
    option: Option | None = None


def choose_shape(ctx: "FileContext", index: CodeIndex, sites: list[Site]) -> Shape | str:
    source = final_config_source(ctx)
    kind = source.kind
    if kind == "argparse":
        if re.search(r"\.set_defaults\(\s*\*\*", ctx.source.text) or (
                source.namespace and _updated_from_outside(ctx.source.text, source.namespace)):
            return ("the parser's values are also set from a mapping (`set_defaults(**...)`, `vars(args).update`), "
                    "which could override a flag added to it: add the flag by hand")
        return ArgparseShape.build(ctx, index, source.namespace)
    if kind == "hydra":
        return (f"the file is configured by Hydra: add the value to its YAML config and read it from "
                f"`{source.namespace}`")
    if kind == "dataclass":
        return _config_class(ctx, index, sites)
    if kind in ("click", "typer"):
        return f"the file's options are {kind} options: add one to the command and pass its value in"
    if kind == "absl":
        other = _other_configuration(ctx)
        return f"the file is configured through {other}: add the value there" if other else AbslShape.build(ctx, index)
    if kind == "loaded":
        return f"the file reads its configuration from a file into `{source.namespace}`: add the value there"
    if kind == "dict":
        binding = ConfigDictShape.find(ctx)
        if binding is None:
            return "the config dict could not be located"
        if _updated_from_outside(ctx.source.text, binding.name):
            return (f"`{binding.name}` is updated from elsewhere, which could override a key added to it: "
                    f"add the value by hand")
        return ConfigDictShape(ctx, index, binding)
    other = _other_configuration(ctx)
    if other:
        return f"the file is configured through {other}: add the value there"
    return NewConfigShape(ctx, index)


def _updated_from_outside(text: str, name: str) -> bool:
    """``name`` gets keys it does not spell out: ``name.update(...)``, ``vars(name).update(...)``,
    ``name.__dict__.update(...)``, ``name |= ...``, ``name[key] = ...`` with a computed key."""
    name = re.escape(name)
    return re.search(
        rf"(\b{name}\s*\.\s*(update|setdefault)\s*\(|vars\(\s*{name}\s*\)\s*\.\s*update|"
        rf"\b{name}\s*\.\s*__dict__\s*\.\s*update|\b{name}\s*\|=|\b{name}\s*\[\s*[^'\"\]\s][^\]]*\]\s*=[^=])",
        text) is not None


_OTHER_CONFIGS = {
    "ml_collections.ConfigDict": "an ml_collections ConfigDict",
    "ml_collections.config_dict.ConfigDict": "an ml_collections ConfigDict",
    "ml_collections.FrozenConfigDict": "an ml_collections ConfigDict",
    "omegaconf.OmegaConf.create": "an OmegaConf config",
    "omegaconf.OmegaConf.structured": "an OmegaConf config",
    "types.SimpleNamespace": "a SimpleNamespace config",
    "easydict.EasyDict": "an EasyDict config",
    "wandb.init": "the wandb run config",
}


def _other_configuration(ctx) -> str | None:
    """A configuration object the planner cannot add to (a second config would be worse)."""
    for binding in ctx.bindings.all:
        value = binding.value
        if isinstance(value, cst.Call):
            qualified = ctx.qualify(value.func) or ""
            if qualified in _OTHER_CONFIGS and (qualified != "wandb.init" or any(
                    a.keyword is not None and a.keyword.value == "config" for a in value.args)):
                return _OTHER_CONFIGS[qualified]
            if qualified.startswith("ml_collections.config_flags.DEFINE_config"):
                return "ml_collections config flags"
    return None


def _config_class(ctx, index, sites: list[Site]) -> Shape | str:
    """The config class whose instance is in reach of the most sites."""
    best, best_count, reason = None, 0, "no config class of this file has an instance in reach of the value"
    preferred = final_config_source(ctx).namespace
    for entry in ConfigClassShape.candidates(ctx, index):
        shape = ConfigClassShape(ctx, index, entry, preferred)
        unusable = shape.usable()
        if unusable:
            reason = unusable
            continue
        count = 0
        for site in sites:
            for node, _ in site.replace[:1]:
                if node in index.positions and not isinstance(shape.holder_at(*index.offsets(node)), Unavailable):
                    count += 1
        if count > best_count:
            best, best_count = shape, count
    return best if best is not None else reason


def plan(ctx: "FileContext", index: CodeIndex, sites: list[Site]) -> dict[int, SiteFix]:
    """Each site's fix, by ``id(site.key)``."""
    out: dict[int, SiteFix] = {}
    shape = choose_shape(ctx, index, sites)
    if isinstance(shape, str):
        return {id(s.key): SiteFix(reason=shape) for s in sites}
    prepared: list[_Prepared] = []
    for site in sites:
        result = _prepare(ctx, index, shape, site)
        if isinstance(result, str) and site.fallback is not None:
            second = _prepare(ctx, index, shape, site.fallback)
            result = second if not isinstance(second, str) else result
        if isinstance(result, str):
            out[id(site.key)] = SiteFix(reason=result)
        else:
            prepared.append(result)
    new = _allocate(shape, prepared)
    try:
        shared = tuple(shape.insertions(new)) if new else ()
    except NoPlace as exc:
        for item in prepared:
            out[id(item.site.key)] = SiteFix(reason=str(exc))
        return out
    for item in prepared:
        site, option = item.site, item.option
        assert option is not None
        own = []
        reads = []
        for start, end, holder, quote in item.reads:
            read = shape.read(holder, option, quote)
            reads.append(read)
            own.append(TextEdit(start, end, read + (f" + {site.shift}" if site.shift else "")))
        if site.delete is not None:
            own.append(_line_removal(index, site.delete))
        out[id(site.key)] = SiteFix(shared + tuple(own), _message(shape, item, reads), option=option.name,
                                    read=reads[0] if reads else None, mode=site.mode)
    return out


def _line_removal(index: CodeIndex, statement: cst.CSTNode) -> TextEdit:
    """Remove a statement's lines; between blank lines, keep only the larger run of them."""
    source = index.source
    start, end = index.offsets(statement)
    first, after = index.line_start(start), index.next_line_start(end)
    row = source.position(first).row
    before = 0
    while row - 1 - before >= 1 and not source.line(row - 1 - before).strip():
        before += 1
    while before and after < len(source.text) and not source.line(source.position(after).row).strip():
        after = index.next_line_start(after)
        before -= 1
    return TextEdit(first, after, "")


def _prepare(ctx, index: CodeIndex, shape: Shape, site: Site) -> _Prepared | str:
    if site.reason:
        return site.reason
    if isinstance(site.value_node, cst.IfExp):
        return "the value depends on a condition"
    text = ctx.module.code_for_node(site.value_node)
    try:
        value = literal_value(text)
    except NotALiteral:
        return "the value is not a plain literal"
    if site.shift:
        if not isinstance(value, int) or isinstance(value, bool) or value - site.shift < 0:
            site.shift = 0
        else:
            value -= site.shift
            text = str(value)
    vtype = value_type(value)
    if vtype is None:
        return "the value is not a number, string or bool, or a flat tuple/list of them"
    unsupported = shape.unsupported(vtype)
    if unsupported:
        return unsupported
    item = _Prepared(site, value, vtype, default_text(text, value))
    for node, quote in site.replace:
        if node not in index.positions:
            return "the value could not be located"
        start, end = index.offsets_with_parens(node)
        holder = shape.holder_at(start, end)
        if isinstance(holder, Unavailable):
            return holder.reason
        item.reads.append((start, end, holder, quote))
    return item


def _candidates(name: str, context: str | None):
    yield name
    if context and context != name and not name.startswith(context + "_"):
        yield identifier(f"{context}_{name}")
    number = 2
    while True:
        yield f"{name}_{number}"
        number += 1


def _allocate(shape: Shape, prepared: list[_Prepared]) -> list[Option]:
    """Give every prepared site an option: equal values wanting the same name share one; an
    existing option of that name and default is reused; otherwise a free name is made up."""
    existing = shape.existing()
    reserved = shape.reserved()
    taken = set(existing) | reserved
    members: dict[tuple, list[_Prepared]] = {}
    for item in prepared:
        members.setdefault((identifier(item.site.name), value_key(item.value)), []).append(item)
    groups: dict[tuple, Option] = {}
    new: list[Option] = []
    for item in prepared:
        key = value_key(item.value)
        preferred = identifier(item.site.name)
        option = groups.get((preferred, key))
        if option is None:
            group = members[(preferred, key)]
            shared = [c for c in item.site.contexts if all(c in other.site.contexts for other in group)]
            for candidate in _candidates(preferred, shared[0] if shared else None):
                if candidate in existing and candidate not in reserved and existing[candidate] == key:
                    option = Option(candidate, item.value, item.vtype, item.text, item.site.description, new=False)
                    break
                if candidate in taken:
                    continue
                description = item.site.comment or item.site.description  # "# peak learning rate" says more
                option = Option(candidate, item.value, item.vtype, item.text, description, item.site.comment)
                taken.add(candidate)
                new.append(option)
                break
            groups[(preferred, key)] = option
        item.option = option
    return new


def _message(shape: Shape, item: _Prepared, reads: list[str]) -> str:
    site = item.site
    action = shape.describe(item.option)
    read = reads[0] + (f" + {site.shift}" if site.shift else "") if reads else ""
    if site.mode == "constant":
        uses = len(reads)
        tail = f"replace `{site.subject}` with `{read}` ({uses} use{'s' if uses != 1 else ''}) and remove its assignment"
    elif site.mode == "assign":
        tail = f"assign `{read}` to `{site.subject}`"
    else:
        tail = f"pass `{read}`"
    return f"{action[0].upper()}{action[1:]}, and {tail}."
