"""HL1: hard-coded hyperparameters — positive and negative cases written as real code."""
import pytest

from hyperlint.testing import lint


def codes(source, select=("HL1",), **kwargs):
    return [(f.code, f.start.row) for f in lint(source, select, **kwargs)]


# --- HL101: literals in catalogued slots, through imports and aliases ------------------------

@pytest.mark.parametrize(
    "source",
    [
        "import torch\nopt = torch.optim.SGD(model.parameters(), lr=0.01)\n",
        "import torch.optim as optim\nopt = optim.SGD(model.parameters(), lr=0.01)\n",
        "from torch import optim\nopt = optim.SGD(model.parameters(), lr=0.01)\n",
        "from torch.optim import SGD\nopt = SGD(model.parameters(), lr=0.01)\n",
        "from torch.optim import SGD as Plain\nopt = Plain(model.parameters(), lr=0.01)\n",
        "import torch.optim as O\nopt = O.SGD(model.parameters(), 0.01)\n",  # positional
    ],
)
def test_hl101_resolves_torch_aliases(source):
    found = lint(source, ["HL101"])
    assert [(f.code, f.start.row) for f in found] == [("HL101", 2)]
    assert "`lr` of `torch.optim.SGD`" in found[0].message


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import tensorflow as tf\nopt = tf.keras.optimizers.Adam(learning_rate=1e-3)\n", "keras.optimizers.Adam"),
        ("from tensorflow import keras\nopt = keras.optimizers.Adam(1e-3)\n", "keras.optimizers.Adam"),
        ("import keras\ncb = keras.callbacks.EarlyStopping(patience=3)\n", "keras.callbacks.EarlyStopping"),
        ("from tensorflow.keras.optimizers import SGD\nopt = SGD(momentum=0.9)\n", "keras.optimizers.SGD"),
        ("import pytorch_lightning as pl\nt = pl.Trainer(max_epochs=30)\n", "lightning.pytorch.Trainer"),
        ("import lightning as L\nt = L.Trainer(max_epochs=30)\n", "lightning.pytorch.Trainer"),
        ("from lightning.pytorch.callbacks import EarlyStopping\ncb = EarlyStopping('val_loss', patience=5)\n",
         "lightning.pytorch.callbacks.EarlyStopping"),
        ("from sklearn.ensemble import GradientBoostingRegressor\nm = GradientBoostingRegressor(learning_rate=0.05)\n",
         "sklearn.ensemble.GradientBoostingClassifier"),
        ("import xgboost as xgb\nm = xgb.XGBRegressor(max_depth=6)\n", "xgboost.XGBClassifier"),
        ("from catboost import CatBoostClassifier\nm = CatBoostClassifier(1500, 0.05)\n", "catboost.CatBoostClassifier"),
        ("import optax\ntx = optax.adam(1e-3)\n", "optax.adam"),
        ("from transformers import get_linear_schedule_with_warmup as sched\ns = sched(opt, 0, total)\n",
         "transformers.get_linear_schedule_with_warmup"),
    ],
)
def test_hl101_resolves_framework_aliases(source, expected):
    found = lint(source, ["HL101"])
    assert found and all(f.code == "HL101" for f in found)
    assert expected in found[0].message


def test_hl101_reports_each_literal_at_the_literal():
    source = "import torch\nopt = torch.optim.Adam(p, lr=3e-4, betas=(0.9, 0.999), eps=1e-8)\n"
    found = lint(source, ["HL101"])
    assert [f.message.split("`")[1] for f in found] == ["lr", "betas", "eps"]
    line = source.splitlines()[1]
    assert line[found[0].start.column - 1 : found[0].end.column - 1] == "3e-4"
    assert line[found[1].start.column - 1 : found[1].end.column - 1] == "(0.9, 0.999)"


def test_hl101_categorical_string_slots():
    found = lint("from sklearn.svm import SVC\nclf = SVC(kernel='rbf', C=args.c)\n", ["HL101"])
    assert len(found) == 1 and "`kernel`" in found[0].message


