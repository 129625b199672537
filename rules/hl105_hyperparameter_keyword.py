"""HL105: an unmistakable hyperparameter keyword (lr=, batch_size=, epochs=, ...) given a literal
on a callee the catalogue does not know."""
from __future__ import annotations

import libcst as cst

from hyperlint.rule import Invalid, Rule, Valid
from hyperlint.rules._config_fix import plan_fixes
from hyperlint.rules._hyperparameters import (
    report_literal_slots,
    SlotArgument,
    callee_label,
    drop_evaluation_batch_sizes,
    exempt_context,
    in_model_definition,
    is_literal,
    keyword_value_acceptable,
    resolve_callee,
    slot_arguments,
)


class HardcodedHyperparameterKeyword(Rule):
    """
    ## What it does
    Finds a call to a function the catalogue does not know — your own `train()`, a custom
    optimizer class, `model.fit` of an unknown library — with a literal passed to a keyword
    whose name is unmistakably a hyperparameter: `lr`, `learning_rate`, `batch_size`,
    `*_batch_size`, `epochs`, `num_epochs`, `n_epochs`, `max_epochs`, `num_train_epochs`,
    `weight_decay`, `momentum`, `warmup_steps`, `label_smoothing`, `max_grad_norm`.

    ## Why is this bad?
    Whatever the callee is, `lr=5e-3` at the call site fixes the learning rate in the code: it
    cannot be swept or overridden, and the run does not record it.

    ## Example
    ```python
    history = fit(model, X, y, learning_rate=5e-3, epochs=20)
    ```

    ## Use instead
    ```python
    history = fit(model, X, y, learning_rate=args.learning_rate, epochs=args.epochs)
    ```

    ## Fix safety
    The suggested fix names the file's configuration, or proposes one; moving the value
    (`hyperlint extract-config`) changes the script's interface, so it is an unsafe fix.
    Construction of configuration objects (`TrainConfig(lr=1e-3)`, `SimpleNamespace(...)`,
    `OmegaConf.create(...)`), CLI definitions, search spaces and layer constructors inside model
    definitions (see HL106) are not reported.
    """

    code = "HL105"
    name = "hardcoded-hyperparameter-keyword"
    fix_planner = staticmethod(plan_fixes)
    options = {
        # more keyword names to treat as hyperparameters on any callee (e.g. "dropout_rate")
        "extend-keywords": [],
        # callees (as written, or their qualified names) whose keywords are never reported
        "ignore-callees": [],
    }

    VALID = [
        Valid("history = fit(model, X, y, learning_rate=5e-3)\n", options={"ignore-callees": ["fit"]}),
        "from types import SimpleNamespace\nhp = SimpleNamespace(lr=1e-3, batch_size=64)\n",
        "config = TrainConfig(lr=1e-3, epochs=10)\n",
        "parser.set_defaults(lr=0.1, epochs=90)\n",
        "history = fit(model, X, y, learning_rate=args.lr, epochs=args.epochs)\n",
        "ds = tfds.load('mnist', split='train', batch_size=-1)\n",
        "import wandb\nrun = wandb.init(project='p', config=dict(lr=1e-3, epochs=10))\n",
    ]
    INVALID = [
        "history = fit(model, X, y, learning_rate=5e-3)\n",
        Invalid("net = build_net(dropout_rate=0.3)\n", options={"extend-keywords": ["dropout_rate"]}),
        "opt = PlainSGD(model.parameters(), lr=0.05)\n",
        "agent.train(replay, batch_size=256)\n",
        "model.fit(x_train, y_train, batch_size=128, epochs=40)\n",
    ]

    def visit_Call(self, node: cst.Call) -> None:
        slots = [s for s in slot_arguments(self.ctx, node) if s.kind == "keyword"]
        extra = self.settings["extend-keywords"]
        if extra and not slots and resolve_callee(self.ctx, node)[0] is None:
            label = callee_label(self.ctx, node)
            slots = [
                SlotArgument(arg, arg.keyword.value, label, "keyword")
                for arg in node.args
                if arg.keyword is not None and arg.keyword.value in extra
            ]
        if slots and self.settings["ignore-callees"]:
            ignored = set(self.settings["ignore-callees"])
            slots = [s for s in slots if s.callee not in ignored and s.callee.rsplit(".", 1)[-1] not in ignored]
        if not slots:
            return
        literal = [s for s in slots if is_literal(s.argument.value, allow_strings=False) and keyword_value_acceptable(s)]
        literal = [s for s in literal if not (isinstance(s.argument.value, cst.Name))]
        if not literal or exempt_context(self.ctx, self.ctx.stack) or in_model_definition(self.ctx, self.ctx.stack):
            return
        literal = drop_evaluation_batch_sizes(self.ctx, node, literal)
        if literal:
            report_literal_slots(self, node, literal)
