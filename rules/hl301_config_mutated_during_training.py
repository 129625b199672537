"""HL301: a configuration object is changed while training runs."""
from __future__ import annotations

import re
from functools import partial
from typing import Callable

import libcst as cst

from hyperlint.facts.bindings import target_names
from hyperlint.facts.names import dotted

from hyperlint.rule import Valid
from hyperlint.rules._hl3_base import ChangeRule, Pending, change_text, code_text, describe_config
from hyperlint.rules._hl3_fixes import classify, complete_formula, config_fix, gather_formula
from hyperlint.rules._hl3_targets import (
    Change,
    is_fresh_copy,
    is_param_group,
    is_wandb_config,
    root_of,
    self_attribute,
    training_library,
)


class ConfigMutatedDuringTraining(ChangeRule):
    """
    ## What it does
    Finds code that changes a configuration object while training runs: assignment, augmented
    assignment, `setattr`, item assignment, `.update(...)` or `del` on the parsed arguments
    (`parse_args()`), absl `FLAGS`, a Hydra/OmegaConf config, an `ml_collections.ConfigDict`, a
    dict loaded from YAML/JSON/TOML, a dataclass config, `TrainingArguments`, `model.config` or a
    Lightning module's `self.hparams` — inside a training loop, in a function the loop calls, in
    a training hook (Lightning `on_train_*`, Keras `Callback.on_epoch_*`, `TrainerCallback.on_*`,
    XGBoost `after_iteration`, LightGBM callbacks, MMEngine `Hook.after_train_iter`/...) or after
    the first training call.

    Setup before training is fine: filling in derived fields (`args.device`, `args.world_size`),
    scaling the learning rate by the batch size, merging overrides.

    ## Why is this bad?
    The configuration is what the run records (in the experiment tracker, the checkpoint, the
    saved YAML) and what a resumed or repeated run starts from. Changing it mid-run makes that
    record wrong: the logged `lr` is the last one, not the one the run started with, and a run
    resumed from a checkpoint applies a decay twice.

    ## Example
    ```python
    args = parser.parse_args()
    for epoch in range(args.epochs):
        if epoch in args.schedule:
            args.lr *= args.gamma
        train(model, loader, optimizer, args.lr)
    ```

    ## Use instead
    ```python
    args = parser.parse_args()
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=args.schedule, gamma=args.gamma)
    for epoch in range(args.epochs):
        train(model, loader, optimizer)
        scheduler.step()
    ```

    ## Fix safety
    There is no automatic fix: where the changing value should live (a scheduler, a local
    variable, the run's log) is a design decision. The suggested fix names the replacement.
    """

    code = "HL301"
    name = "config-mutated-during-training"

    VALID = [
        # setup before training: derived fields and LR scaling
        "import argparse\nparser = argparse.ArgumentParser()\nargs = parser.parse_args()\n"
        "args.device = 'cuda'\nargs.lr = args.blr * args.batch_size / 256\n"
        "for epoch in range(args.epochs):\n    loss = model(x).sum()\n    loss.backward()\n    optimizer.step()\n",
        # a local copy of a config value is not the configuration
        "lr = args.lr\nfor epoch in range(args.epochs):\n    loss.backward()\n    optimizer.step()\n    lr /= 4\n",
        # model.config before trainer.train()
        "from transformers import Trainer\nmodel.config.use_cache = False\ntrainer = Trainer(model=model, args=training_args)\n"
        "trainer.train()\n",
        # the lr finder's suggestion before fit
        "lr_finder = tuner.lr_find(model)\nmodel.hparams.lr = lr_finder.suggestion()\ntrainer.fit(model)\n",
        # TrainerCallback.control exists to be changed
        "from transformers import TrainerCallback\nclass Stop(TrainerCallback):\n"
        "    def on_log(self, args, state, control, logs=None, **kwargs):\n        control.should_training_stop = True\n",
        Valid("args = parser.parse_args()\nfor epoch in range(3):\n    loss.backward()\n    optimizer.step()\n"
              "    args.lr *= 0.1\n", path="tests/test_loop.py"),
        # a sweep driver configures each new run from the loop's own item
        "def run(args):\n    for x in data:\n        loss(x).backward()\n        optimizer.step()\n"
        "args = parser.parse_args()\nfor name in ['resnet18', 'resnet50']:\n    args.model = name\n    run(args)\n",
    ]
    INVALID = [
        "args = parser.parse_args()\nfor epoch in range(args.epochs):\n    if epoch in args.schedule:\n"
        "        args.lr *= args.gamma\n    loss.backward()\n    optimizer.step()\n",
        "import lightgbm as lgb\nimport yaml\ncfg = yaml.safe_load(open('c.yaml'))\nbooster = lgb.train(cfg['lgb'], data)\n"
        "cfg['lgb']['learning_rate'] /= 2\n",
        "import pytorch_lightning as pl\nclass Net(pl.LightningModule):\n    def on_train_epoch_end(self):\n"
        "        self.hparams.lr *= 0.5\n",
        "from omegaconf import DictConfig\nimport hydra\n@hydra.main(config_path='conf')\ndef main(cfg: DictConfig):\n"
        "    for epoch in range(cfg.epochs):\n        train_one_epoch(model)\n        cfg.train.resume_from = 'best.pt'\n"
        "def train_one_epoch(model):\n    loss.backward()\n    optimizer.step()\n",
    ]

    def consider(self, change: Change, ancestors) -> Pending | None:
        ctx = self.ctx
        if change.op in ("keras-assign", "set_value"):
            return None
        obj = change.obj
        if isinstance(root_of(obj), cst.Name) and root_of(obj).value in ("self", "cls"):
            return None
        if is_param_group(ctx, obj, ancestors) or is_wandb_config(ctx, obj):
            return None  # HL302 / HL303
        if _optax_state(ctx, obj) or _config_of_something_else(root_of(obj)):
            return None
        if _sweep_setup(ctx, change, ancestors) or _fills_in_a_default(change):
            return None
        check: Callable[[], bool] | None = None  # decided after the traversal
        if not ctx.configs.is_config(obj):
            attr = self_attribute(obj)
            owner = ctx.enclosing_class()
            if attr is None or owner is None:
                return None
            configs = ctx.configs
            check = partial(configs.self_attribute_is_config, owner, attr)
        elif is_fresh_copy(ctx, obj):
            return None
        else:
            depth = built_at(ctx, obj, ancestors)
            if depth is not None:
                built = _binding_path(ctx, obj, ancestors, depth)
                check = partial(_not_built_during_training, ctx, ancestors, depth, built)
        kind, root, description = describe_config(ctx, obj, ancestors)
        text = change_text(ctx, change)
        target = code_text(ctx, change.target, 50) if change.target is not None else root
        formula = gather_formula(ctx, change.value, ancestors, statement=change.node) if change.value is not None else None
        key = change.key
        library = training_library(ctx)

        def build(context: str | None) -> tuple[str, str]:
            schedule = classify(complete_formula(ctx, formula)) if formula is not None else None
            message = f"Configuration changed during training: `{text}` {context}; {description}"
            return message, config_fix(kind, root, target, key, schedule, context, library)

        if _runtime_switch(change):
            check = _also(check, lambda: ctx.training_run_context(ancestors) is not None)
        return Pending(change.node, ctx.enclosing_statement(), ancestors, build, check=check)


