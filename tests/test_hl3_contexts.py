"""Every "during training" context RULES.md names, each with a case that is reported and one
that is not: training loops (directly and through same-file calls), functions called from
them, Lightning / Keras / Hugging Face / XGBoost / LightGBM hooks, and code after the first
training call."""
from hyperlint.testing import lint


def hl301(code: str) -> list[int]:
    return [f.start.row for f in lint(code, ["HL301"]) if f.code == "HL301"]


def messages(code: str) -> list[str]:
    return [f.message for f in lint(code, ["HL301"]) if f.code == "HL301"]


ARGS = "import argparse\nargs = argparse.ArgumentParser().parse_args()\n"


# --- training loops ---------------------------------------------------------------------------

def test_loop_with_a_training_step():
    code = ARGS + """
for epoch in range(args.epochs):
    args.seen = epoch
    loss.backward()
    optimizer.step()
"""
    assert hl301(code) == [5]
    assert "inside a training loop" in messages(code)[0]


def test_loop_without_a_training_step_is_not_training():
    code = ARGS + """
for path in args.files:
    args.current = path
    evaluate(model, path)
"""
    assert hl301(code) == []


def test_loop_training_through_a_same_file_function():
    code = ARGS + """
def train_one_epoch(model, loader):
    for x, y in loader:
        loss_fn(model(x), y).backward()
        optimizer.step()

for epoch in range(args.epochs):
    train_one_epoch(model, loader)
    args.last_epoch = epoch
"""
    assert hl301(code) == [11]


def test_function_called_from_a_training_loop():
    code = ARGS + """
def bump(args):
    args.lr = args.lr * 0.5

def untouched(args):
    args.lr = args.lr * 0.5

for epoch in range(args.epochs):
    loss.backward()
    optimizer.step()
    bump(args)
"""
    assert hl301(code) == [5]
    assert "in `bump`, which runs from a training loop" in messages(code)[0]


def test_method_of_another_object_sharing_a_function_name_is_not_a_call_of_it():
    code = ARGS + """
def run(args):
    args.name = "x"

for epoch in range(args.epochs):
    loss.backward()
    optimizer.step()
    callbacks.run("on_epoch_end")
"""
    assert hl301(code) == []


# --- after the first training call ------------------------------------------------------------

def test_after_fit_in_straight_line_code():
    code = """
import yaml
cfg = yaml.safe_load(open("c.yaml"))
cfg["n_estimators"] = 100
model.fit(x, y)
cfg["refit"] = True
"""
    assert hl301(code) == [6]
    assert "after the training call `model.fit(x, y)`" in messages(code)[0]


def test_after_trainer_train_then_training_again():
    code = """
from transformers import Trainer, TrainingArguments
training_args = TrainingArguments("out", learning_rate=2e-5)
trainer = Trainer(model=model, args=training_args)
trainer.train()
training_args.learning_rate = training_args.learning_rate / 4
trainer.train()
"""
    assert hl301(code) == [6]


def test_after_a_same_file_training_function():
    code = ARGS + """
def train(model, args):
    for epoch in range(args.epochs):
        loss.backward()
        optimizer.step()

def main():
    args.device = "cuda"
    train(model, args)
    args.lr = args.finetune_lr
    train(model, args)
"""
    assert hl301(code) == [12]


def test_defining_a_function_after_training_runs_nothing():
    code = ARGS + """
def train(model):
    loss.backward()
    optimizer.step()

args.output_dir = "runs"

def later():
    args.tag = "x"
"""
    assert hl301(code) == []


def test_other_branch_of_an_if_is_not_after():
    code = ARGS + """
if args.do_train:
    model.fit(x, y)
else:
    args.mode = "eval"
"""
    assert hl301(code) == []


# --- Lightning --------------------------------------------------------------------------------