@pytest.mark.parametrize(
    "source",
    [
        "import torch\nopt = torch.optim.SGD(model.parameters(), lr=args.lr)\n",
        "import torch\nopt = torch.optim.SGD(model.parameters(), lr=cfg.optim.lr, momentum=config['momentum'])\n",
        "import torch\ndef build(params, lr=1e-3):\n    return torch.optim.Adam(params, lr=lr)\n",
        "from torch.utils.data import DataLoader\nl = DataLoader(ds, batch_size=args.bs, num_workers=8, shuffle=True)\n",
        # search spaces
        "from sklearn.model_selection import GridSearchCV\nfrom sklearn.svm import SVC\n"
        "s = GridSearchCV(SVC(), {'C': [0.1, 1.0]}, cv=5)\n",
        "from sklearn.model_selection import RandomizedSearchCV\nfrom sklearn.ensemble import RandomForestClassifier\n"
        "s = RandomizedSearchCV(RandomForestClassifier(n_estimators=100), param_distributions=dist)\n",
        "import torch\ndef objective(trial):\n    return torch.optim.SGD(p, lr=trial.suggest_float('lr', 1e-4, 1e-1))\n",
        "from ray import tune\nfrom sklearn.svm import SVC\nspace = {'C': tune.loguniform(1e-3, 10)}\n",
        # CLI definitions
        "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=0.1)\n",
        "import click\n@click.command()\n@click.option('--lr', default=1e-3)\ndef main(lr):\n    pass\n",
        # run settings are not slots
        "import torch\nfrom torch.utils.data import DataLoader\nl = DataLoader(ds, batch_size=args.bs, num_workers=4, pin_memory=True)\n",
        # test files are skipped by default
    ],
)
def test_hl1_negatives(source):
    assert codes(source) == []


def test_test_files_are_skipped_by_default_and_configurable():
    source = "import torch\nopt = torch.optim.SGD(p, lr=0.1)\n"
    for path in ("test_train.py", "train_test.py", "tests/helpers.py", "conftest.py"):
        assert codes(source, path=path) == [], path
    assert codes(source, path="tests/helpers.py", options={"lint-tests": True}) == [("HL101", 2)]
    assert codes(source, path="checks/x.py", options={"test-file-patterns": ["checks/*"]}) == []


def test_user_slots_extend_the_catalogue():
    source = "import mylib\nmylib.train(model, 0.1, epochs=5, seed=1)\n"
    assert codes(source) == [("HL105", 2)]  # only the unmistakable keyword, without the slot
    options = {"hyperparameter-slots": {"mylib.train": {"lr": 1, "epochs": "kw"}}}
    found = lint(source, ["HL1"], options)
    assert [(f.code, f.message.split("`")[1]) for f in found] == [("HL101", "lr"), ("HL101", "epochs")]


# --- HL102: through variables, reported once at the assignment --------------------------------

def test_hl102_module_constants_report_once_naming_every_slot():
    source = (
        "import torch\n"
        "LR = 0.1\n"
        "opt_a = torch.optim.SGD(a.parameters(), lr=LR)\n"
        "opt_b = torch.optim.Adam(b.parameters(), lr=LR)\n"
    )
    found = lint(source, ["HL1"])
    assert [(f.code, f.start.row) for f in found] == [("HL102", 2)]
    assert "torch.optim.SGD" in found[0].message and "torch.optim.Adam" in found[0].message


def test_hl102_local_variables_and_chains():
    source = (
        "import torch\n"
        "def main():\n"
        "    base_lr = 0.1\n"
        "    lr = base_lr * 4\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
    )
    assert codes(source) == [("HL102", 3)]


def test_hl102_loop_count_and_slot_share_one_finding():
    source = (
        "from tensorflow import keras\n"
        "EPOCHS = 2\n"
        "for epoch in range(EPOCHS):\n"
        "    model.fit(x, y)\n"
        "model.fit(x, y, epochs=EPOCHS)\n"
    )
    found = lint(source, ["HL1"])
    assert [(f.code, f.start.row) for f in found] == [("HL102", 2)]
    assert "training loop" in found[0].message


