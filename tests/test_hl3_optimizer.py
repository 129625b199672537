"""HL302: optimizer hyperparameters written by hand, in every form RULES.md names, anywhere
but an LR-scheduler (or optimizer) implementation; and the scheduler each suggested fix names."""
import pytest

from hyperlint.testing import lint


def findings(code: str, path: str = "train.py"):
    return [f for f in lint(code, ["HL3"], path=path) if f.code.startswith("HL3")]


def hl302(code: str) -> list[int]:
    return [f.start.row for f in findings(code) if f.code == "HL302"]


def suggestion(code: str) -> str:
    found = [f for f in findings(code) if f.code == "HL302"]
    assert len(found) == 1, found
    return found[0].fix.message


POSITIVE = {
    "loop over param_groups": "for g in optimizer.param_groups:\n    g['lr'] = lr\n",
    "enumerate param_groups": "for i, g in enumerate(opt.param_groups):\n    g['lr'] = lrs[i]\n",
    "indexed group": "optimizer.param_groups[0]['lr'] = new_lr\n",
    "augmented": "for group in self.optimizer.param_groups:\n    group['lr'] *= 0.1\n",
    "group update": "for group in optimizer.param_groups:\n    group.update(lr=new_lr)\n",
    "group bound by assignment": "pg = optimizer.param_groups[0]\npg['lr'] = 0.01\n",
    "comprehension": "[g.update({'lr': lr}) for g in optimizer.param_groups]\n",
    "Lightning trainer.optimizers": "for g in trainer.optimizers[0].param_groups:\n    g['lr'] = lr\n",
    "weight decay": "for g in optimizer.param_groups:\n    g['weight_decay'] = wd_schedule[it]\n",
    "momentum": "optimizer.param_groups[0]['momentum'] = m\n",
    "keras set_value": "import tensorflow as tf\ntf.keras.backend.set_value(model.optimizer.lr, 0.01)\n",
    "keras K alias": "from keras import backend as K\nK.set_value(self.model.optimizer.learning_rate, lr)\n",
    "keras attribute": "import tensorflow as tf\nself.model.optimizer.learning_rate = new_lr\n",
    "keras assign": "import tensorflow as tf\noptimizer = tf.keras.optimizers.SGD(0.1)\noptimizer.learning_rate.assign(0.01)\n",
    "keras lr assign_sub": "import tensorflow as tf\nmodel.optimizer.lr.assign(model.optimizer.lr * 0.5)\n",
    "optimizer defaults": "import torch\noptimizer = torch.optim.SGD(params, lr=0.1)\noptimizer.defaults['lr'] = 0.01\n",
}


@pytest.mark.parametrize("case", sorted(POSITIVE))
def test_reported(case):
    code = POSITIVE[case]
    rows = hl302(code)
    assert len(rows) == 1, (case, rows)
    assert rows[0] == code.count("\n")


NEGATIVE = {
    "read for logging": "for g in optimizer.param_groups:\n    print(g['lr'])\nlog(lr=optimizer.param_groups[0]['lr'])\n",
    "bookkeeping keys": "for g in optimizer.param_groups:\n    g.setdefault('initial_lr', g['lr'])\n"
                        "    g['initial_lr'] = g['lr']\n    g['params'] = kept\n",
    "dict named like a group": "group = {'params': p}\ngroup['lr'] = 0.1\nopt.add_param_group(group)\n",
    "checkpoint groups": "param_groups = opt.state_dict()['param_groups']\nfor g in param_groups:\n    g['lr'] = 0.1\n",
    "hand-written update rule variable": "import tensorflow as tf\nlr = tf.Variable(0.1)\nlr.assign(lr * 0.5)\n",
    "LazyConfig node named optimizer": "optimizer = model_zoo.get_config('common/optim.py').SGD\noptimizer.lr = 0.01\n",
    "config field named lr": "import argparse\nopt = argparse.ArgumentParser().parse_args()\nopt.lr = 0.01\n",
    "torch scheduler subclass": "from torch.optim.lr_scheduler import _LRScheduler\n"
                                "class Poly(_LRScheduler):\n    def step(self):\n"
                                "        for g in self.optimizer.param_groups:\n            g['lr'] = self.base * 0.5\n",
    "subclass of a scheduler subclass": "import torch\nclass A(torch.optim.lr_scheduler.LambdaLR):\n    pass\n"
                                        "class B(A):\n    def step(self):\n"
                                        "        self.optimizer.param_groups[0]['lr'] = 1.0\n",
    "plain scheduler class": "class WarmupScheduler:\n    def step(self):\n"
                             "        for g in self.optimizer.param_groups:\n            g['lr'] = self.lr()\n",
    "keras LearningRateSchedule": "import keras\nclass S(keras.optimizers.schedules.LearningRateSchedule):\n"
                                  "    def __call__(self, step):\n        self.optimizer.learning_rate = 0.1\n"
                                  "        return 0.1\n",
    "optimizer implementation": "import torch\nclass Lars(torch.optim.Optimizer):\n    def step(self):\n"
                                "        for g in self.param_groups:\n            g['lr'] = g['lr'] * trust\n",
    "optax hyperparams": "state.opt_state.hyperparams['learning_rate'] = 0.1\n",
}