LIGHTNING = """
import pytorch_lightning as pl

class Net(pl.LightningModule):
    def __init__(self, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()

    def {hook}(self, *args):
        self.hparams.lr = self.hparams.lr * 0.5
"""


def test_lightning_training_hooks():
    for hook in ("training_step", "on_train_epoch_start", "on_train_batch_end", "on_validation_epoch_end",
                 "on_before_optimizer_step"):
        assert hl301(LIGHTNING.format(hook=hook)) == [10], hook


def test_lightning_non_training_methods():
    for hook in ("setup", "configure_optimizers", "forward", "predict_step", "on_fit_start"):
        assert hl301(LIGHTNING.format(hook=hook)) == [], hook


def test_lightning_callback_hook_and_helper_it_calls():
    code = """
from lightning.pytorch.callbacks import Callback

class Unfreeze(Callback):
    def on_train_epoch_start(self, trainer, pl_module):
        self._adjust(pl_module)

    def _adjust(self, pl_module):
        pl_module.hparams.unfrozen = True

    def state_dict(self):
        return {}
"""
    assert hl301(code) == [9]
    assert "runs from the training hook `on_train_epoch_start`" in messages(code)[0]


# --- Keras ------------------------------------------------------------------------------------

KERAS = """
import tensorflow as tf

class Track(tf.keras.callbacks.Callback):
    def __init__(self, config):
        super().__init__()
        self.config = config

    def {hook}(self, *args, logs=None):
        self.config["seen"] = 1
"""


def test_keras_callback_hooks():
    for hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_batch_end", "on_test_batch_end"):
        assert hl301(KERAS.format(hook=hook)) == [10], hook


def test_keras_callback_other_methods():
    for hook in ("set_model", "get_config", "on_predict_begin"):
        assert hl301(KERAS.format(hook=hook)) == [], hook


# --- MMEngine / MMCV --------------------------------------------------------------------------

MMENGINE = """
from mmengine.hooks import Hook

class Progressive(Hook):
    def __init__(self, config):
        self.config = config

    def {hook}(self, runner, *args):
        if runner.epoch == 5:
            self.config["batch_size"] = 64
"""


def test_mmengine_hooks_in_the_runners_training_loop():
    for hook in ("before_train_epoch", "after_train_iter", "after_epoch", "before_iter"):
        assert hl301(MMENGINE.format(hook=hook)) == [10], hook
    assert "MMEngine hook `before_train_epoch`" in messages(MMENGINE.format(hook="before_train_epoch"))[0]


def test_mmengine_hook_set_up_before_training_and_other_hook_classes():
    for hook in ("before_train", "before_run", "after_val_epoch"):
        assert hl301(MMENGINE.format(hook=hook)) == [], hook
    unrelated = MMENGINE.format(hook="before_train_epoch").replace("from mmengine.hooks import Hook", "from .base import Hook")
    assert hl301(unrelated) == []
    mmcv = MMENGINE.format(hook="after_train_iter").replace("from mmengine.hooks import Hook", "from mmcv.runner import Hook")
    assert hl301(mmcv) == [10]


# --- Hugging Face -----------------------------------------------------------------------------

def test_trainer_callback_changes_args_but_may_change_control():
    code = """
from transformers import TrainerCallback

class Halve(TrainerCallback):
    def on_epoch_end(self, args, state, control, **kwargs):
        args.learning_rate = args.learning_rate / 2
        control.should_save = True
        state.best_metric = 0.0
"""
    assert hl301(code) == [6]
    assert "TrainerCallback hook `on_epoch_end`" in messages(code)[0]


def test_method_named_like_a_hook_on_a_plain_class_is_not_a_hook():
    code = ARGS + """
class Report:
    def on_epoch_end(self, args):
        args.reported = True
"""
    assert hl301(code) == []


# --- XGBoost / LightGBM -----------------------------------------------------------------------

