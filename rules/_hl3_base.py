"""The HL3 rules' common shape: find changes during the traversal, note what is known only
there (bindings), and decide in ``finish`` (training-loop facts are resolved after the traversal)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import libcst as cst

from hyperlint.facts.names import dotted
from hyperlint.rule import Rule
from hyperlint.rules._hl3_targets import Change, assignment_changes, call_changes, root_of

if TYPE_CHECKING:
    from hyperlint.context import FileContext


@dataclass
class Pending:
    node: cst.CSTNode
    statement: cst.CSTNode | None
    ancestors: tuple[cst.CSTNode, ...]
    # (training context or None) -> (message, suggestion), or None to stay silent
    build: Callable[[str | None], tuple[str, str] | None]
    during_training: bool = True  # report only when the node runs during training
    check: Callable[[], bool] | None = None  # a test that needs the whole file (after the traversal)


class ChangeRule(Rule):
    """Subclasses implement ``consider(change, ancestors) -> Pending | None``."""

    def __init__(self, ctx, options=None) -> None:
        super().__init__(ctx, options)
        self._pending: list[Pending] = []

    def consider(self, change: Change, ancestors: tuple[cst.CSTNode, ...]) -> Pending | None:
        raise NotImplementedError

    def _collect(self, changes: list[Change]) -> None:
        if not changes:
            return
        ancestors = self.ctx.ancestors()
        for change in changes:
            pending = self.consider(change, ancestors)
            if pending is not None:
                self._pending.append(pending)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._collect(assignment_changes(node))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._collect(assignment_changes(node))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._collect(assignment_changes(node))

    def visit_Del(self, node: cst.Del) -> None:
        self._collect(assignment_changes(node))

    def visit_Call(self, node: cst.Call) -> None:
        self._collect(call_changes(self.ctx, node, node))

    def finish(self) -> None:
        done: set[int] = set()
        for pending in self._pending:
            if id(pending.node) in done:
                continue
            if pending.check is not None and not pending.check():
                continue
            context = self.ctx.training_context(pending.ancestors)
            if pending.during_training and (context is None or setup_of_a_run(self.ctx, pending.ancestors)
                                            or configures_next_run(self.ctx, pending.ancestors)):
                continue
            built = pending.build(context)
            if built is None:
                continue
            done.add(id(pending.node))
            message, suggestion = built
            self.report(pending.node, message, suggestion, statement=pending.statement)


# --- a whole training run called from a loop (seeds, folds, a sweep) -----------------------------

_RUN_METHODS = frozenset({"fit", "fit_generator", "train"})


def setup_of_a_run(ctx: "FileContext", ancestors) -> bool:
    """The node is in the setup part of a function that runs a whole training (its own epoch
    loop, or ``.fit(...)``) and is itself called from a loop (``for seed in seeds: main(seed)``):
    that function's setup runs before its training, not during some other training."""
    training = ctx.training
    if training.in_training_loop(ancestors) is not None or ctx.hooks.hook_for(ancestors) is not None:
        return False
    function = ctx.enclosing_function(ancestors)
    if function is None or not training.called_from_training_loop(function):
        return False
    if training.first_training_call_before(ancestors) is not None:
        return False
    return runs_whole_training(ctx, function)


def configures_next_run(ctx: "FileContext", ancestors) -> bool:
    """The node sits in a loop that trains only by calling same-file functions that each run a
    whole training (``for individual in population: hyp.update(...); train(hyp, opt)``), before
    the first of those calls in the loop's body: it configures the next run, as a sweep or a
    hyperparameter evolution does, and changes nothing while a run trains."""
    training = ctx.training
    loop = training.in_training_loop(ancestors)
    if loop is None:
        return False
    frame = training.loop_frames.get(loop)
    if frame is None or frame.direct:
        return False
    for name in frame.calls:
        for function_frame in training.function_frames.get(name, []):
            function = function_frame.node
            if training.function_trains(function) and not runs_whole_training(ctx, function):
                return False  # train_one_epoch(...): the loop is an epoch loop
    mine = _statement_in_body(loop, ancestors)
    if mine is None:
        return False
    runs = [_statement_in_body(loop, call_ancestors) for call, call_ancestors in training.training_calls()
            if any(node is loop for node in call_ancestors)]
    if not runs or any(run is None for run in runs):
        return False
    body = list(loop.body.body)
    first = min(_position(body, run) for run in runs)
    return _position(body, mine) < first


