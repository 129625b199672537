"""Before/after for each configuration shape `extract-config` (and `check --fix --unsafe-fixes`)
writes into: argparse, a config class, a config dict, none (a new frozen dataclass), and module
constants; with name clashes and literals used more than once. Each fixed text is also checked to
be stable (a second run changes nothing), to leave no HL1 finding it claimed, and to be untouched
by plain --fix."""
from __future__ import annotations

from hyperlint.finding import Applicability
from hyperlint.testing import fix, lint


def moved(before: str) -> str:
    after = fix(before, ["HL1"], unsafe=True)
    assert fix(after, ["HL1"], unsafe=True) == after, "a second run changed the file"
    assert fix(before, ["HL1"], unsafe=False) == before, "plain --fix applied an unsafe fix"
    claimed = [f for f in lint(before, ["HL1"]) if f.fix and f.fix.edits]
    assert all(f.fix.applicability is Applicability.UNSAFE for f in claimed)
    left = [f for f in lint(after, ["HL1"])]
    assert all(not f.fix.edits for f in left), left
    compile(after, "train.py", "exec")
    return after


def test_argparse():
    """argparse parser at module level: flags beside the existing ones; `--lr` exists with another default, so the
    SGD learning rate gets its own flag (named after the callee both uses share); the literal used twice (lr, momentum)
    is one flag; bool, tuple and list literals get fitting argparse types; range(1, 91) becomes `args.epochs + 1`."""
    before = '''\
import argparse

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
args = parser.parse_args()

encoder_opt = torch.optim.SGD(encoder.parameters(), lr=0.01, momentum=0.9, nesterov=True)
decoder_opt = torch.optim.SGD(decoder.parameters(), lr=0.01, momentum=0.9)
head_opt = torch.optim.Adam(head.parameters(), lr=args.lr, betas=(0.5, 0.999))
sched = torch.optim.lr_scheduler.MultiStepLR(encoder_opt, milestones=[30, 60])
for epoch in range(1, 91):
    train_one_epoch(encoder_opt)
    sched.step()


def train_one_epoch(opt):
    loss = model(x)
    loss.backward()
    opt.step()
'''
    assert moved(before) == '''\
import argparse

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--sgd-lr", type=float, default=0.01, help="lr of torch.optim.SGD")
parser.add_argument("--momentum", type=float, default=0.9, help="momentum of torch.optim.SGD")
parser.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=True, help="nesterov of torch.optim.SGD")
parser.add_argument("--betas", type=float, nargs=2, default=(0.5, 0.999), help="betas of torch.optim.Adam")
parser.add_argument("--milestones", type=int, nargs="+", default=[30, 60], help="milestones of torch.optim.lr_scheduler.MultiStepLR")
parser.add_argument("--epochs", type=int, default=90, help="number of epochs of the training loop")
args = parser.parse_args()

encoder_opt = torch.optim.SGD(encoder.parameters(), lr=args.sgd_lr, momentum=args.momentum, nesterov=args.nesterov)
decoder_opt = torch.optim.SGD(decoder.parameters(), lr=args.sgd_lr, momentum=args.momentum)
head_opt = torch.optim.Adam(head.parameters(), lr=args.lr, betas=args.betas)
sched = torch.optim.lr_scheduler.MultiStepLR(encoder_opt, milestones=args.milestones)
for epoch in range(1, args.epochs + 1):
    train_one_epoch(encoder_opt)
    sched.step()


def train_one_epoch(opt):
    loss = model(x)
    loss.backward()
    opt.step()
'''

def test_argparse_in_main():
    """The parser lives in main(); train() receives `args` from its only caller, so its values move; a helper
    without `args` keeps its literal (the finding says why)."""
    before = '''\
import argparse

import torch


def train(args, model, loader):
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.05)
    for x in loader:
        model(x).sum().backward()
        opt.step()


def make_scheduler(opt):
    return torch.optim.lr_scheduler.StepLR(opt, step_size=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/")
    args = parser.parse_args()
    train(args, build_model(), load(args.data))
'''
    assert moved(before) == '''\
import argparse

import torch


def train(args, model, loader):
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    for x in loader:
        model(x).sum().backward()
        opt.step()


def make_scheduler(opt):
    return torch.optim.lr_scheduler.StepLR(opt, step_size=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/")
    parser.add_argument("--lr", type=float, default=3e-4, help="lr of torch.optim.AdamW")
    parser.add_argument("--weight-decay", type=float, default=0.05, help="weight_decay of torch.optim.AdamW")
    args = parser.parse_args()
    train(args, build_model(), load(args.data))
'''

