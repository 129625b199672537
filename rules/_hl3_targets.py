"""What the HL3 rules share: which statements change an object, and whether that object is a
configuration, a wandb config, or an optimizer's hyperparameters."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from hyperlint.facts.names import dotted

if TYPE_CHECKING:
    from hyperlint.context import FileContext

# methods that change the mapping/namespace they are called on
# (not pop/setdefault: builders consume a config dict with cfg.pop("type") / fill defaults into a copy)
_MUTATING_METHODS = frozenset({"update", "clear", "merge_with", "__setitem__", "__setattr__", "__delitem__",
                               "__delattr__"})
_QUALIFIED_MUTATORS = {"omegaconf.OmegaConf.update": 0}
_ASSIGN_METHODS = frozenset({"assign", "assign_add", "assign_sub"})
_LR_ATTRIBUTES = frozenset({"lr", "learning_rate"})
# optimizer per-group keys that are bookkeeping, not hyperparameters
_GROUP_BOOKKEEPING = frozenset({"params", "initial_lr", "step", "name", "names", "param_names", "foreach",
                                "capturable", "differentiable", "fused", "maximize", "lr_scale_applied"})
_OPTIMIZER_NAME = re.compile(
    r"^(optimizer|optimiser|optim)\w*$|^\w+_(optimizer|optimiser|optim|opt)s?$|^opt_[a-zA-Z]\w*$|^opt[A-Z]\w*$"
)
_OPTIMIZER_MODULES = ("torch.optim.", "tensorflow.keras.optimizers.", "keras.optimizers.", "tensorflow.optimizers.",
                      "tf_keras.optimizers.", "transformers.AdamW", "transformers.Adafactor",
                      "transformers.optimization.", "timm.optim.", "bitsandbytes.optim.", "apex.optimizers.",
                      "torch_optimizer.", "deepspeed.ops.")
_SET_VALUE = re.compile(r"(^|\.)(backend|K)\.set_value$|^set_value$")


@dataclass
class Change:
    """One statement (or call) that changes ``obj``: ``obj.key = value``, ``obj[key] += value``,
    ``setattr(obj, key, value)``, ``del obj[key]``, ``obj.update(...)``..."""

    node: cst.CSTNode  # what to report
    obj: cst.BaseExpression  # the object changed
    op: str  # assign | augassign | setattr | del | update | method | keras-assign | set_value
    key: str | None  # attribute or literal key, when known
    value: cst.BaseExpression | None
    keyed: bool  # obj[key] (item) rather than obj.key (attribute)
    operator: str | None = None  # for augmented assignment: "*=", "/=", ...
    call: cst.Call | None = None
    target: cst.BaseExpression | None = None  # the assigned/deleted target (`cfg.optim.lr`)


def _literal_key(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return _literal_key(node.slice[0].slice.value)


def _flatten_targets(target: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _flatten_targets(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _flatten_targets(target.value)
    else:
        yield target


def _target_change(node: cst.CSTNode, target: cst.BaseExpression, op: str, value, operator=None) -> Change | None:
    if isinstance(target, cst.Attribute):
        return Change(node, target.value, op, target.attr.value, value, False, operator, target=target)
    if isinstance(target, cst.Subscript):
        return Change(node, _unwrap_namespace(target.value), op, _subscript_key(target), value, True, operator,
                      target=target)
    return None


def assignment_changes(node: cst.Assign | cst.AugAssign | cst.AnnAssign | cst.Del) -> list[Change]:
    changes: list[Change] = []
    if isinstance(node, cst.Assign):
        for target in node.targets:
            for element in _flatten_targets(target.target):
                change = _target_change(node, element, "assign", node.value)
                if change:
                    changes.append(change)
    elif isinstance(node, cst.AugAssign):
        operator = node.operator.__class__.__name__
        change = _target_change(node, node.target, "augassign", node.value, _AUG_OPERATORS.get(operator, operator))
        if change:
            changes.append(change)
    elif isinstance(node, cst.AnnAssign):
        if node.value is not None:
            change = _target_change(node, node.target, "assign", node.value)
            if change:
                changes.append(change)
    elif isinstance(node, cst.Del):
        for element in _flatten_targets(node.target):
            change = _target_change(node, element, "del", None)
            if change:
                changes.append(change)
    return changes


_AUG_OPERATORS = {
    "AddAssign": "+=", "SubtractAssign": "-=", "MultiplyAssign": "*=", "DivideAssign": "/=",
    "FloorDivideAssign": "//=", "PowerAssign": "**=", "ModuloAssign": "%=",
}


def _unwrap_namespace(node: cst.BaseExpression) -> cst.BaseExpression:
    """``vars(args)`` / ``args.__dict__`` are ``args``."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "vars" and node.args:
        return node.args[0].value
    if isinstance(node, cst.Attribute) and node.attr.value == "__dict__":
        return node.value
    return node