def _statement_in_body(loop: cst.CSTNode, ancestors) -> cst.CSTNode | None:
    """The statement of ``loop``'s body that holds the node at ``ancestors``."""
    for index, node in enumerate(ancestors):
        if node is loop:
            if index + 2 < len(ancestors) and ancestors[index + 1] is loop.body:
                return ancestors[index + 2]
            return None
    return None


def _position(body: list[cst.CSTNode], statement: cst.CSTNode) -> int:
    for index, node in enumerate(body):
        if node is statement:
            return index
    return len(body)


def runs_whole_training(ctx: "FileContext", function: cst.FunctionDef) -> bool:
    cache = ctx.cache.setdefault("hl3_runs", {})
    if function not in cache:
        cache[function] = _runs_whole_training(ctx, function)
    return cache[function]


def _runs_whole_training(ctx: "FileContext", function: cst.FunctionDef) -> bool:
    training = ctx.training
    for node in _own_nodes(function):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _RUN_METHODS:
            if any(call is node for call, _ in training.step_calls):
                return True  # model.fit(...), trainer.train()
        if isinstance(node, (cst.For, cst.While)) and training.loop_trains(node):
            frame = training.loop_frames.get(node)
            inner = any(isinstance(n, (cst.For, cst.While)) and n is not node and training.loop_trains(n)
                        for n in _own_nodes(node))
            through_calls = frame is not None and any(
                _has_training_loop(ctx, callee) for callee in frame.calls)
            if inner or through_calls:
                return True  # an epoch loop around a batch loop
    return False


def _has_training_loop(ctx: "FileContext", name: str) -> bool:
    for frame in ctx.training.function_frames.get(name, []):
        if any(isinstance(n, (cst.For, cst.While)) and ctx.training.loop_trains(n) for n in _own_nodes(frame.node)):
            return True
    return False


def _own_nodes(root: cst.CSTNode):
    """Nodes under ``root``, not entering nested functions, classes or lambdas."""
    pending = list(root.children)
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            pending.extend(node.children)


