"""HL303: ``wandb.config`` / ``run.config`` changed while training runs."""
from __future__ import annotations

from hyperlint.rule import Valid
from hyperlint.rules._hl3_base import ChangeRule, Pending, change_text
from hyperlint.rules._hl3_fixes import WANDB_FIX
from hyperlint.rules._hl3_targets import Change, is_wandb_config


class WandbConfigChangedDuringTraining(ChangeRule):
    """
    ## What it does
    Finds changes to a Weights & Biases run's configuration while training runs:
    `wandb.config.update(..., allow_val_change=True)`, `wandb.config.lr = ...`,
    `run.config["best_epoch"] = ...` inside a training loop, a function it calls, a training
    hook, or after the first training call.

    Recording the configuration at setup (`wandb.init(config=vars(args))`, adding derived
    fields with `wandb.config.update(...)` before training) is fine.

    ## Why is this bad?
    `wandb.config` is how runs are compared, grouped and filtered: it should say what a run was
    started with. A value written into it during training replaces the configured one (with
    `allow_val_change=True`, silently), so the dashboard shows the last learning rate instead of
    the configured one, and per-epoch values that belong in a chart end up as one scalar.

    ## Example
    ```python
    run = wandb.init(config=vars(args))
    for epoch in range(args.epochs):
        train(model, loader, optimizer)
        wandb.config.update({"lr": scheduler.get_last_lr()[0]}, allow_val_change=True)
    ```

    ## Use instead
    ```python
    run = wandb.init(config=vars(args))
    for epoch in range(args.epochs):
        train(model, loader, optimizer)
        run.log({"lr": scheduler.get_last_lr()[0], "epoch": epoch})
    ```

    ## Fix safety
    There is no automatic fix: whether a value is a time series (`run.log`) or a final result
    (`run.summary`) is for the author to say.
    """

    code = "HL303"
    name = "wandb-config-changed-during-training"

    VALID = [
        # recording derived values before training
        "import wandb\nrun = wandb.init(config=vars(args))\nwandb.config.update({'n_params': n})\n"
        "for epoch in range(10):\n    loss.backward()\n    optimizer.step()\n",
        # the summary is the place for results
        "import wandb\nrun = wandb.init()\nfor epoch in range(10):\n    loss.backward()\n    optimizer.step()\n"
        "    run.summary['best_acc'] = acc\n",
        Valid("import wandb\nfor epoch in range(10):\n    loss.backward()\n    optimizer.step()\n"
              "    wandb.config.lr = 0.1\n", path="tests/test_logging.py"),
    ]
    INVALID = [
        "import wandb\nrun = wandb.init()\nfor epoch in range(10):\n    loss.backward()\n    optimizer.step()\n"
        "    wandb.config.update({'lr': lr}, allow_val_change=True)\n",
        "import wandb\nrun = wandb.init()\nfor epoch in range(10):\n    loss.backward()\n    optimizer.step()\n"
        "    run.config['best_epoch'] = epoch\n",
        "import wandb\nconfig = wandb.config\nmodel.fit(x, y)\nconfig.epochs_done = 3\n",
    ]

    def consider(self, change: Change, ancestors) -> Pending | None:
        ctx = self.ctx
        if change.op in ("keras-assign", "set_value") or not is_wandb_config(ctx, change.obj):
            return None
        text = change_text(ctx, change)

        def build(context: str | None) -> tuple[str, str]:
            return f"Weights & Biases config changed during training: `{text}` {context}", WANDB_FIX

        return Pending(change.node, ctx.enclosing_statement(), ancestors, build)