def call_changes(ctx: "FileContext", call: cst.Call, report_node: cst.CSTNode) -> list[Change]:
    func = call.func
    args = call.args
    if isinstance(func, cst.Name) and func.value in ("setattr", "delattr") and len(args) >= 2:
        key = _literal_key(args[1].value)
        value = args[2].value if len(args) > 2 else None
        op = "setattr" if func.value == "setattr" else "del"
        return [Change(report_node, args[0].value, op, key, value, False, call=call)]
    qualified = ctx.qualify(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
    if qualified in _QUALIFIED_MUTATORS and args:
        key = _literal_key(args[1].value) if len(args) > 1 else None
        value = args[2].value if len(args) > 2 else None
        return [Change(report_node, args[0].value, "update", key, value, True, call=call)]
    if isinstance(func, cst.Attribute):
        method = func.attr.value
        if method in _MUTATING_METHODS:
            key = None
            if method in ("__setitem__", "__setattr__", "__delitem__", "__delattr__") and args:
                key = _literal_key(args[0].value)
            value = args[1].value if method in ("__setitem__", "__setattr__") and len(args) > 1 else None
            op = "update" if method in ("update", "merge_with") else "method"
            return [Change(report_node, _unwrap_namespace(func.value), op, key, value, True, call=call)]
        if method in _ASSIGN_METHODS and isinstance(func.value, cst.Attribute) and func.value.attr.value in _LR_ATTRIBUTES:
            value = args[0].value if args else None
            return [Change(report_node, func.value.value, "keras-assign", func.value.attr.value, value, False,
                           call=call)]
    name = qualified or dotted(func) or ""
    if _SET_VALUE.search(name) and len(args) >= 2:
        target = args[0].value
        if isinstance(target, cst.Attribute) and target.attr.value in _LR_ATTRIBUTES:
            return [Change(report_node, target.value, "set_value", target.attr.value, args[1].value, False,
                           call=call)]
    return []


def update_keys(change: Change) -> list[str]:
    """The literal keys an ``update(...)`` call writes: ``update({"lr": x})`` / ``update(lr=x)``."""
    keys: list[str] = []
    call = change.call
    if call is None:
        return keys
    for arg in call.args:
        if arg.keyword is not None:
            keys.append(arg.keyword.value)
        elif isinstance(arg.value, cst.Dict):
            for element in arg.value.elements:
                if isinstance(element, cst.DictElement):
                    key = _literal_key(element.key)
                    if key is not None:
                        keys.append(key)
    return keys


# ---------------------------------------------------------------------------------------------
# what was changed


def root_of(node: cst.BaseExpression) -> cst.BaseExpression:
    """``cfg`` of ``cfg.optim["lr"]``; ``self.hparams`` of ``self.hparams.lr``; ``model.config``
    of ``model.config.use_cache``."""
    config_root = None
    probe = node
    while isinstance(probe, (cst.Subscript, cst.Attribute)):
        if isinstance(probe, cst.Attribute) and probe.attr.value in ("hparams", "hparams_initial", "config"):
            config_root = probe
        probe = probe.value
    if config_root is not None:
        return config_root
    while True:
        if isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Attribute):
            if isinstance(node.value, cst.Name) and node.value.value == "self":
                return node
            node = node.value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in (
            "copy", "deepcopy", "get"
        ):
            node = node.func.value
        else:
            return node


def self_attribute(node: cst.BaseExpression) -> str | None:
    root = root_of(node)
    if isinstance(root, cst.Attribute) and isinstance(root.value, cst.Name) and root.value.value == "self":
        return root.attr.value
    return None


def is_fresh_copy(ctx: "FileContext", obj: cst.BaseExpression) -> bool:
    """The object is a copy made in this function and bound to a name that is not config-like
    (``params = dict(cfg["lgb"])``): changing it leaves the configuration alone."""
    root = root_of(obj)
    if not isinstance(root, cst.Name):
        return False
    binding = ctx.bindings.lookup(root.value)
    if binding is None or binding.kind not in ("assign", "annassign") or binding.value is None:
        return False
    if ctx.configs.is_config_variable_name(root.value):
        return False
    value = binding.value
    if isinstance(value, cst.Dict):
        return any(isinstance(e, cst.StarredDictElement) for e in value.elements)  # {**cfg, ...}
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    if isinstance(func, cst.Name) and func.value in ("dict", "OrderedDict", "deepcopy", "copy"):
        return True
    if isinstance(func, cst.Attribute) and func.attr.value in ("copy", "deepcopy", "to_dict", "to_container"):
        return True
    return (ctx.qualify(func) or "") in ("copy.deepcopy", "copy.copy", "omegaconf.OmegaConf.to_container")


