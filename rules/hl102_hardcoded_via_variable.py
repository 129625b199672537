"""HL102: a literal that reaches hyperparameter slots through a variable (reported at the assignment)."""
from __future__ import annotations

import libcst as cst

from hyperlint.facts.bindings import Binding
from hyperlint.facts.config_sources import suggestion
from hyperlint.rule import Rule, Valid
from hyperlint.rules._config_fix import plan_fixes
from hyperlint.rules._hyperparameters import (
    describe_slot,
    drop_evaluation_batch_sizes,
    evaluation_only_name,
    hyperparameter_sweep_loop,
    in_benchmark_function,
    in_test_function,
    exempt_context,
    is_literal,
    keyword_value_acceptable,
    literal_text,
    origin,
    python_config_file,
    search_trial_loop,
    slot_arguments,
)
from hyperlint.rules._loops import loop_count


class HardcodedHyperparameterVariable(Rule):
    """
    ## What it does
    Finds a variable or module-level constant holding a literal (`LEARNING_RATE = 1e-3`,
    `batch_size = 64` inside `main()`) that is then passed into hyperparameter slots or used
    as the count of a training loop (`for epoch in range(EPOCHS)`). It is reported once, at the
    assignment, naming every slot the value feeds.

    ## Why is this bad?
    A named constant is still hard-coded: changing it means editing the script, and its value
    is not recorded with the run. Configuration (a CLI flag, a config file or a config object)
    can be swept, overridden and logged.

    ## Example
    ```python
    LEARNING_RATE = 0.01
    EPOCHS = 14

    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    for epoch in range(EPOCHS):
        train_one_epoch(model, optimizer)
    ```

    ## Use instead
    ```python
    @dataclass(frozen=True)
    class TrainConfig:
        learning_rate: float = 0.01
        epochs: int = 14

    config = TrainConfig()
    optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate)
    for epoch in range(config.epochs):
        train_one_epoch(model, optimizer)
    ```

    ## Fix safety
    The suggested fix names the file's configuration, or proposes one. Moving the value
    (`hyperlint extract-config`) changes the script's interface, so it is an unsafe fix.
    Values of a module whose globals are overridden from outside (`exec(open(...).read())`,
    `globals().update(...)`, nanoGPT's configurator) are configuration and are not reported.
    """

    code = "HL102"
    name = "hardcoded-hyperparameter-variable"
    fix_planner = staticmethod(plan_fixes)

    VALID = [
        "import torch\nLR = args.lr\noptimizer = torch.optim.SGD(model.parameters(), lr=LR)\n",
        "import torch\ndef build(params, lr=1e-3):\n    return torch.optim.Adam(params, lr=lr)\n",
        "import torch\nlearning_rate = 6e-4\nexec(open('configurator.py').read())\n"
        "optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)\n",
        "SEED = 1\nimport torch\ntorch.manual_seed(SEED)\n",
        "EPOCHS = 10\nfor epoch in range(EPOCHS):\n    evaluate(model)\n",
        Valid("import torch\nLR = 0.1\nopt = torch.optim.SGD(p, lr=LR)\n", path="tests/test_opt.py"),
    ]
    INVALID = [
        "import torch\nLEARNING_RATE = 0.01\noptimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)\n",
        "import torch\ndef main():\n    lr = 5e-4\n    opt = torch.optim.Adam(model.parameters(), lr=lr)\n",
        "EPOCHS = 14\nfor epoch in range(1, EPOCHS + 1):\n    loss = model(x)\n    loss.backward()\n    optimizer.step()\n",
        "BATCH_SIZE = 32\nds = load_images('data/', batch_size=BATCH_SIZE)\n",
        "from tensorflow import keras\nBASE_LR = 1e-3\nopt = keras.optimizers.RMSprop(learning_rate=BASE_LR / 10)\n",
    ]

    def __init__(self, ctx, options=None) -> None:
        super().__init__(ctx, options)
        self.feeds: dict[Binding, list[str]] = {}
        self.loops: list[tuple[cst.For, list[Binding]]] = []

    def visit_Call(self, node: cst.Call) -> None:
        slots = [s for s in slot_arguments(self.ctx, node) if s.kind in ("catalogue", "keyword")]
        if not slots:
            return
        found = []
        for slot in slots:
            where = origin(self.ctx, slot.argument.value)
            if where is not None and where.sources:
                found.append((slot, where.sources))
        if not found or exempt_context(self.ctx, self.ctx.stack):
            return
        kept = drop_evaluation_batch_sizes(self.ctx, node, [slot for slot, _ in found])
        found = [(slot, sources) for slot, sources in found if slot in kept]
        for slot, sources in found:
            if evaluation_only_name(slot.slot):
                continue
            if slot.kind == "keyword" and not (
                keyword_value_acceptable(slot) and all(_numeric_source(b) for b in sources)
            ):
                continue  # unknown callees: numbers only, as HL105
            for binding in sources:
                if not evaluation_only_name(binding.name):
                    self.feeds.setdefault(binding, []).append(describe_slot(slot))

    def visit_For(self, node: cst.For) -> None:
        count = loop_count(node)
        if count is None or python_config_file(self.ctx) or in_benchmark_function(self.ctx.stack) \
                or in_test_function(self.ctx, self.ctx.stack):
            return
        where = origin(self.ctx, count)
        if where is not None and where.sources:
            self.loops.append((node, where.sources))

    def finish(self) -> None:
        for loop, sources in self.loops:
            if (self.ctx.training.loop_trains(loop) and not search_trial_loop(self.ctx, loop, loop_count(loop))
                    and not hyperparameter_sweep_loop(self.ctx, loop)):
                for binding in sources:
                    self.feeds.setdefault(binding, []).append("the count of a training loop")
        for binding, uses in self.feeds.items():
            statement = binding.statement
            value = binding.value
            if binding.kind == "unpack" and isinstance(value, (cst.Tuple, cst.List)):
                value = value.elements[binding.index].value
            shown = literal_text(self.ctx, value) if value is not None else "..."
            unique = list(dict.fromkeys(uses))
            target = _target_node(statement, binding.name)
            self.report(
                target,
                f"Hard-coded hyperparameter: `{binding.name} = {shown}` feeds {', '.join(unique)}",
                suggestion(self.ctx, binding.name.lower(), shown, variable=binding.name),
                statement=statement,
                data={"kind": "variable", "binding": binding, "feeds": unique},
            )


def _numeric_source(binding: Binding) -> bool:
    value = binding.value
    if binding.kind == "unpack" and isinstance(value, (cst.Tuple, cst.List)) and binding.index is not None:
        value = value.elements[binding.index].value
    return value is not None and is_literal(value, allow_strings=False)


def _target_node(statement: cst.CSTNode, name: str) -> cst.CSTNode:
    """The assignment itself when it binds one name, else that name's target."""
    if isinstance(statement, cst.Assign):
        if len(statement.targets) == 1 and isinstance(statement.targets[0].target, cst.Name):
            return statement
        for target in statement.targets:
            for node in _names(target.target):
                if node.value == name:
                    return node
    if isinstance(statement, cst.AnnAssign):
        return statement
    if isinstance(statement, cst.NamedExpr):
        return statement
    return statement


def _names(node: cst.CSTNode):
    if isinstance(node, cst.Name):
        yield node
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            yield from _names(element.value)
