"""HL303: a Weights & Biases run's config changed during training; recording it at setup and
writing results to the summary are fine. Also: one HL3 finding per statement."""
from hyperlint.testing import lint

LOOP = "for epoch in range(10):\n    loss.backward()\n    optimizer.step()\n"


def hl3(code: str) -> list[tuple[str, int]]:
    return [(f.code, f.start.row) for f in lint(code, ["HL3"]) if f.code.startswith("HL3")]


def test_update_with_allow_val_change_in_the_loop():
    code = "import wandb\nrun = wandb.init(config=vars(args))\n" + LOOP + \
        "    wandb.config.update({'lr': lr},\n                        allow_val_change=True)\n"
    assert hl3(code) == [("HL303", 6)]


def test_attribute_and_item_writes_on_run_config():
    code = "import wandb\nrun = wandb.init()\n" + LOOP + "    run.config['best_epoch'] = epoch\n" \
        "    wandb.config.lr = lr\n    setattr(wandb.run.config, 'lr', lr)\n"
    assert hl3(code) == [("HL303", 6), ("HL303", 7), ("HL303", 8)]


def test_alias_of_wandb_config():
    code = "import wandb\nwandb.init()\nconfig = wandb.config\n" + LOOP + "    config.epochs_done = epoch\n"
    assert hl3(code) == [("HL303", 7)]


def test_in_a_keras_callback():
    code = """
import wandb
import tensorflow as tf

class Best(tf.keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        wandb.config.update({"best_epoch": epoch}, allow_val_change=True)
"""
    assert hl3(code) == [("HL303", 7)]


def test_setup_and_summary_are_silent():
    code = """
import wandb
run = wandb.init(project="p", config=vars(args))
wandb.config.update({"n_params": count(model)})
run.config["n_classes"] = 10
for epoch in range(10):
    loss.backward()
    optimizer.step()
    run.summary["best_acc"] = acc
    run.log({"lr": lr})
    print(wandb.config.lr)
"""
    assert hl3(code) == []


def test_run_config_is_wandb_not_a_generic_config():
    code = "import wandb\nrun = wandb.init()\n" + LOOP + "    run.config.lr = 0.1\n"
    assert hl3(code) == [("HL303", 6)]


def test_one_family_finding_per_statement():
    code = """
import argparse
args = argparse.ArgumentParser().parse_args()
for epoch in range(10):
    loss.backward()
    optimizer.step()
    args.lr = args.lr2 = 0.1
    for g in optimizer.param_groups:
        g["lr"] = args.lr
"""
    assert hl3(code) == [("HL301", 7), ("HL302", 9)]
