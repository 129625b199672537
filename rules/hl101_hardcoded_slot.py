"""HL101: a literal in a catalogued hyperparameter slot."""
from __future__ import annotations

import libcst as cst

from hyperlint.rule import Invalid, Rule, Valid
from hyperlint.rules._config_fix import plan_fixes
from hyperlint.rules._hyperparameters import (
    drop_evaluation_batch_sizes,
    exempt_context,
    is_literal,
    report_literal_slots,
    slot_arguments,
)


class HardcodedHyperparameter(Rule):
    """
    ## What it does
    Finds a literal value written into a hyperparameter argument of a known ML API:
    `torch.optim.SGD(params, lr=0.01)`, `StepLR(opt, step_size=30, gamma=0.1)`,
    `RandomForestClassifier(n_estimators=400)`, `TrainingArguments(learning_rate=2e-5)`,
    `keras.optimizers.Adam(1e-3)`. The catalogue of slots covers PyTorch, Lightning, Keras,
    scikit-learn, XGBoost, LightGBM, CatBoost, Hugging Face and optax, through imports and
    aliases (`tf.keras`, `pytorch_lightning`, `*Regressor` twins); add your own under
    `[tool.hyperlint.hyperparameter-slots]`.

    ## Why is this bad?
    A hyperparameter written into the training code cannot be swept or overridden without
    editing the code, and it is not recorded with the run: two runs of the same script with
    different values look identical in the experiment tracker.

    ## Example
    ```python
    import argparse
    import torch

    parser = argparse.ArgumentParser()
    args = parser.parse_args()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    ```

    ## Use instead
    ```python
    import argparse
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    ```

    ## Fix safety
    The suggested fix names the configuration the file already has (argparse parser, Hydra
    config, dataclass config) or proposes one. `hyperlint extract-config` (or `--fix
    --unsafe-fixes`) moves the value into that configuration; that changes the script's
    interface, so it is an unsafe fix.
    """

    code = "HL101"
    name = "hardcoded-hyperparameter"
    fix_planner = staticmethod(plan_fixes)

    VALID = [
        "import torch\noptimizer = torch.optim.SGD(model.parameters(), lr=args.lr)\n",
        "from torch.optim import Adam\ndef make(params, lr=1e-3):\n    return Adam(params, lr=lr)\n",
        "import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument('--lr', type=float, default=0.01)\n",
        "from sklearn.model_selection import GridSearchCV\nfrom sklearn.svm import SVC\n"
        "search = GridSearchCV(SVC(), param_grid={'C': [0.1, 1, 10], 'kernel': ['rbf']})\n",
        "def objective(trial):\n    import torch\n"
        "    return torch.optim.Adam(params, lr=trial.suggest_float('lr', 1e-5, 1e-1, log=True))\n",
        "from torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=cfg.batch_size, num_workers=4, shuffle=True)\n",
        Valid("import torch\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n", path="tests/test_train.py"),
    ]
    INVALID = [
        "import torch\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n",
        "from torch import optim\nopt = optim.Adam(model.parameters(), 3e-4, betas=(0.9, 0.999))\n",
        "from torch.optim import AdamW as W\nopt = W(model.parameters(), lr=1e-3 * 8)\n",
        "import tensorflow as tf\nopt = tf.keras.optimizers.Adam(0.0002, 0.5)\n",
        "from sklearn.ensemble import RandomForestRegressor as RFR\nm = RFR(n_estimators=400, max_features=0.5)\n",
        "from sklearn.svm import SVC\nclf = SVC(kernel='rbf', C=10.0)\n",
        "import pytorch_lightning as pl\ntrainer = pl.Trainer(max_epochs=30, gradient_clip_val=1.0)\n",
        "from transformers import TrainingArguments\nargs = TrainingArguments('out', learning_rate=2e-5, lr_scheduler_type='cosine')\n",
        "import torch\ntorch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n",
        Invalid(
            "import argparse\nimport torch\nparser = argparse.ArgumentParser()\nargs = parser.parse_args()\n"
            "opt = torch.optim.SGD(params, lr=0.01)\n",
            fixed="import argparse\nimport torch\nparser = argparse.ArgumentParser()\n"
            'parser.add_argument("--lr", type=float, default=0.01, help="lr of torch.optim.SGD")\n'
            "args = parser.parse_args()\nopt = torch.optim.SGD(params, lr=args.lr)\n",
            unsafe=True,
        ),
        Invalid(
            "import mylib\nmylib.train(model, 0.1, epochs=5)\n",
            settings={"hyperparameter-slots": {"mylib.train": {"lr": 1, "epochs": "kw"}}},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        slots = [s for s in slot_arguments(self.ctx, node) if s.kind == "catalogue"]
        if not slots:
            return
        literal = [s for s in slots if is_literal(s.argument.value) and not _is_none(s.argument.value)]
        if not literal or exempt_context(self.ctx, self.ctx.stack):
            return
        literal = drop_evaluation_batch_sizes(self.ctx, node, literal)
        if literal:
            report_literal_slots(self, node, literal)


def _is_none(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
