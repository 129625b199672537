"""HL301 on every kind of configuration object RULES.md lists: a change inside a training
loop is reported, the same change at setup is not."""
import pytest

from hyperlint.testing import lint


def hl3(code: str, options: dict | None = None, path: str = "train.py") -> list[tuple[str, int]]:
    return [(f.code, f.start.row) for f in lint(code, ["HL3"], options, path) if f.code.startswith("HL3")]


TRAIN_LOOP = """
for epoch in range(10):
    loss = model(x).sum()
    loss.backward()
    optimizer.step()
"""

# (setup that creates the configuration, the statement that changes it)
KINDS = {
    "argparse": ("import argparse\nparser = argparse.ArgumentParser()\nopt = parser.parse_args()\n", "opt.lr *= 0.1"),
    "parse_known_args": ("import argparse\nparser = argparse.ArgumentParser()\nargs, _ = parser.parse_known_args()\n",
                         "args.lr = args.lr / 2"),
    "parse_known_args[0]": ("import argparse\nparser = argparse.ArgumentParser()\nopt = parser.parse_known_args()[0]\n",
                            "opt.lr = 0.5"),
    "helper parse_args": ("import argparse\n\ndef parse_args():\n    p = argparse.ArgumentParser()\n"
                          "    args = p.parse_args()\n    return args\n\nsettings_ = parse_args()\n",
                          "settings_.lr = 0.5"),
    "absl FLAGS": ("from absl import flags\nFLAGS = flags.FLAGS\n", "FLAGS.learning_rate = 0.01"),
    "hydra compose": ("from hydra import compose\nc = compose(config_name='train')\n", "c.optim.lr = 0.01"),
    "OmegaConf.load": ("from omegaconf import OmegaConf\nc = OmegaConf.load('c.yaml')\n", "c['optim']['lr'] = 0.01"),
    "OmegaConf.merge": ("from omegaconf import OmegaConf\nc = OmegaConf.merge(a, b)\n",
                        "OmegaConf.update(c, 'optim.lr', 0.01)"),
    "ConfigDict": ("import ml_collections\nc = ml_collections.ConfigDict()\n", "c.learning_rate = 0.01"),
    "yaml": ("import yaml\nwith open('c.yaml') as f:\n    c = yaml.safe_load(f)\n", "c['lr'] /= 2"),
    "json": ("import json\nc = json.load(open('c.json'))\n", "c.update({'lr': 0.01})"),
    "toml": ("import tomllib\nc = tomllib.load(open('c.toml', 'rb'))\n", "del c['warmup']"),
    "dataclass": ("from dataclasses import dataclass\n@dataclass\nclass TrainConfig:\n    lr: float = 0.1\n"
                  "c = TrainConfig()\n", "setattr(c, 'lr', 0.01)"),
    "HfArgumentParser": ("from transformers import HfArgumentParser, TrainingArguments\n"
                         "parser = HfArgumentParser((ModelArguments, TrainingArguments))\n"
                         "model_args, training_args = parser.parse_args_into_dataclasses()\n",
                         "training_args.learning_rate = 1e-5"),
    "TrainingArguments": ("from transformers import TrainingArguments\nta = TrainingArguments('out')\n",
                          "ta.num_train_epochs = 1"),
    "model.config": ("from transformers import AutoModel\nmodel = AutoModel.from_pretrained('bert')\n",
                     "model.config.dropout = 0.2"),
    "vars(args)": ("import argparse\nargs = argparse.ArgumentParser().parse_args()\n", "vars(args).update(lr=0.1)"),
    "tyro": ("import tyro\nc = tyro.cli(Args)\n", "c.lr = 0.1"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_change_in_training_loop_is_reported(kind):
    setup, change = KINDS[kind]
    code = setup + TRAIN_LOOP.replace("optimizer.step()\n", f"optimizer.step()\n    {change}\n", 1)
    row = code.splitlines().index(f"    {change}") + 1
    assert hl3(code) == [("HL301", row)]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_same_change_at_setup_is_silent(kind):
    setup, change = KINDS[kind]
    assert hl3(setup + change + "\n" + TRAIN_LOOP) == []


def test_hydra_main_parameter_changed_in_loop():
    code = """
        import hydra
        from omegaconf import DictConfig

        @hydra.main(config_path="conf", config_name="train", version_base="1.3")
        def main(cfg):
            cfg.run.output_dir = "out"
            for epoch in range(cfg.epochs):
                loss = model(x).sum()
                loss.backward()
                optimizer.step()
                cfg.train.resume_from = "best.pt"
        """
    assert hl3(code) == [("HL301", 12)]


def test_lightning_hparams_in_training_step_but_not_in_init():
    code = """
        import lightning as L

        class Net(L.LightningModule):
            def __init__(self, lr=1e-3):
                super().__init__()
                self.save_hyperparameters()
                self.hparams.lr = lr * 2

            def training_step(self, batch, batch_idx):
                self.hparams.step_seen = batch_idx
                return self(batch).sum()

            def configure_optimizers(self):
                self.hparams.lr = self.hparams.lr / 10
                return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        """
    assert hl3(code) == [("HL301", 11)]


def test_user_configured_names_and_classes():
    code = """
        for epoch in range(10):
            loss.backward()
            optimizer.step()
            knobs.lr = 0.1
            exp.momentum = 0.8
        exp = Experiment()
        """
    assert hl3(code) == []
    options = {"config-names": ["knobs"], "config-classes": ["Experiment"]}
    assert [row for _, row in hl3(code, options)] == [5, 6]


def test_attribute_holding_config_passed_to_a_callback_class():
    code = """
        import json
        import xgboost as xgb

        class Decay(xgb.callback.TrainingCallback):
            def __init__(self, params, factor):
                self.params = params
                self.factor = factor
                self.history = []

            def after_iteration(self, model, epoch, evals_log):
                self.params["eta"] = self.params["eta"] * self.factor
                self.history.append(self.params["eta"])
                return False

        cfg = json.load(open("c.json"))
        booster = xgb.train(cfg["params"], dtrain, callbacks=[Decay(cfg["params"], 0.9)])
        """
    assert hl3(code) == [("HL301", 12)]


def test_attribute_of_non_config_constructor_argument_is_silent():
    code = """
        import xgboost as xgb

        class Track(xgb.callback.TrainingCallback):
            def __init__(self, store):
                self.store = store

            def after_iteration(self, model, epoch, evals_log):
                self.store["last"] = epoch
                return False

        booster = xgb.train(params, dtrain, callbacks=[Track({})])
        """
    assert hl3(code) == []


def test_local_copy_and_value_copies_are_not_the_configuration():
    code = """
        import yaml
        cfg = yaml.safe_load(open("c.yaml"))
        lr = cfg["lr"]
        for fold in range(5):
            fold_params = dict(cfg["lgb"])
            fold_params["seed"] = fold
            model.fit(x, y)
            lr /= 4
            metrics = {}
            metrics["fold"] = fold
        """
    assert hl3(code) == []


def test_consuming_a_loaded_dict_with_pop_is_not_reported():
    code = """
        import json

        def load_model(path):
            config_dict = json.load(open(path))
            name = config_dict.pop("name")
            return build(name, **config_dict)

        for epoch in range(10):
            loss.backward()
            optimizer.step()
            net = load_model("ckpt.json")
        """
    assert hl3(code) == []


def test_reading_the_configuration_is_silent():
    code = """
        import argparse
        args = argparse.ArgumentParser().parse_args()
        for epoch in range(args.epochs):
            lr = args.lr * 0.1 ** (epoch // 30)
            loss.backward()
            optimizer.step()
            print(args.lr, vars(args))
        """
    assert hl3(code) == []


def test_test_files_are_skipped():
    code = "import argparse\nargs = argparse.ArgumentParser().parse_args()\n" + TRAIN_LOOP.replace(
        "optimizer.step()\n", "optimizer.step()\n    args.lr = 0.1\n")
    assert hl3(code, path="tests/test_train.py") == []
    assert hl3(code, path="test_train.py") == []
    assert hl3(code) == [("HL301", 8)]


def test_star_args_are_not_a_configuration():
    code = """
def step(*args, **kwargs):
    args = list(args)
    kwargs["lr"] = 0.1
    return args

for epoch in range(10):
    loss.backward()
    optimizer.step()
    step(1, 2)
"""
    assert hl3(code) == []


def test_configuration_built_during_training_is_a_fresh_object():
    code = """
import copy
import yaml
from omegaconf import OmegaConf

cfg = yaml.safe_load(open("c.yaml"))
alias = cfg["eval"]

def evaluate_with(cfg):
    eval_cfg = OmegaConf.create({"batch_size": 1})
    eval_cfg.batch_size = 2
    cfg["last_eval"] = 1

for epoch in range(10):
    loss.backward()
    optimizer.step()
    run_config = copy.deepcopy(cfg)
    run_config["epoch"] = epoch
    alias["batch_size"] = 1
    evaluate_with(cfg)
"""
    assert hl3(code) == [("HL301", 12), ("HL301", 19)]


def test_config_attribute_of_an_environment_is_not_the_run_configuration():
    code = """
import gymnasium as gym
from transformers import AutoModel

env = gym.make("highway-v0")
model = AutoModel.from_pretrained("bert")
for episode in range(100):
    loss.backward()
    optimizer.step()
    env.config["vehicles_count"] += 1
    model.config.use_cache = True
    self.model.config.output_hidden_states = True
"""
    assert hl3(code) == [("HL301", 11), ("HL301", 12)]