def is_wandb_config(ctx: "FileContext", obj: cst.BaseExpression, depth: int = 0) -> bool:
    """``wandb.config``, ``run.config`` of a ``wandb.init()`` run, or a name bound to either."""
    if depth > 4:
        return False
    node = obj
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        if isinstance(node, cst.Attribute):
            qualified = ctx.qualify(node) or ""
            if qualified in ("wandb.config", "wandb.run.config"):
                return True
            if node.attr.value == "config" and _is_wandb_run(ctx, node.value):
                return True
        node = node.value
    if isinstance(node, cst.Name):
        binding = ctx.bindings.lookup(node.value)
        if binding is not None and binding.kind in ("assign", "annassign") and binding.value is not None:
            return is_wandb_config(ctx, binding.value, depth + 1)
    return False


def _is_wandb_run(ctx: "FileContext", node: cst.BaseExpression) -> bool:
    if (ctx.qualify(node) or "") == "wandb.run":
        return True
    name = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else None
    if name is None:
        return False
    if isinstance(node, cst.Name):
        binding = ctx.bindings.lookup(name)
        if binding is not None and binding.value is not None and isinstance(binding.value, cst.Call):
            return (ctx.qualify(binding.value.func) or "") in ("wandb.init", "wandb.sdk.init")
    return bool(re.fullmatch(r"(\w+_)?run", name)) and ctx.imports.imports_module("wandb")


# --- optimizers ------------------------------------------------------------------------------


def is_param_group(ctx: "FileContext", node: cst.BaseExpression, ancestors=()) -> bool:
    """``optimizer.param_groups[i]``, or a name iterating/bound to ``...param_groups``."""
    if isinstance(node, cst.Subscript):
        return _is_param_groups(node.value)
    if not isinstance(node, cst.Name):
        return False
    name = node.value
    for ancestor in reversed(ancestors):  # [g.update(lr=x) for g in opt.param_groups]
        if isinstance(ancestor, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            comp = ancestor.for_in
            while comp is not None:
                if _binds(comp.target, name) and _iterates_param_groups(comp.iter):
                    return True
                comp = comp.inner_for_in
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            break
    binding = ctx.bindings.lookup(name)
    if binding is None:
        return False
    if binding.kind == "for":
        return _iterates_param_groups(binding.value)
    if binding.kind in ("assign", "annassign", "walrus") and binding.value is not None:
        return isinstance(binding.value, cst.Subscript) and _is_param_groups(binding.value.value)
    if binding.kind == "param":
        return name in ("param_group", "param_groups_item")
    return False


def _binds(target: cst.BaseExpression, name: str) -> bool:
    return any(isinstance(t, cst.Name) and t.value == name for t in _flatten_targets(target))


def _is_param_groups(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Subscript):  # optimizer.param_groups[1:]
        node = node.value
    return isinstance(node, cst.Attribute) and node.attr.value == "param_groups"


def _iterates_param_groups(node: cst.BaseExpression | None) -> bool:
    for _ in range(3):
        if node is None:
            return False
        if _is_param_groups(node):
            return True
        if isinstance(node, cst.Call) and node.args and (dotted(node.func) or "") in (
            "enumerate", "reversed", "list", "tuple", "zip", "sorted"
        ):
            if any(_is_param_groups(a.value) for a in node.args):
                return True
            node = node.args[0].value
            continue
        return False
    return False


def is_optimizer(ctx: "FileContext", node: cst.BaseExpression, depth: int = 0) -> bool:
    """An optimizer object: ``model.optimizer``, ``self.optimizer``, ``trainer.optimizers[0]``, a
    name bound to ``torch.optim.*`` / ``keras.optimizers.*``, or a name that says so."""
    if depth > 4:
        return False
    if isinstance(node, cst.Attribute):
        return bool(_OPTIMIZER_NAME.match(node.attr.value)) and not ctx.configs.is_config(node)
    if isinstance(node, cst.Subscript):
        base = node.value
        if isinstance(base, cst.Attribute) and base.attr.value in ("optimizers", "optimizer"):
            return True
        if isinstance(base, cst.Call) and isinstance(base.func, cst.Attribute) and base.func.attr.value == "optimizers":
            return True
        return False
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Attribute) and node.func.attr.value == "optimizers"
    if isinstance(node, cst.Name):
        binding = ctx.bindings.lookup(node.value)
        if binding is not None and binding.kind in ("assign", "annassign", "walrus") and binding.value is not None:
            # what it was bound to decides (a detectron2 LazyConfig node named `optimizer` is config)
            value = binding.value
            if isinstance(value, cst.Call):
                qualified = ctx.qualify(value.func) or ""
                if qualified.startswith(_OPTIMIZER_MODULES) or qualified in _OPTIMIZER_MODULES:
                    return True
                return False
            return not ctx.configs.is_config(value) and is_optimizer(ctx, value, depth + 1)
        return bool(_OPTIMIZER_NAME.match(node.value)) and not ctx.configs.is_config(node)
    return False