def code_text(ctx: "FileContext", node: cst.CSTNode, limit: int = 60) -> str:
    text = " ".join(ctx.module.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def change_text(ctx: "FileContext", change: Change) -> str:
    node = change.node
    if isinstance(node, cst.Call):
        return code_text(ctx, node)
    return code_text(ctx, node)


# --- what kind of configuration ---------------------------------------------------------------

_LOADERS = {"yaml": "YAML", "json": "JSON", "toml": "TOML", "tomllib": "TOML", "tomli": "TOML"}


def describe_config(ctx: "FileContext", obj: cst.BaseExpression, ancestors) -> tuple[str, str, str]:
    """(kind, root text, description) of the configuration ``obj`` belongs to. Call during the
    traversal (it reads bindings)."""
    root = root_of(obj)
    text = code_text(ctx, root, 40)
    if isinstance(root, cst.Attribute):
        attr = root.attr.value
        if attr in ("hparams", "hparams_initial"):
            return "lightning", text, f"`{text}` holds the LightningModule's saved hyperparameters"
        if attr == "config" and not (isinstance(root.value, cst.Name) and root.value.value == "self"):
            return "model_config", text, f"`{text}` is the model's configuration"
        qualified = ctx.qualify(root) or ""
        if qualified.endswith("FLAGS"):
            return "flags", text, f"`{text}` holds the absl command-line flags"
        return "config", text, f"`{text}` is a configuration object"
    if not isinstance(root, cst.Name):
        return "config", text, f"`{text}` is a configuration object"
    name = root.value
    if name == "FLAGS":
        return "flags", text, "`FLAGS` holds the absl command-line flags"
    binding = ctx.bindings.lookup(name)
    if binding is None:
        return "config", text, f"`{text}` is a configuration object"
    if binding.kind == "param":
        function = binding.scope.node if binding.scope is not None else None
        if function in ctx.configs.hydra_functions:
            return "hydra", text, f"`{text}` is the Hydra config"
        annotation = getattr(binding.statement, "annotation", None)
        ann = (dotted(annotation.annotation) or "") if annotation is not None else ""
        last = ann.rsplit(".", 1)[-1]
        if last == "DictConfig":
            return "omegaconf", text, f"`{text}` is an OmegaConf config"
        if last == "TrainingArguments" or _in_trainer_callback(ctx, ancestors, name):
            return "training_args", text, f"`{text}` is the Trainer's TrainingArguments"
        if last:
            if ctx.configs.is_config_class_name(last) or last in ctx.configs.local_config_classes:
                return "dataclass", text, f"`{text}` is a `{last}` configuration"
        return "config", text, f"`{text}` is the configuration passed in"
    value = binding.value
    if binding.kind == "unpack" and isinstance(value, cst.Call):
        if "training_args" in name:
            return "training_args", text, f"`{text}` is the Trainer's TrainingArguments"
        return "dataclass", text, f"`{text}` is a parsed configuration dataclass"
    if isinstance(value, cst.Subscript):
        value = value.value  # parse_known_args()[0]
    if isinstance(value, cst.Call):
        func = value.func
        qualified = ctx.qualify(func) or dotted(func) or ""
        method = func.attr.value if isinstance(func, cst.Attribute) else ""
        if isinstance(func, cst.Name) and func.value in ("parse_args", "parse_arguments", "get_args", "parse_opt"):
            return "argparse", text, f"`{text}` holds the parsed command-line arguments"
        if isinstance(func, cst.Name) and func.value in ctx.local_functions:
            return "config", text, f"`{text}` is the configuration `{func.value}()` returns"
        head = qualified.split(".", 1)[0]
        last = qualified.rsplit(".", 1)[-1]
        if method in ("parse_args", "parse_known_args"):
            return "argparse", text, f"`{text}` holds the parsed command-line arguments"
        if method == "parse_args_into_dataclasses" or head in ("tyro", "pyrallis", "simple_parsing"):
            return "dataclass", text, f"`{text}` is a parsed configuration dataclass"
        if head in _LOADERS:
            return "loaded", text, f"`{text}` is a configuration loaded from {_LOADERS[head]}"
        if head == "omegaconf":
            return "omegaconf", text, f"`{text}` is an OmegaConf config"
        if head == "hydra":
            return "hydra", text, f"`{text}` is a Hydra config"
        if last in ("TrainingArguments", "Seq2SeqTrainingArguments"):
            return "training_args", text, f"`{text}` is the Trainer's TrainingArguments"
        if head == "ml_collections" or last in ("ConfigDict",):
            return "configdict", text, f"`{text}` is an ml_collections ConfigDict"
        if last in ctx.configs.local_config_classes or ctx.configs.is_config_class_name(last):
            return "dataclass", text, f"`{text}` is a `{last}` configuration"
    if isinstance(value, cst.Attribute) and value.attr.value == "value":  # config_flags holder
        return "configdict", text, f"`{text}` is an ml_collections ConfigDict"
    if isinstance(value, cst.Attribute) and value.attr.value in ("hparams", "config"):
        return describe_config(ctx, value, ancestors)
    return "config", text, f"`{text}` is a configuration object"


def _in_trainer_callback(ctx: "FileContext", ancestors, name: str) -> bool:
    from hyperlint.facts.hooks import class_framework

    if name != "args":
        return False
    for node in reversed(ancestors):
        if isinstance(node, cst.ClassDef):
            return class_framework(node, ctx) == "transformers"
    return False