@pytest.mark.parametrize(
    "source",
    [
        # configurator pattern: module globals overridden from outside
        "import torch\nlearning_rate = 6e-4\nexec(open('configurator.py').read())\n"
        "opt = torch.optim.AdamW(m.parameters(), lr=learning_rate)\n",
        "import torch\nlr = 0.1\nglobals().update(overrides)\nopt = torch.optim.SGD(p, lr=lr)\n",
        # the last binding before use comes from configuration
        "import torch\ndef main(args):\n    lr = 0.1\n    lr = args.lr\n    opt = torch.optim.SGD(p, lr=lr)\n",
        # a config dict bound to a config-like name
        "import torch\nconfig = {'lr': 0.1}\nopt = torch.optim.SGD(p, lr=config['lr'])\n",
        # an evaluation-only batch size cannot change training
        "from torch.utils.data import DataLoader\nEVAL_BATCH_SIZE = 32\nl = DataLoader(ds, batch_size=EVAL_BATCH_SIZE)\n",
        # run settings
        "import torch\nSEED = 0\nNUM_WORKERS = 8\ntorch.manual_seed(SEED)\nl = DataLoader(ds, num_workers=NUM_WORKERS)\n",
    ],
)
def test_hl102_negatives(source):
    assert codes(source) == []


# --- HL103: training-loop counts -------------------------------------------------------------

def test_hl103_through_a_same_file_function():
    source = (
        "def train_one_epoch(model, loader, opt):\n"
        "    for x, y in loader:\n"
        "        opt.zero_grad()\n"
        "        loss_fn(model(x), y).backward()\n"
        "        opt.step()\n"
        "\n"
        "def main():\n"
        "    for epoch in range(90):\n"
        "        train_one_epoch(model, loader, opt)\n"
    )
    assert codes(source) == [("HL103", 8)]


def test_hl103_ignores_loops_that_do_not_train_and_env_steps():
    source = (
        "for episode in range(100):\n"
        "    state, reward, done, _ = env.step(action)\n"
        "for i in range(10):\n"
        "    evaluate(model)\n"
        "for i in range(len(data)):\n"
        "    loss.backward()\n"
    )
    assert codes(source) == []


def test_hl103_rl_loop_training_through_agent_method():
    source = (
        "class Agent:\n"
        "    def learn(self):\n"
        "        loss = self.loss()\n"
        "        self.optimizer.zero_grad()\n"
        "        loss.backward()\n"
        "        self.optimizer.step()\n"
        "\n"
        "def main():\n"
        "    agent = Agent()\n"
        "    num_episodes = 600 if cuda else 50\n"
        "    for i_episode in range(num_episodes):\n"
        "        agent.learn()\n"
    )
    assert codes(source) == [("HL102", 10)]


# --- HL104: params dicts --------------------------------------------------------------------

def test_hl104_dict_literal_and_later_stores():
    source = (
        "import xgboost as xgb\n"
        "params = {'objective': 'binary:logistic', 'eval_metric': 'auc', 'eta': 0.03}\n"
        "params['max_depth'] = 6\n"
        "params['nthread'] = 4\n"
        "bst = xgb.train(params, dtrain, num_boost_round=args.rounds)\n"
    )
    found = lint(source, ["HL104"])
    assert [(f.start.row, f.message.split("`")[1]) for f in found] == [(2, "eta"), (3, "max_depth")]


def test_hl104_lightgbm_alias_and_config_names():
    assert codes("import lightgbm\nb = lightgbm.train({'num_leaves': 31}, ds)\n", ("HL104",)) == [("HL104", 2)]
    assert codes("import lightgbm as lgb\ncfg = {'num_leaves': 31}\nb = lgb.train(cfg, ds)\n", ("HL104",)) == []


# --- HL105: unmistakable keywords on unknown callees ------------------------------------------

def test_hl105_same_file_function_and_custom_optimizer():
    source = (
        "def fit(model, X, y, learning_rate=1e-3, epochs=10):\n"
        "    ...\n"
        "fit(model, X, y, learning_rate=5e-3, epochs=20)\n"
        "opt = MySGD(model.parameters(), lr=0.05)\n"
    )
    assert codes(source) == [("HL105", 3), ("HL105", 3), ("HL105", 4)]


