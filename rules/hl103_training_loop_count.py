"""HL103: the literal iteration count of a training loop."""
from __future__ import annotations

import libcst as cst

from hyperlint.facts.config_sources import suggestion
from hyperlint.rule import Rule
from hyperlint.rules._config_fix import plan_fixes
from hyperlint.rules._hyperparameters import (
    exempt_context,
    hyperparameter_sweep_loop,
    in_benchmark_function,
    is_literal,
    literal_text,
    search_trial_loop,
)
from hyperlint.rules._loops import loop_count


class HardcodedTrainingLoopCount(Rule):
    """
    ## What it does
    Finds a training loop whose number of iterations is a literal: `for epoch in range(90):`,
    `for step in tqdm(range(10_000)):`. A loop is a training loop when its body runs a training
    step (`loss.backward()`, `optimizer.step()`, `.fit(`, `train_on_batch`, `apply_gradients`,
    `optax.apply_updates`, ...) directly or through a function of the same file that it calls.

    ## Why is this bad?
    The number of epochs or steps is one of the most swept hyperparameters. Written into the
    loop, it cannot be changed from the command line or a config file, and the run does not
    record it.

    ## Example
    ```python
    for epoch in range(90):
        train_one_epoch(model, loader, optimizer)
    ```

    ## Use instead
    ```python
    parser.add_argument("--epochs", type=int, default=90)
    args = parser.parse_args()
    for epoch in range(args.epochs):
        train_one_epoch(model, loader, optimizer)
    ```

    ## Fix safety
    The suggested fix names the file's configuration, or proposes one; moving the value
    (`hyperlint extract-config`) changes the script's interface, so it is an unsafe fix.
    Counts that come through a constant (`range(EPOCHS)`) are reported by HL102 at the
    constant's assignment; `range(len(...))` and loops that do not train are not reported.
    """

    code = "HL103"
    name = "hardcoded-training-loop-count"
    fix_planner = staticmethod(plan_fixes)

    VALID = [
        "for epoch in range(args.epochs):\n    loss = model(x)\n    loss.backward()\n    optimizer.step()\n",
        "for i in range(10):\n    print(evaluate(model))\n",
        "for i in range(len(loader)):\n    loss = model(x)\n    loss.backward()\n",
        "def objective(trial):\n    for epoch in range(trial.suggest_int('epochs', 5, 50)):\n        model.fit(x, y)\n",
    ]
    INVALID = [
        "for epoch in range(90):\n    loss = model(x)\n    loss.backward()\n    optimizer.step()\n",
        "def train_one_epoch(model, loader, optimizer):\n    for x, y in loader:\n        loss = model(x)\n"
        "        loss.backward()\n        optimizer.step()\n\n"
        "for epoch in range(1, 11):\n    train_one_epoch(model, loader, optimizer)\n",
        "from tqdm import tqdm\nfor step in tqdm(range(10_000)):\n    state = state.apply_gradients(grads=grads)\n",
        "for _ in range(500):\n    clf.partial_fit(X, y, classes=classes)\n",
    ]

    def __init__(self, ctx, options=None) -> None:
        super().__init__(ctx, options)
        self.loops: list[tuple[cst.For, cst.BaseExpression]] = []

    def visit_For(self, node: cst.For) -> None:
        count = loop_count(node)
        if (count is not None and is_literal(count, allow_strings=False) and not exempt_context(self.ctx, self.ctx.stack)
                and not in_benchmark_function(self.ctx.stack)):
            self.loops.append((node, count))

    def finish(self) -> None:
        for loop, count in self.loops:
            if (self.ctx.training.loop_trains(loop) and not search_trial_loop(self.ctx, loop, count)
                    and not hyperparameter_sweep_loop(self.ctx, loop)):
                value = literal_text(self.ctx, count)
                target = loop.target
                variable = target.value if isinstance(target, cst.Name) else "step"
                name = "epochs" if "epoch" in variable else ("steps" if variable in ("step", "it", "i", "_", "iteration") else f"num_{variable}s")
                self.report(
                    count,
                    f"Hard-coded training-loop count: the training loop runs `{value}` times",
                    suggestion(self.ctx, name, value),
                    statement=loop,
                    data={"kind": "loop", "name": name, "loop": loop},
                )