def _sweep_setup(ctx, change: Change, ancestors) -> bool:
    """``for name in models: args.model = name; run(args)``: each iteration configures a new run
    from the loop's own item before training starts — a sweep driver, not a change mid-run."""
    value = change.value
    if not isinstance(value, cst.Name):
        return False
    for index in range(len(ancestors) - 1, -1, -1):
        node = ancestors[index]
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        if isinstance(node, cst.For):
            targets = {name for name, _ in target_names(node.target)}
            if value.value not in targets:
                return False
            if ctx.training.in_training_loop(ancestors[:index]) is not None:
                return False  # for timestep in ...: validation inside the epoch loop, not a sweep
            iterable = node.iter
            if isinstance(iterable, cst.Call) and (dotted(iterable.func) or "").rsplit(".", 1)[-1] in (
                "range", "trange", "enumerate", "tqdm", "count"
            ):
                return False
            frame = ctx.training.loop_frames.get(node)
            return frame is not None and not frame.direct
    return False


def _fills_in_a_default(change: Change) -> bool:
    """``args.n = args.n if args.n else 1`` / ``args.n = args.n or 1``: a missing value gets a
    default and a configured one is kept as it is, so what the run was configured with holds."""
    target, value = change.target, change.value
    if change.op != "assign" or target is None or value is None:
        return False
    if isinstance(value, cst.IfExp):
        present = _tests_presence(value.test, target)  # True: the test holds when a value is set
        if present is None:
            return False
        return _same(value.body if present else value.orelse, target)
    if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
        return _same(value.left, target)
    return False