@pytest.mark.parametrize(
    "source",
    [
        "cfg = TrainConfig(lr=1e-3, batch_size=64)\n",
        "hp = HParams(lr=1e-3)\n",
        "from types import SimpleNamespace\nargs = SimpleNamespace(lr=1e-3)\n",
        "from omegaconf import OmegaConf\ncfg = OmegaConf.create(dict(lr=1e-3))\n",
        "import dataclasses\nsmoke = dataclasses.replace(cfg, epochs=1, batch_size=8)\n",
        "parser.set_defaults(lr=0.1)\n",
        "ds = tfds.load('mnist', batch_size=-1)\n",
        "fit(model, X, y, learning_rate=None)\n",
        "export_onnx('model.onnx', batch_size=1)\n",
        "metric_logger.update(lr=0.0)\n",
        "tokenized = dataset.map(tokenize, batched=True, batch_size=1000)\n",
        "tracker = PerformanceTracker(world_size, warmup_steps=5)\n",
        "pbar.set_postfix(lr=0.1, loss=2.0)\n",
        "args = TrainingArguments('out', per_device_eval_batch_size=64, learning_rate=args.lr)\n",
        "preds = predict_proba(model, X, batch_size=4096)\n",
        "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.bn = nn.BatchNorm2d(64, momentum=0.01)\n",
    ],
)
def test_hl105_negatives(source):
    assert codes(source) == []


# --- HL106: architecture, off by default ------------------------------------------------------

def test_hl106_is_off_by_default_and_selectable():
    source = "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
             "        self.drop = nn.Dropout(0.25)\n"
    assert codes(source, ()) == []
    assert codes(source, ("HL1",)) == []  # a prefix does not turn on an off-by-default rule
    assert codes(source, ("HL106",)) == [("HL106", 5)]


# --- suggested fixes fit the file ---------------------------------------------------------

def test_suggestion_names_the_argparse_parser_and_namespace():
    source = (
        "import argparse, torch\n"
        "ap = argparse.ArgumentParser()\n"
        "ap.add_argument('--epochs', type=int, default=10)\n"
        "opts = ap.parse_args()\n"
        "opt = torch.optim.SGD(p, lr=0.1)\n"
        "for epoch in range(90):\n"
        "    opt.step()\n"
    )
    found = lint(source, ["HL1"])
    lr = next(f for f in found if "`lr`" in f.message)
    assert '`ap.add_argument("--lr", type=float, default=0.1)`' in lr.fix.message and "`opts.lr`" in lr.fix.message
    count = next(f for f in found if f.code == "HL103")
    assert "already defines `--epochs`" in count.fix.message and "`opts.epochs`" in count.fix.message


def test_suggestion_names_hydra_and_dataclass_configs():
    hydra = (
        "import hydra, torch\n"
        "@hydra.main(config_path='conf', config_name='train')\n"
        "def main(cfg):\n"
        "    opt = torch.optim.SGD(p, lr=0.1)\n"
    )
    assert "`cfg.lr`" in lint(hydra, ["HL101"])[0].fix.message
    dataclass = (
        "from dataclasses import dataclass\nimport torch\n"
        "@dataclass\nclass TrainConfig:\n    epochs: int = 10\n"
        "config = TrainConfig()\n"
        "opt = torch.optim.SGD(p, lr=0.1)\n"
    )
    message = lint(dataclass, ["HL101"])[0].fix.message
    assert "`lr: float = 0.1`" in message and "`TrainConfig`" in message and "`config.lr`" in message


def test_suggestion_without_config_proposes_one():
    found = lint("import torch\nLEARNING_RATE = 1e-3\nopt = torch.optim.Adam(p, lr=LEARNING_RATE)\n", ["HL1"])
    assert "Move `LEARNING_RATE` into a config" in found[0].fix.message


def test_hl102_binding_in_a_sibling_branch_does_not_reach_the_use():
    source = (
        "import torch\n"
        "def make(params, weight_decay, layer_decay=None):\n"
        "    if layer_decay is not None:\n"
        "        groups = scale(params, weight_decay=weight_decay)\n"
        "        weight_decay = 0.\n"
        "    else:\n"
        "        groups = decay(params, weight_decay=weight_decay)\n"
        "    return torch.optim.AdamW(groups, weight_decay=weight_decay)\n"
    )
    # the `else` branch and the call after the `if` see the parameter (or both branches): not hard-coded
    assert [f for f in lint(source, ["HL1"]) if f.start.row == 7] == []
    nested = (
        "import torch\n"
        "def main():\n"
        "    lr = 0.1\n"
        "    if warm:\n"
        "        lr = 0.01\n"
        "    opt = torch.optim.SGD(p, lr=lr)\n"
    )
    assert [(f.code, f.start.row) for f in lint(nested, ["HL1"])] == [("HL102", 3)]