def test_dataclass():
    """A dataclass config with an instance in reach (the annotated parameter): fields are added; `C` exists with another
    default, so the second SVC's gets a name of its own; equal kernel/gamma literals share one field."""
    before = '''\
from dataclasses import dataclass

from sklearn.svm import SVC


@dataclass
class TrainConfig:
    C: float = 1.0
    seed: int = 0


def main(cfg: TrainConfig):
    coarse = SVC(C=cfg.C, kernel="rbf", gamma=0.1)
    fine = SVC(C=10.0, kernel="rbf", gamma=0.1)
    return coarse, fine
'''
    assert moved(before) == '''\
from dataclasses import dataclass

from sklearn.svm import SVC


@dataclass
class TrainConfig:
    C: float = 1.0
    seed: int = 0
    kernel: str = "rbf"
    gamma: float = 0.1
    fine_C: float = 10.0


def main(cfg: TrainConfig):
    coarse = SVC(C=cfg.C, kernel=cfg.kernel, gamma=cfg.gamma)
    fine = SVC(C=cfg.fine_C, kernel=cfg.kernel, gamma=cfg.gamma)
    return coarse, fine
'''

def test_dict():
    """A config dict: keys are added (a trailing comma where needed); `epochs` exists, so the loop count gets `epochs_2`."""
    before = '''\
import torch

config = {
    "seed": 0,
    "epochs": 2
}
opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
print(f"momentum {0.9}, lr from {config['seed']}")
for epoch in range(20):
    loss.backward()
    opt.step()
'''
    assert moved(before) == '''\
import torch

config = {
    "seed": 0,
    "epochs": 2,
    "lr": 0.1,
    "momentum": 0.9,
    "epochs_2": 20,
}
opt = torch.optim.SGD(params, lr=config["lr"], momentum=config["momentum"])
print(f"momentum {0.9}, lr from {config['seed']}")
for epoch in range(config["epochs_2"]):
    loss.backward()
    opt.step()
'''

def test_none():
    """No configuration and no __main__ block: a frozen dataclass after the imports and a module-level instance."""
    before = '''\
"""Fit two SVMs."""
import numpy as np
from sklearn.svm import SVC

X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
clf = SVC(C=10.0, kernel="rbf").fit(X, y)
other = SVC(C=10.0, kernel="linear").fit(X, y)
'''
    assert moved(before) == '''\
"""Fit two SVMs."""
import numpy as np
from sklearn.svm import SVC
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of this script, moved out of the code by `hyperlint extract-config`."""

    C: float = 10.0
    kernel: str = "rbf"
    svc_kernel: str = "linear"


config = TrainConfig()


X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
clf = SVC(C=config.C, kernel=config.kernel).fit(X, y)
other = SVC(C=config.C, kernel=config.svc_kernel).fit(X, y)
'''

def test_none_main():
    """No configuration, with a __main__ block: the new dataclass is also exposed as command-line flags."""
    before = '''\
import torch


def main():
    opt = torch.optim.SGD(model.parameters(), lr=0.1, nesterov=True, momentum=0.9)
    for epoch in range(90):
        loss = model(x)
        loss.backward()
        opt.step()


if __name__ == "__main__":
    main()
'''
    assert moved(before) == '''\
import torch
import argparse
import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of this script, moved out of the code by `hyperlint extract-config`."""

    lr: float = 0.1
    nesterov: bool = True
    momentum: float = 0.9
    epochs: int = 90


def config_from_args(argv=None):
    """`TrainConfig` from the command line: a `--flag` per field, defaulting to the field."""
    cli = argparse.ArgumentParser()
    for item in dataclasses.fields(TrainConfig):
        flag, default = "--" + item.name.replace("_", "-"), item.default
        if isinstance(default, bool):
            cli.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        elif isinstance(default, tuple):
            cli.add_argument(flag, type=type(default[0]), nargs=len(default), default=default)
        else:
            cli.add_argument(flag, type=type(default), default=default)
    values = vars(cli.parse_args(argv))
    return TrainConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


config = TrainConfig()
if __name__ == "__main__":
    config = config_from_args()


def main():
    opt = torch.optim.SGD(model.parameters(), lr=config.lr, nesterov=config.nesterov, momentum=config.momentum)
    for epoch in range(config.epochs):
        loss = model(x)
        loss.backward()
        opt.step()


if __name__ == "__main__":
    main()
'''

