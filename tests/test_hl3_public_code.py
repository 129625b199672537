"""HL3 false positives found by running the rules over public repositories, each reproduced
as a small case that must stay silent, next to the nearby case that must still be reported."""
from hyperlint.testing import lint


def hl3(code: str, path: str = "train.py") -> list[tuple[str, int]]:
    return [(f.code, f.start.row) for f in lint(code, ["HL301", "HL302", "HL303"], path=path)
            if f.code.startswith("HL3")]


# --- hyperparameter evolution / sweep drivers (ultralytics/yolov5 train.py --evolve) ----------

WHOLE_TRAINING = """\
import argparse
import yaml

def train(hyp, opt):
    for epoch in range(opt.epochs):
        for x, y in loader:
            loss = model(x)
            loss.backward()
            optimizer.step()
    return 0.0

opt = argparse.ArgumentParser().parse_args()
hyp = yaml.safe_load(open(opt.hyp))
"""


def test_evolution_loop_mutating_the_hyperparameters_before_each_run_is_silent():
    code = WHOLE_TRAINING + """\
for generation in range(opt.evolve):
    for k, v in meta.items():
        hyp[k] = max(hyp[k], v[1])
    hyp.update(best)
    results = train(hyp.copy(), opt)
"""
    assert hl3(code) == []


def test_epoch_loop_calling_a_one_epoch_function_is_still_training():
    code = """\
import argparse
import yaml

def train_one_epoch(hyp, opt):
    for x, y in loader:
        loss = model(x)
        loss.backward()
        optimizer.step()

opt = argparse.ArgumentParser().parse_args()
hyp = yaml.safe_load(open(opt.hyp))
for epoch in range(opt.epochs):
    hyp["lr"] *= 0.5
    train_one_epoch(hyp, opt)
"""
    assert hl3(code) == [("HL301", 13)]


def test_change_after_the_run_in_an_evolution_loop_is_still_reported():
    code = WHOLE_TRAINING + """\
for generation in range(opt.evolve):
    results = train(hyp, opt)
    hyp["lr"] *= 0.5
"""
    assert hl3(code) == [("HL301", 16)]


# --- a new configuration built after the training ran (wandb/examples notebooks) -------------

def test_config_built_after_the_training_call_is_a_new_object():
    code = """\
from argparse import Namespace
trainer.train()
config = {}
config["lr"] = 1e-10
config["nb_steps"] = 500
ckpt = torch.load(path)
opts = ckpt["opts"]
opts = Namespace(**opts)
opts.n_iters_per_batch = 5
"""
    assert hl3(code) == []


def test_config_built_before_the_training_call_is_still_reported_after_it():
    code = """\
import yaml
config = yaml.safe_load(open("c.yaml"))
trainer.train()
config["lr"] = 1e-10
"""
    assert hl3(code) == [("HL301", 4)]


def test_config_built_between_two_trainings_is_reported_after_the_second():
    code = """\
import yaml
trainer.train()
config = yaml.safe_load(open("c.yaml"))
model.fit(x, y, epochs=config["epochs"])
config["epochs"] = 3
"""
    assert hl3(code) == [("HL301", 5)]


# --- data preparation named like training (train_test_split, ddsp's fit_quantile_transform) ---

def test_data_preparation_calls_are_not_training_calls():
    code = """\
import yaml
from sklearn.model_selection import train_test_split
from ddsp.training.postprocessing import fit_quantile_transform
SONG_CFG = yaml.safe_load(open("song.yaml"))
X_train, X_test = train_test_split(X, test_size=SONG_CFG["test_size"])
_, loudness = fit_quantile_transform(features, mask, inv_quantile=stats)
SONG_CFG["n"] = len(X_train)
SONG_CFG["loudness"] = loudness
"""
    assert hl3(code) == []