def test_xgboost_after_iteration():
    code = """
import xgboost as xgb

class Shrink(xgb.callback.TrainingCallback):
    def __init__(self, cfg):
        self.cfg = cfg

    def after_iteration(self, model, epoch, evals_log):
        self.cfg["eta"] *= 0.99
        return False

    def before_training(self, model):
        self.cfg["started"] = True
        return model
"""
    assert hl301(code) == [9]


def test_lightgbm_callback_function_and_factory():
    code = """
import lightgbm as lgb
import yaml

cfg = yaml.safe_load(open("c.yaml"))

def record(env):
    cfg["last_iteration"] = env.iteration

def track_best(cfg):
    cfg["tracking"] = True
    def _callback(env):
        cfg["best"] = env.iteration
    return _callback

def unused(env):
    cfg["never"] = env.iteration

booster = lgb.train(cfg["params"], train_set, callbacks=[record, track_best(cfg)])
"""
    assert hl301(code) == [8, 13]


def test_callback_list_built_in_a_variable():
    code = """
import lightgbm as lgb
import yaml

cfg = yaml.safe_load(open("c.yaml"))

def record(env):
    cfg["last_iteration"] = env.iteration

callbacks = [lgb.log_evaluation(10), record]
model = lgb.LGBMRegressor(**cfg["model"])
model.fit(x, y, callbacks=callbacks)
"""
    assert hl301(code) == [8]


# --- a whole run called from a loop (seeds, folds, a sweep) -------------------------------------

def test_setup_of_a_run_called_per_seed_is_not_during_training():
    code = ARGS + """
def train_one_epoch(model, loader):
    for x, y in loader:
        loss_fn(model(x), y).backward()
        optimizer.step()

def main(args, seed):
    args.seed = seed
    args.output_dir = f"runs/{seed}"
    for epoch in range(args.epochs):
        train_one_epoch(model, loader)
        args.last_epoch = epoch
    args.finished = True

for seed in range(3):
    main(args, seed)
"""
    assert hl301(code) == [14, 15]


def test_epoch_function_called_from_the_epoch_loop_is_during_training():
    code = ARGS + """
def train(epoch):
    if epoch in args.schedule:
        args.lr *= args.gamma
    for x, y in loader:
        loss_fn(model(x), y).backward()
        optimizer.step()

for epoch in range(args.epochs):
    train(epoch)
"""
    assert hl301(code) == [6]


def test_setup_before_fit_in_a_function_called_per_fold():
    code = """
import yaml

def run_fold(cfg, fold):
    cfg["seed"] = fold
    model.fit(x[fold], y[fold])
    cfg["best_iteration"] = model.best_iteration_

cfg = yaml.safe_load(open("c.yaml"))
for fold in range(5):
    run_fold(cfg, fold)
"""
    assert hl301(code) == [7]


def test_trainer_subclass_training_step_and_keras_model_train_step():
    code = """
import tensorflow as tf
from transformers import Trainer

class MyTrainer(Trainer):
    def training_step(self, model, inputs, num_items_in_batch=None):
        self.args.seen_steps = 1
        return super().training_step(model, inputs)

    def create_optimizer(self):
        self.args.learning_rate = self.args.learning_rate * 2
        return super().create_optimizer()

class Net(tf.keras.Model):
    def train_step(self, data):
        self.cfg["steps"] = 1
        return {}

    def call(self, x):
        self.cfg["calls"] = 1
        return x
"""
    assert hl301(code) == [7, 16]


def test_fitting_a_preprocessor_is_not_training():
    code = """
import yaml
from sklearn.preprocessing import StandardScaler

cfg = yaml.safe_load(open("c.yaml"))
scaler = StandardScaler()
scaler.fit(x_train)
label_encoder.fit(y_train)
enc = OneHotEncoder().fit(cats)
cfg["input_dim"] = x_train.shape[1]
autoencoder.fit(x_train, x_train)
cfg["trained"] = True
"""
    assert hl301(code) == [12]
