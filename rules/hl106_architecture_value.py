"""HL106 (off by default): literal architecture values in model definitions."""
from __future__ import annotations

import libcst as cst

from hyperlint.facts.config_sources import suggestion
from hyperlint.rule import Rule
from hyperlint.rules._hyperparameters import (
    describe_slot,
    exempt_context,
    in_model_definition,
    is_literal,
    keyword_value_acceptable,
    literal_text,
    slot_arguments,
)


class HardcodedArchitectureValue(Rule):
    """
    ## What it does
    Finds literal values in hyperparameter slots of layer constructors — dropout rates
    (`nn.Dropout(0.25)`, `keras.layers.Dropout(0.5)`, `nn.LSTM(..., dropout=0.2)`), batch-norm
    momentum, regularisation strengths — and hyperparameter keywords given to layers inside a
    model definition (an `nn.Module`/`keras.Layer`/Lightning module's constructor or forward, or
    a model-building function).

    This rule is **off by default**: many teams treat a model's architecture as code, not
    configuration. Enable it with `--extend-select HL106` when architecture is swept.

    ## Why is this bad?
    When architecture values are part of the experiment (a dropout sweep, a regularisation
    study), hard-coding them hides them from the sweep and from the run's record.

    ## Example
    ```python
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.dropout = nn.Dropout(0.25)
    ```

    ## Use instead
    ```python
    class Net(nn.Module):
        def __init__(self, dropout: float):
            super().__init__()
            self.dropout = nn.Dropout(dropout)
    ```

    ## Fix safety
    The suggested fix is to make the value a constructor parameter fed from configuration.
    There is no automatic fix.
    """

    code = "HL106"
    name = "hardcoded-architecture-value"
    enabled_by_default = False

    VALID = [
        "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self, p):\n        super().__init__()\n"
        "        self.drop = nn.Dropout(p)\n",
        "import torch.nn as nn\nlayer = nn.Linear(128, 10)\n",
    ]
    INVALID = [
        "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.drop = nn.Dropout(0.25)\n",
        "from tensorflow import keras\ndef build_model():\n    return keras.Sequential([keras.layers.Dropout(0.5)])\n",
        "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.bn = nn.BatchNorm2d(64, momentum=0.01)\n",
    ]

    def visit_Call(self, node: cst.Call) -> None:
        slots = slot_arguments(self.ctx, node)
        if not slots:
            return
        chosen = [s for s in slots if s.kind == "architecture"]
        keyword = [s for s in slots if s.kind == "keyword"]
        if keyword and in_model_definition(self.ctx, self.ctx.stack):
            chosen += keyword
        chosen = [
            s for s in chosen
            if is_literal(s.argument.value) and not isinstance(s.argument.value, cst.Name) and keyword_value_acceptable(s)
        ]
        if not chosen or exempt_context(self.ctx, self.ctx.stack):
            return
        for slot in chosen:
            value = literal_text(self.ctx, slot.argument.value)
            self.report(
                slot.argument.value,
                f"Hard-coded architecture value: {describe_slot(slot)} is `{value}`",
                suggestion(self.ctx, slot.slot, value)
                + " Or make it a parameter of the model's constructor, fed from that configuration.",
            )