def test_constants():
    """Module constants become fields; their uses read the config; the constant lines go; a trailing comment
    stays with the field; SEED (not a hyperparameter) stays."""
    before = '''\
"""Constants at the top, no configuration."""
import torch

LEARNING_RATE = 0.01  # peak learning rate
EPOCHS = 14
SEED = 1


def train(model):
    opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    for epoch in range(1, EPOCHS + 1):
        loss = model(x)
        loss.backward()
        opt.step()
    print(f"trained {EPOCHS} epochs at lr={LEARNING_RATE}")
'''
    assert moved(before) == '''\
"""Constants at the top, no configuration."""
import torch
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of this script, moved out of the code by `hyperlint extract-config`."""

    learning_rate: float = 0.01  # peak learning rate
    epochs: int = 14


config = TrainConfig()


SEED = 1


def train(model):
    opt = torch.optim.SGD(model.parameters(), lr=config.learning_rate)
    for epoch in range(1, config.epochs + 1):
        loss = model(x)
        loss.backward()
        opt.step()
    print(f"trained {config.epochs} epochs at lr={config.learning_rate}")
'''

def test_constants_argparse():
    """A module constant in a file with a module-level parser: a flag, and its uses (in a function and after
    parse_args) read `args`."""
    before = '''\
import argparse

import torch

LR = 3e-4


def train(model, lr=None):
    opt = torch.optim.AdamW(model.parameters(), lr=LR)
    return opt


parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
print(f"lr {LR}")
'''
    assert moved(before) == '''\
import argparse

import torch


def train(model, lr=None):
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    return opt


parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--lr", type=float, default=3e-4, help="lr of torch.optim.AdamW")
args = parser.parse_args()
print(f"lr {args.lr}")
'''


# --- what is left in place, and why ---------------------------------------------------------------

def _skipped(source: str, path: str = "train.py") -> list[str]:
    return [f.fix.message for f in lint(source, ["HL1"], path=path) if not f.fix.edits]


def test_values_that_cannot_move_keep_their_literal_and_say_why():
    source = '''\
import argparse

import torch


def make_optimizer(model):
    return torch.optim.SGD(model.parameters(), lr=0.1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    batch_size = 64 if torch.cuda.is_available() else 16
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)  # noqa: HL101
    return loader, opt
'''
    assert moved(source) == source  # the suppressed literal is not moved either
    reasons = _skipped(source)
    assert any("not visible in `make_optimizer()`" in r for r in reasons)
    assert any("depends on a condition" in r for r in reasons)


def test_hydra_and_click_files_are_left_to_their_own_config():
    hydra = '''\
import hydra
import torch


@hydra.main(config_path="conf", config_name="train")
def main(cfg):
    opt = torch.optim.SGD(params, lr=0.1)
'''
    assert moved(hydra) == hydra
    assert "Hydra" in _skipped(hydra)[0]
    click = '''\
import click
from sklearn.svm import SVC


@click.command()
@click.option("--seed", default=0)
def main(seed):
    SVC(C=10.0, random_state=seed)
'''
    assert moved(click) == click
    assert "click options" in _skipped(click)[0]


def test_search_spaces_and_test_files_are_not_touched():
    search = '''\
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

search = GridSearchCV(SVC(), param_grid={"C": [0.1, 1, 10], "kernel": ["rbf"]})
'''
    assert moved(search) == search
    test_file = "import torch\nopt = torch.optim.SGD(p, lr=0.01)\n"
    assert fix(test_file, ["HL1"], unsafe=True, path="tests/test_train.py") == test_file


def test_local_variable_gets_the_config_value_in_place():
    source = '''\
import argparse

import torch


def main():
    parser = argparse.ArgumentParser()
    args = parser.parse_args()
    lr = 5e-4
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    lr *= 0.5
'''
    after = moved(source)
    assert '    parser.add_argument("--lr", type=float, default=5e-4, help="lr of torch.optim.Adam")\n' in after
    assert "    lr = args.lr\n" in after and "lr *= 0.5" in after