def is_keras_file(ctx: "FileContext") -> bool:
    return ctx.imports.imports_module("tensorflow") or ctx.imports.imports_module("keras") or \
        ctx.imports.imports_module("tf_keras")


def hyperparameter_keys(change: Change) -> list[str]:
    """The optimizer hyperparameters a param-group change writes (bookkeeping keys left out)."""
    keys = update_keys(change) if change.op == "update" else [change.key] if change.key else []
    return [k for k in keys if k not in _GROUP_BOOKKEEPING]


# --- where a class sits -----------------------------------------------------------------------

_SCHEDULER_BASE = re.compile(r"Schedul|LR$|ReduceLROnPlateau")
_SCHEDULER_NAME = re.compile(r"Schedul|[a-z](LR|Lr)$")  # WarmupScheduler, Megatron's AnnealingLR


def _scheduler_protocol(node: cst.ClassDef) -> bool:
    """A plain class with a scheduler's ``step()`` and ``get_lr()`` methods."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    methods = {item.name.value for item in body if isinstance(item, cst.FunctionDef)}
    return "step" in methods and "get_lr" in methods
_OPTIMIZER_BASE = re.compile(r"(^|\.)(Optimizer|Optimiser|OptimizerV2|Optimizer_)$")


# an LR range test sets the rate it starts from and sweeps it itself (Lightning's lr_find, torch-lr-finder)
_LR_FINDER_FUNCTION = re.compile(
    r"^_*(lr_?find(er)?|find_?(lr|learning_?rate)|(lr|learning_?rate)_?(finder|range_?test))(_|$)", re.I)
_LR_FINDER_CLASS = re.compile(r"^_*(LR|Lr|LearningRate)(Finder|RangeTest)", re.I)


def implementation_kind(ctx: "FileContext", ancestors) -> str | None:
    """``scheduler`` / ``optimizer`` / ``finder`` when the node sits in an LR-scheduler or optimizer
    implementation (a subclass of one, or a plain class named ``*Scheduler``) or an LR finder."""
    from hyperlint.facts.hooks import class_framework

    for node in reversed(ancestors):
        if isinstance(node, cst.FunctionDef) and _LR_FINDER_FUNCTION.match(node.name.value):
            return "finder"
        if not isinstance(node, cst.ClassDef):
            continue
        if _LR_FINDER_CLASS.match(node.name.value):
            return "finder"
        kind = _class_kind(ctx, node, 0)
        if kind is not None:
            return kind
        if class_framework(node, ctx) is None and (_SCHEDULER_NAME.search(node.name.value)
                                                    or _scheduler_protocol(node)):
            return "scheduler"
    return None


def _class_kind(ctx: "FileContext", node: cst.ClassDef, depth: int) -> str | None:
    if depth > 5:
        return None
    for base in node.bases:
        expr = base.value.value if isinstance(base.value, cst.Subscript) else base.value
        name = ctx.qualify(expr) or dotted(expr) or ""
        local = ctx.local_classes.get(name)
        if local is not None and local is not node:
            found = _class_kind(ctx, local, depth + 1)
            if found:
                return found
            continue
        last = name.rsplit(".", 1)[-1]
        if name.startswith("torch.optim.lr_scheduler") or _SCHEDULER_BASE.search(last):
            if "Callback" not in last:
                return "scheduler"
        if _OPTIMIZER_BASE.search(name) or (name.startswith("torch.optim.") and last[:1].isupper()):
            return "optimizer"
    return None


def training_library(ctx: "FileContext") -> str | None:
    """The library whose learning-rate scheduling a suggested fix should name."""
    imports = ctx.imports
    if imports.imports_module("torch") or imports.imports_module("pytorch_lightning") or imports.imports_module("lightning"):
        return "torch"
    for module, name in (("xgboost", "xgboost"), ("lightgbm", "lightgbm"), ("tensorflow", "keras"), ("keras", "keras")):
        if imports.imports_module(module):
            return name
    return None
