"""HL302: an optimizer's learning rate (or another hyperparameter) written by hand."""
from __future__ import annotations

import libcst as cst

from hyperlint.facts.hooks import class_framework
from hyperlint.rule import Valid
from hyperlint.rules._hl3_base import ChangeRule, Pending, change_text
from hyperlint.rules._hl3_fixes import (
    classify,
    complete_formula,
    gather_formula,
    keras_scheduler_fix,
    torch_scheduler_fix,
)
from hyperlint.rules._hl3_targets import (
    Change,
    hyperparameter_keys,
    implementation_kind,
    is_keras_file,
    is_optimizer,
    is_param_group,
)


class OptimizerHyperparameterByHand(ChangeRule):
    """
    ## What it does
    Finds code that writes an optimizer's learning rate (or another hyperparameter) by hand,
    anywhere outside an LR-scheduler implementation: `param_group["lr"] = lr` while iterating
    `optimizer.param_groups`, `optimizer.param_groups[0]["lr"] = ...`, `group.update(lr=...)`,
    Keras `K.set_value(model.optimizer.lr, ...)`, `optimizer.learning_rate = ...` and
    `optimizer.learning_rate.assign(...)`.

    Scheduler and optimizer implementations (subclasses of `torch.optim.lr_scheduler.LRScheduler`,
    `keras.optimizers.schedules.LearningRateSchedule`, `torch.optim.Optimizer`), LR finders (an
    LR range test such as Lightning's `lr_find` sets the rate it sweeps) and optax
    `inject_hyperparams` state are not reported.

    ## Why is this bad?
    A hand-written schedule lives outside everything that records and restores training: the
    configured learning rate no longer says what the optimizer used, the schedule's position is
    not in the checkpoint (a resumed run restarts the warmup or decays twice), and every script
    re-implements warmup, step decay and cosine with its own off-by-one errors. The schedulers
    in `torch.optim.lr_scheduler` and `keras.optimizers.schedules` cover these patterns and save
    their state.

    ## Example
    ```python
    def adjust_learning_rate(optimizer, epoch, args):
        lr = args.lr * (0.1 ** (epoch // 30))
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr

    for epoch in range(args.epochs):
        adjust_learning_rate(optimizer, epoch, args)
        train(model, loader, optimizer)
    ```

    ## Use instead
    ```python
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(args.epochs):
        train(model, loader, optimizer)
        scheduler.step()
    ```

    ## Fix safety
    There is no automatic fix: replacing a hand-written formula by a scheduler changes when the
    rate changes (schedulers step after the optimizer). The suggested fix names the scheduler
    that matches the formula (StepLR, MultiStepLR, SequentialLR, LambdaLR, ReduceLROnPlateau,
    or a Keras schedule).
    """

    code = "HL302"
    name = "optimizer-hyperparameter-by-hand"

    VALID = [
        # reading the learning rate for logging
        "for epoch in range(10):\n    train(model)\n    print(optimizer.param_groups[0]['lr'])\n",
        # an LR scheduler implementation
        "from torch.optim.lr_scheduler import LRScheduler\nclass Warmup(LRScheduler):\n    def step(self):\n"
        "        for group in self.optimizer.param_groups:\n            group['lr'] = self.base * self.last_epoch\n",
        # a learning-rate variable of a hand-written update rule, not an optimizer
        "import tensorflow as tf\nlr = tf.Variable(0.1, trainable=False)\nfor epoch in range(10):\n"
        "    train_step(x, y)\n    lr.assign(lr * 0.9)\n",
        # scheduler bookkeeping when resuming
        "for group in optimizer.param_groups:\n    group.setdefault('initial_lr', group['lr'])\n",
        # optax inject_hyperparams state
        "state.opt_state.hyperparams['learning_rate'] = schedule(step)\n",
        Valid("for g in opt.param_groups:\n    g['lr'] = 0.0\n", path="tests/test_optim.py"),
    ]
    INVALID = [
        "def adjust_learning_rate(optimizer, epoch, args):\n    lr = args.lr * (0.1 ** (epoch // 30))\n"
        "    for param_group in optimizer.param_groups:\n        param_group['lr'] = lr\n",
        "for it in range(num_iterations):\n    frac = 1.0 - it / num_iterations\n"
        "    optimizer.param_groups[0]['lr'] = frac * args.learning_rate\n    loss.backward()\n    optimizer.step()\n",
        "import tensorflow as tf\nclass Warmup(tf.keras.callbacks.Callback):\n"
        "    def on_epoch_begin(self, epoch, logs=None):\n"
        "        tf.keras.backend.set_value(self.model.optimizer.lr, self.base_lr * epoch / 5)\n",
        "for epoch in range(epochs):\n    if epoch in decay_epochs:\n"
        "        optimizer.learning_rate.assign(optimizer.learning_rate * 0.1)\n",
        "import pytorch_lightning as pl\nclass Net(pl.LightningModule):\n    def on_train_epoch_start(self):\n"
        "        for group in self.trainer.optimizers[0].param_groups:\n            group['lr'] = self.hparams.lr / 10\n",
    ]

    def consider(self, change: Change, ancestors) -> Pending | None:
        ctx = self.ctx
        obj = change.obj
        keras = False
        if change.op in ("keras-assign", "set_value"):
            if not is_optimizer(ctx, obj):
                return None
            keras = True
            keys = [change.key or "lr"]
        elif is_param_group(ctx, obj, ancestors):
            if change.op not in ("assign", "augassign", "update", "setattr", "del") or change.op == "setattr":
                return None
            keys = hyperparameter_keys(change)
            if not keys:
                return None
        elif not change.keyed and change.key in ("lr", "learning_rate") and change.op in ("assign", "augassign"):
            if ctx.configs.is_config(obj) or not is_optimizer(ctx, obj) or not is_keras_file(ctx):
                return None
            keras = True
            keys = [change.key]
        elif change.keyed and isinstance(obj, cst.Attribute) and obj.attr.value == "defaults":
            if not is_optimizer(ctx, obj.value) or change.op not in ("assign", "augassign"):
                return None
            keys = hyperparameter_keys(change)
            if not keys:
                return None
        else:
            return None
        if implementation_kind(ctx, ancestors) is not None:
            return None
        framework = _framework(ctx, ancestors)
        if framework == "keras":
            keras = True
        text = change_text(ctx, change)
        formula = gather_formula(ctx, change.value, ancestors, statement=change.node)
        what = "learning rate" if any(k in ("lr", "learning_rate") for k in keys) else f"`{keys[0]}`"

        def build(context: str | None) -> tuple[str, str]:
            schedule = classify(complete_formula(ctx, formula))
            where = context or "outside an LR scheduler"
            message = f"Optimizer {what} written by hand: `{text}` {where}"
            if what != "learning rate":
                suggestion = (f"Set `{keys[0]}` per parameter group when the optimizer is built (or schedule it "
                              "from a scheduler's `step()`), not by writing it into the optimizer mid-run.")
            elif keras:
                suggestion = keras_scheduler_fix(schedule)
            else:
                suggestion = torch_scheduler_fix(schedule, framework)
            return message, suggestion

        return Pending(change.node, ctx.enclosing_statement(), ancestors, build, during_training=False)


def _framework(ctx, ancestors) -> str | None:
    for node in reversed(ancestors):
        if isinstance(node, cst.ClassDef):
            return class_framework(node, ctx)
    return None
