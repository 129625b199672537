"""extract-config keeps a script's behaviour: small seeded scikit-learn and NumPy training
scripts, one per configuration shape, print the same before and after the fix (run as
subprocesses), and the options the fix adds are real (flags accepted, fields and keys there)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

NUMPY_LOOP = '''
def gradient_descent(X, y, lr, epochs):
    w = np.zeros(X.shape[1])
    for _ in range(epochs):
        w -= lr * X.T @ (X @ w - y) / len(y)
    return w


def data(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(120, 4))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype(int)
    return X, y
'''

ARGPARSE = '''
"""argparse in main(): flags are added beside --seed; train() receives args."""
import argparse

import numpy as np
from sklearn.linear_model import SGDClassifier
''' + NUMPY_LOOP + '''

def train(args, X, y):
    clf = SGDClassifier(alpha=1e-3, penalty="l2", random_state=args.seed)
    for epoch in range(4):
        clf.partial_fit(X, y, classes=[0, 1])
    return clf


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--alpha", type=float, default=0.5, help="smoothing of the report")
    args = parser.parse_args()
    X, y = data(args.seed)
    w = gradient_descent(X, y, lr=0.1, epochs=30)
    clf = train(args, X, y)
    print(np.round(w, 6).tolist(), round(clf.score(X, y), 6), np.round(clf.coef_, 6).tolist(), args.alpha)


if __name__ == "__main__":
    main()
'''

DATACLASS = '''
"""A dataclass config with an instance: fields are added to it."""
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import Ridge
''' + NUMPY_LOOP + '''

@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    alpha: float = 3.0


def main(cfg: TrainConfig):
    X, y = data(cfg.seed)
    first = gradient_descent(X, y, lr=0.05, epochs=20)
    second = gradient_descent(X, y, lr=0.05, epochs=40)
    model = Ridge(alpha=0.5, fit_intercept=True).fit(X, y)
    print(np.round(first, 6).tolist(), np.round(second, 6).tolist(), np.round(model.coef_, 6).tolist(), cfg.alpha)


if __name__ == "__main__":
    main(TrainConfig())
'''

CONFIG_DICT = '''
"""A config dict: keys are added to it."""
import numpy as np
from sklearn.neighbors import KNeighborsClassifier
''' + NUMPY_LOOP + '''
config = {
    "seed": 0,
}


def main():
    X, y = data(config["seed"])
    w = gradient_descent(X, y, lr=0.2, epochs=25)
    knn = KNeighborsClassifier(n_neighbors=7, weights="distance").fit(X, y)
    print(np.round(w, 6).tolist(), round(knn.score(X, y), 6), sorted(config))


if __name__ == "__main__":
    main()
'''

NO_CONFIG = '''
"""No configuration: a frozen dataclass is added, exposed through argparse."""
import numpy as np
from sklearn.ensemble import RandomForestClassifier
''' + NUMPY_LOOP + '''

def main():
    X, y = data(0)
    w = gradient_descent(X, y, lr=0.1, epochs=15)
    forest = RandomForestClassifier(n_estimators=12, max_depth=3, random_state=0).fit(X, y)
    print(np.round(w, 6).tolist(), round(forest.score(X, y), 6))


if __name__ == "__main__":
    main()
'''

CONSTANTS = '''
"""Module-level constants: they become config fields and their uses read the config."""
import numpy as np
from sklearn.neural_network import MLPClassifier

LEARNING_RATE = 0.01
EPOCHS = 60
SEED = 0
''' + NUMPY_LOOP + '''

def main():
    X, y = data(SEED)
    w = gradient_descent(X, y, lr=LEARNING_RATE * 10, epochs=EPOCHS)
    mlp = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=LEARNING_RATE, max_iter=EPOCHS,
                        random_state=SEED)
    mlp.fit(X, y)
    print(np.round(w, 6).tolist(), round(mlp.score(X, y), 6), f"lr={LEARNING_RATE}")


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")
    main()
'''


def run(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, cwd=path.parent,
                          timeout=300)


def extract(path: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "hyperlint", "extract-config", str(path)], capture_output=True,
                            text=True, cwd=path.parent, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def script(tmp_path):
    def write(source: str) -> Path:
        path = tmp_path / "train.py"
        path.write_text(textwrap.dedent(source).lstrip())
        return path

    return write


def fixed_and_compared(path: Path, moved: int) -> str:
    before = run(path)
    assert before.returncode == 0, before.stderr
    original = path.read_text()
    result = extract(path)
    assert f"moved {moved} hard-coded value" in result.stdout, result.stdout + result.stderr
    assert path.read_text() != original
    after = run(path)
    assert after.returncode == 0, after.stderr + path.read_text()
    assert after.stdout == before.stdout
    return path.read_text()


def test_argparse_script_keeps_its_output_and_takes_the_new_flags(script):
    path = script(ARGPARSE)
    text = fixed_and_compared(path, 5)
    assert 'parser.add_argument("--lr", type=float, default=0.1' in text
    # the existing --alpha (a different value) is not reused: the estimator's gets its own flag
    assert "alpha=args.sgd_classifier_alpha" in text or "alpha=args.clf_alpha" in text
    default = run(path).stdout
    changed = run(path, "--lr", "0.3", "--epochs", "5", "--penalty", "l1")
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout != default
    assert run(path, "--no-such-flag").returncode == 2  # still a strict parser


def test_dataclass_script_keeps_its_output_and_gains_fields(script):
    path = script(DATACLASS)
    text = fixed_and_compared(path, 5)
    assert text.count("lr: float = 0.05") == 1  # the literal used twice became one field
    check = subprocess.run(
        [sys.executable, "-c", "import train, dataclasses; print(sorted(f.name for f in dataclasses.fields(train.TrainConfig)))"],
        capture_output=True, text=True, cwd=path.parent,
    )
    assert check.returncode == 0, check.stderr
    fields = eval(check.stdout)
    assert {"lr", "epochs", "alpha", "seed"} <= set(fields) and len(fields) == 6  # alpha clashed: renamed
    changed = subprocess.run(
        [sys.executable, "-c", "import train; train.main(train.TrainConfig(lr=0.2))"],
        capture_output=True, text=True, cwd=path.parent,
    )
    assert changed.returncode == 0 and changed.stdout != run(path).stdout


def test_config_dict_script_keeps_its_output_apart_from_the_new_keys(script):
    path = script(CONFIG_DICT)
    before = run(path).stdout
    extract(path)
    after = run(path)
    assert after.returncode == 0, after.stderr
    # the printed key list shows the keys that were added; everything else is unchanged
    assert after.stdout.rsplit("[", 1)[0] == before.rsplit("[", 1)[0]
    assert "'lr'" in after.stdout and "'n_neighbors'" in after.stdout and "'weights'" in after.stdout


def test_script_without_config_gets_one_and_takes_flags(script):
    path = script(NO_CONFIG)
    text = fixed_and_compared(path, 4)
    assert "@dataclass(frozen=True)" in text and "class TrainConfig:" in text
    default = run(path).stdout
    changed = run(path, "--n-estimators", "3", "--lr", "0.5")
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout != default
    assert run(path, "--help").returncode == 0 and "--max-depth" in run(path, "--help").stdout


def test_module_constants_become_fields_read_through_the_config(script):
    path = script(CONSTANTS)
    text = fixed_and_compared(path, 3)
    assert "LEARNING_RATE = 0.01" not in text and "EPOCHS = 60" not in text
    assert "config.learning_rate * 10" in text and "max_iter=config.epochs" in text
    assert "SEED = 0" in text  # a seed is not a hyperparameter
    changed = run(path, "--learning-rate", "0.02", "--epochs", "10")
    assert changed.returncode == 0, changed.stderr
    assert "lr=0.02" in changed.stdout