def _same(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    return a.deep_equals(b)


def _tests_presence(test: cst.BaseExpression, target: cst.BaseExpression) -> bool | None:
    """``args.n`` / ``args.n is not None`` -> True; ``not args.n`` / ``args.n is None`` -> False;
    any other test -> None."""
    if _same(test, target):
        return True
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and _same(test.expression, target):
        return False
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and _same(test.left, target):
        comparison = test.comparisons[0]
        if isinstance(comparison.comparator, cst.Name) and comparison.comparator.value == "None":
            if isinstance(comparison.operator, cst.IsNot):
                return True
            if isinstance(comparison.operator, cst.Is):
                return False
    return None


_MODEL_LIKE = re.compile(r"(^|_)(model|net|network|module|pipeline|pipe|trainer|learner|encoder|decoder|backbone|"
                         r"transformer|policy|agent|lm)s?$|^self$", re.I)


def _config_of_something_else(root: cst.BaseExpression) -> bool:
    """``env.config[...]`` / ``dataset.config``: the `.config` of an object that is not a model,
    a trainer or ``self`` (a gym environment's settings, say) is not the run's configuration."""
    if not isinstance(root, cst.Attribute) or root.attr.value != "config":
        return False
    owner = root.value
    name = owner.attr.value if isinstance(owner, cst.Attribute) else owner.value if isinstance(owner, cst.Name) else ""
    if isinstance(owner, cst.Call):  # get_model().config / accelerator.unwrap_model(model).config
        return False
    return not _MODEL_LIKE.search(name)


# model.config fields that switch how the forward pass runs or what it returns, not what is learned
_RUNTIME_SWITCHES = frozenset({"use_cache", "output_attentions", "output_hidden_states", "return_dict",
                               "torchscript", "attn_implementation", "_attn_implementation"})


def _runtime_switch(change: Change) -> bool:
    """``model.config.use_cache = True``: an inference switch of the model's config. After
    ``trainer.train()`` (to generate) it is not a change to the run; in the loop it still is."""
    obj = change.obj
    return (change.key in _RUNTIME_SWITCHES and not change.keyed and isinstance(obj, cst.Attribute)
            and obj.attr.value == "config" and root_of(obj) is obj)


def _also(first: Callable[[], bool] | None, second: Callable[[], bool]) -> Callable[[], bool]:
    if first is None:
        return second
    return lambda: first() and second()


def _optax_state(ctx, obj: cst.BaseExpression) -> bool:
    """``state.opt_state.hyperparams[...]``: optax ``inject_hyperparams`` state, exempt."""
    node = obj
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        if isinstance(node, cst.Attribute) and node.attr.value in ("hyperparams", "opt_state"):
            return True
        node = node.value
    return False


def built_at(ctx, obj: cst.BaseExpression, ancestors) -> int | None:
    """Where (the index in ``ancestors`` of the block) the object was built by a call or a dict
    display bound to its name, if it was built in a block enclosing the change."""
    root = root_of(obj)
    if not isinstance(root, cst.Name):
        return None
    binding = ctx.bindings.lookup(root.value)
    if binding is None or binding.kind not in ("assign", "annassign", "walrus") or binding.block is None:
        return None
    value = binding.value
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "vars":
        return None  # vars(args) is args' own namespace
    if not isinstance(value, (cst.Call, cst.Dict, cst.DictComp)):
        return None  # an alias of another configuration (`c = cfg.optim`)
    for index in range(len(ancestors) - 1, -1, -1):
        if ancestors[index] is binding.block:
            return index
    return None


def _not_built_during_training(ctx, ancestors, depth: int, built: tuple | None = None) -> bool:
    if built is not None and built_after_the_training(ctx, ancestors, built):
        return False
    return not built_during_training(ctx, ancestors, depth)


def _binding_path(ctx, obj: cst.BaseExpression, ancestors, depth: int) -> tuple | None:
    """The ancestors of the statement that built the object (its block is ``ancestors[depth]``)."""
    binding = ctx.bindings.lookup(root_of(obj).value)
    block = ancestors[depth]
    for element in getattr(block, "body", ()):
        if element is binding.statement or (isinstance(element, cst.SimpleStatementLine) and any(
                small is binding.statement for small in element.body)):
            return tuple(ancestors[: depth + 1]) + (element,)
    return None


def built_after_the_training(ctx, ancestors, built: tuple) -> bool:
    """The change runs after a training call in straight-line code, but the object it changes
    was built after every such call too (a notebook's next experiment, ``config = {}`` /
    ``opts = Namespace(**ckpt["opts"])`` below ``trainer.train()``): it is a new object, not the
    configuration the finished training ran with."""
    if ctx.training_run_context(ancestors) is not None:
        return False
    training = ctx.training
    before = training.training_calls_before(ancestors)
    if not before:
        return False
    before_building = training.training_calls_before(built)
    return all(any(call is earlier for earlier in before_building) for call in before)


def built_during_training(ctx, ancestors, depth: int) -> bool:
    """The object was built inside the training loop (or the hook / called function) the change
    runs in: a fresh object each time, not the run's configuration."""
    loop = ctx.training.in_training_loop(ancestors)
    if loop is not None:
        return ancestors.index(loop) < depth
    function = ctx.enclosing_function(ancestors)
    if function is None:
        return False
    if ctx.training.called_from_training_loop(function) or ctx.hooks.hook_for(ancestors) is not None:
        return ancestors.index(function) < depth
    return False