def test_an_imported_training_function_is_still_a_training_call():
    code = """\
import yaml
from engine import train_model
cfg = yaml.safe_load(open("c.yaml"))
X_train, X_test = train_test_split(X, test_size=cfg["test_size"])
train_model(model, X_train, cfg)
cfg["n"] = len(X_train)
"""
    assert hl3(code) == [("HL301", 6)]


# --- inference switches of a model's config (huggingface/peft examples) -----------------------

def test_model_config_inference_switches_after_training_are_silent():
    code = """\
from transformers import Trainer
trainer = Trainer(model=model, args=training_args)
model.config.use_cache = False
trainer.train()
model.config.use_cache = True
model.config.output_hidden_states = True
output = model.generate(**batch)
"""
    assert hl3(code) == []


def test_model_config_hyperparameter_after_training_is_still_reported():
    code = """\
from transformers import Trainer
trainer = Trainer(model=model, args=training_args)
trainer.train()
model.config.hidden_dropout_prob = 0.0
model.config.use_cache = True
"""
    assert hl3(code) == [("HL301", 4)]


# --- LR range tests (Lightning's tuner/lr_finder.py, torch-lr-finder) -------------------------

def test_lr_finder_setting_and_applying_the_rate_is_silent():
    code = """\
import torch

class _LRFinder:
    def _exchange_scheduler(self, trainer):
        optimizer = trainer.strategy.optimizers[0]
        for param_group in optimizer.param_groups:
            param_group["lr"] = self.lr_min
            param_group["initial_lr"] = self.lr_min

def _lr_find(trainer, model, update_attr=True):
    lr = finder.suggestion()
    for opt in trainer.optimizers:
        for pg in opt.param_groups:
            pg["lr"] = lr
"""
    assert hl3(code) == []


def test_keras_learning_rate_finder_function_is_silent():
    # handson-ml3: set the minimum rate, fit with an exponentially growing rate, restore it
    code = """\
import tensorflow as tf

def find_learning_rate(model, X, y, epochs=1, min_rate=1e-4):
    init_lr = tf.keras.backend.get_value(model.optimizer.learning_rate)
    model.optimizer.learning_rate = min_rate
    history = model.fit(X, y, epochs=epochs, callbacks=[exp_lr])
    model.optimizer.learning_rate = init_lr
    return exp_lr.rates, exp_lr.losses

def restart(model):
    model.optimizer.learning_rate = 0.01
"""
    assert hl3(code) == [("HL302", 11)]


def test_hand_written_annealing_next_to_an_lr_finder_is_still_reported():
    code = """\
import torch

def lr_find(optimizer, lr):
    for pg in optimizer.param_groups:
        pg["lr"] = lr

def linear_annealing(optimizer, update, num_updates, initial_lr):
    lrnow = (1.0 - (update - 1.0) / num_updates) * initial_lr
    for pg in optimizer.param_groups:
        pg["lr"] = lrnow
"""
    assert hl3(code) == [("HL302", 10)]


# --- plain scheduler classes (Megatron's AnnealingLR in DeepSpeedExamples) ---------------------

def test_plain_scheduler_class_writing_the_rate_is_silent():
    code = """\
import math

class AnnealingLR(object):
    def __init__(self, optimizer, max_lr, warmup_iter, total_iters):
        self.optimizer = optimizer
        self.num_steps = 0

    def get_lr(self):
        return self.max_lr * min(1.0, self.num_steps / self.warmup_iter)

    def step(self, increment=1):
        self.num_steps += increment
        new_lr = self.get_lr()
        for group in self.optimizer.param_groups:
            group['lr'] = new_lr

class Warmup:
    def get_lr(self):
        return 0.1

    def step(self):
        for group in self.optimizer.param_groups:
            group['lr'] = self.get_lr()
"""
    assert hl3(code) == []


def test_class_that_only_steps_training_still_reports_a_hand_written_rate():
    code = """\
class Trainer(object):
    def step(self, batch):
        lr = self.base_lr * (0.1 ** (self.epoch // 30))
        for group in self.optimizer.param_groups:
            group['lr'] = lr
        self.optimizer.step()
"""
    assert hl3(code) == [("HL302", 5)]