def test_dict_reads_inside_fstrings_use_the_other_quote():
    source = '''\
import torch

cfg = {"seed": 0}
LR = 0.1
opt = torch.optim.SGD(params, lr=LR)
print(f"lr={LR}")
'''
    after = moved(source)
    assert 'cfg = {"seed": 0, "lr": 0.1}\n' in after
    assert 'lr=cfg["lr"]' in after and "print(f\"lr={cfg['lr']}\")" in after and "LR = 0.1" not in after


def test_new_config_names_avoid_names_the_file_uses():
    source = '''\
import torch

config = load_model_settings()
TrainConfig = None
opt = torch.optim.SGD(params, lr=0.1)
'''
    after = moved(source)
    assert "class TrainingConfig:" in after and "train_config = TrainingConfig()" in after
    assert "lr=train_config.lr" in after and "config = load_model_settings()" in after


def test_fixes_applied_one_finding_at_a_time_end_where_the_whole_file_fix_ends():
    """An editor applies one finding's fix at a time: each carries the shared insertions, and
    the next plan reuses an option that already holds the same value."""
    from hyperlint.fixes import apply_edits

    source = '''\
import argparse

import torch

parser = argparse.ArgumentParser()
args = parser.parse_args()
opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
other = torch.optim.SGD(params, lr=0.01)
'''
    text = source
    for _ in range(5):
        fixable = [f for f in lint(text, ["HL1"]) if f.fix.edits]
        if not fixable:
            break
        text, accepted = apply_edits(text, fixable[-1:])
        assert accepted
    assert text == moved(source)


def test_values_set_from_elsewhere_are_never_shadowed():
    """A new option must read the literal's value: not a value a config file, a mapping or a
    later assignment would put under the same name."""
    updated = '''\
import json
import torch

config = {"seed": 0}
config.update(json.load(open("c.json")))
opt = torch.optim.SGD(p, lr=0.1)
'''
    assert moved(updated) == updated and "updated from elsewhere" in _skipped(updated)[0]
    defaults = '''\
import argparse
import torch
import yaml

parser = argparse.ArgumentParser()
parser.set_defaults(**yaml.safe_load(open("defaults.yaml")))
args = parser.parse_args()
opt = torch.optim.SGD(p, lr=0.1)
'''
    assert moved(defaults) == defaults and "set from a mapping" in _skipped(defaults)[0]
    written = '''\
import argparse
import torch

parser = argparse.ArgumentParser()
args = parser.parse_args()
args.momentum = 0.5 if args.fast else 0.9
config = {"seed": 0}
config["lr"] = 0.3
opt = torch.optim.SGD(p, lr=0.1, momentum=0.9)
'''
    after = moved(written)
    assert "momentum=args.opt_momentum" in after and "lr=args.lr" in after
    stored = '''\
import torch

config = {"seed": 0}
config["lr"] = 0.3
opt = torch.optim.SGD(p, lr=0.1)
'''
    assert 'config = {"seed": 0, "opt_lr": 0.1}' in moved(stored)


def test_tool_comments_do_not_become_help_texts():
    source = '''\
import argparse
import torch

LR = 0.1  # noqa: E501
parser = argparse.ArgumentParser()
args = parser.parse_args()
opt = torch.optim.SGD(p, lr=LR)
'''
    assert 'parser.add_argument("--lr", type=float, default=0.1, help="lr of torch.optim.SGD")' in moved(source)


def test_a_parameter_holds_the_parsed_arguments_only_when_every_call_passes_them():
    template = '''\
import argparse
import torch


def train(args, model):
    return torch.optim.SGD(model.parameters(), lr=0.1)


def main():
    parser = argparse.ArgumentParser()
    args = parser.parse_args()
    train(args, model)
    {other}
'''
    passed = template.format(other="train(model=model, args=args)")
    assert "lr=args.lr" in moved(passed)
    for other in ("train(settings, model)", "pool.map(train, jobs)", "train(*job)"):
        source = template.format(other=other)
        assert moved(source) == source, other
        assert "not visible in `train()`" in _skipped(source)[0]