@pytest.mark.parametrize("case", sorted(NEGATIVE))
def test_not_reported(case):
    assert hl302(NEGATIVE[case]) == []


def test_reported_anywhere_not_only_during_training():
    code = "def set_lr(optimizer, lr):\n    for g in optimizer.param_groups:\n        g['lr'] = lr\n"
    [finding] = findings(code)
    assert finding.code == "HL302"
    assert "outside an LR scheduler" in finding.message


def test_one_finding_per_statement():
    code = "import torch\nfor g in optimizer.param_groups:\n    g['lr'] = g['initial_lr'] = lr\n"
    assert hl302(code) == [3]


def test_test_files_are_skipped():
    code = "for g in opt.param_groups:\n    g['lr'] = 0.0\n"
    assert findings(code, path="tests/test_optim.py") == []
    assert findings(code, path="conftest.py") == []


# --- the scheduler each suggested fix names -----------------------------------------------------

def test_step_decay_suggests_steplr_with_its_numbers():
    code = """
def adjust_learning_rate(optimizer, epoch, args):
    lr = args.lr * (0.1 ** (epoch // 30))
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
"""
    text = suggestion(code)
    assert "StepLR(optimizer, step_size=30, gamma=0.1)" in text
    assert "scheduler.state_dict()" in text


def test_milestones_suggest_multisteplr():
    code = """
for epoch in range(args.epochs):
    if epoch in args.schedule:
        for g in optimizer.param_groups:
            g["lr"] *= args.gamma
    loss.backward()
    optimizer.step()
"""
    assert "MultiStepLR(optimizer, milestones=" in suggestion(code)


def test_warmup_then_cosine_suggests_sequentiallr_or_lambdalr_with_the_function():
    code = """
import math

def get_lr(it):
    if it < warmup_iters:
        return learning_rate * it / warmup_iters
    ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (learning_rate - min_lr)

while True:
    lr = get_lr(iter_num)
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
    loss.backward()
    optimizer.step()
"""
    text = suggestion(code)
    assert "SequentialLR" in text and "LinearLR" in text and "CosineAnnealingLR" in text
    assert "LambdaLR(optimizer, lr_lambda=lambda step: get_lr(step) / base_lr)" in text


def test_formula_of_the_step_suggests_lambdalr():
    code = """
for step in range(total_steps):
    optimizer.param_groups[0]["lr"] = base_lr * min(1.0, step / 1000) ** 0.5 * decay(step)
    loss.backward()
    optimizer.step()
"""
    assert "LambdaLR" in suggestion(code)


def test_plateau_suggests_reduce_on_plateau():
    code = """
for epoch in range(epochs):
    loss.backward()
    optimizer.step()
    if bad_epochs >= patience:
        for g in optimizer.param_groups:
            g["lr"] *= 0.5
"""
    assert "ReduceLROnPlateau" in suggestion(code)


def test_linear_annealing_suggests_linearlr():
    code = """
for iteration in range(1, num_iterations + 1):
    frac = 1.0 - (iteration - 1.0) / num_iterations
    optimizer.param_groups[0]["lr"] = frac * learning_rate
    loss.backward()
    optimizer.step()
"""
    assert "LinearLR" in suggestion(code)


def test_keras_suggests_learning_rate_scheduler_or_schedule():
    code = """
import tensorflow as tf

class Warmup(tf.keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        tf.keras.backend.set_value(self.model.optimizer.lr, self.base_lr * (epoch + 1) / 5)
"""
    text = suggestion(code)
    assert "LearningRateScheduler" in text and "LearningRateSchedule" in text


def test_lightning_hook_suggests_configure_optimizers():
    code = """
import pytorch_lightning as pl

class Net(pl.LightningModule):
    def on_train_epoch_start(self):
        for group in self.trainer.optimizers[0].param_groups:
            group["lr"] = self.hparams.lr / 10
"""
    assert "configure_optimizers" in suggestion(code)


def test_trainer_callback_suggests_trainer_optimizers():
    code = """
from transformers import TrainerCallback

class Scale(TrainerCallback):
    def on_epoch_begin(self, args, state, control, optimizer=None, **kwargs):
        for group in optimizer.param_groups:
            group["lr"] = group["lr"] * 0.5
"""
    assert "optimizers=(optimizer, scheduler)" in suggestion(code)


def test_other_hyperparameter_is_named():
    code = "for g in optimizer.param_groups:\n    g['weight_decay'] = wd\n"
    assert "`weight_decay`" in findings(code)[0].message