# --- a loop over values inside the training loop is not a sweep (kohya-ss/sd-scripts) ---------

def test_config_set_from_an_inner_loop_of_the_training_loop_is_reported():
    code = """\
import argparse
args = argparse.ArgumentParser().parse_args()
for epoch in range(args.epochs):
    for batch in loader:
        loss = model(batch)
        loss.backward()
        optimizer.step()
    for timestep in validation_timesteps:
        args.min_timestep = args.max_timestep = timestep
        validate(model, args)
"""
    assert hl3(code) == [("HL301", 9)]


def test_sweep_over_models_outside_training_stays_silent():
    code = """\
import argparse
def run(args):
    for x in data:
        loss(x).backward()
        optimizer.step()
args = argparse.ArgumentParser().parse_args()
for name in ["resnet18", "resnet50"]:
    args.model = name
    run(args)
"""
    assert hl3(code) == []


# --- setup that only wraps or prepares (diffusers examples: jax.pmap, with_transform) --------

def test_wrapping_a_training_function_does_not_run_it():
    code = """\
import argparse
import jax

def train_step(state, batch):
    grads = jax.grad(loss_fn)(state.params, batch)
    return state.apply_gradients(grads=grads)

args = argparse.ArgumentParser().parse_args()
p_train_step = jax.pmap(train_step, "batch")
args.max_train_steps = args.num_train_epochs * steps_per_epoch
for epoch in range(args.num_train_epochs):
    for batch in loader:
        state = p_train_step(state, batch)
"""
    assert hl3(code) == []


def test_dataset_transform_with_augmentations_is_not_a_training_call():
    code = """\
import argparse
from torchvision import transforms

args = argparse.ArgumentParser().parse_args()
train_resize = transforms.Resize(args.resolution)
train_flip = transforms.RandomHorizontalFlip(p=1.0)

def preprocess_train(examples):
    images = [train_flip(train_resize(image)) for image in examples["image"]]
    return {"pixel_values": images}

train_dataset = dataset["train"].with_transform(preprocess_train)
args.max_train_steps = args.num_train_epochs * len(train_dataset)
"""
    assert hl3(code) == []


def test_running_a_training_function_through_a_call_is_still_a_training_call():
    code = """\
import argparse
import torch.multiprocessing as mp

def main_worker(gpu, args):
    for x in loader:
        loss = model(x)
        loss.backward()
        optimizer.step()

args = argparse.ArgumentParser().parse_args()
mp.spawn(main_worker, nprocs=4, args=(args,))
args.done = True
"""
    assert hl3(code) == [("HL301", 12)]


# --- filling in a missing default keeps the configured value (diffusers log_validation) ------

def test_default_fill_in_during_training_is_silent():
    code = """\
import argparse
args = argparse.ArgumentParser().parse_args()

def log_validation(pipeline, args):
    args.num_validation_images = args.num_validation_images if args.num_validation_images else 1
    args.validation_prompt = args.validation_prompt or "a photo"
    args.seed = 0 if args.seed is None else args.seed

for epoch in range(args.epochs):
    loss.backward()
    optimizer.step()
    log_validation(pipeline, args)
"""
    assert hl3(code) == []


def test_conditional_change_of_a_configured_value_is_still_reported():
    code = """\
import argparse
args = argparse.ArgumentParser().parse_args()
for epoch in range(args.epochs):
    loss.backward()
    optimizer.step()
    args.lr = args.lr * 0.1 if epoch in args.schedule else args.lr
    args.warmup = args.warmup or epoch
    args.lr = args.lr if epoch < 30 else args.lr / 10
    args.lr = args.lr if args.lr < 1e-5 else args.lr * 0.5
"""
    assert hl3(code) == [("HL301", 6), ("HL301", 8), ("HL301", 9)]
