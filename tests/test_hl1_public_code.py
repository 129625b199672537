"""HL1 precision on patterns found in public training code (Lightning, minGPT, PEFT, ignite,
optuna, flax, yolov5, detectron2, LightGBM examples): each false positive is reproduced next to
the real violation the rule must still report."""
from hyperlint.testing import lint


def found(source, select=("HL1",), **kwargs):
    return [(f.code, f.start.row) for f in lint(source, select, **kwargs)]


# --- evaluation-only loaders: their batch size cannot change training ------------------------

def test_eval_loader_bound_to_evaluation_name_is_not_reported():
    source = (
        "from torch.utils.data import DataLoader\n"
        "train_loader = DataLoader(ds_train, batch_size=32)\n"  # reported
        "valid_loader = DataLoader(ds_valid, batch_size=32)\n"
        "loaders = {'train': DataLoader(a, batch_size=100), 'valid': DataLoader(b, batch_size=100)}\n"
    )
    assert found(source) == [("HL101", 2), ("HL101", 4)]


def test_eval_loader_in_evaluation_function_or_on_held_out_data_is_not_reported():
    source = (
        "import torch\n"
        "from torch.utils.data import DataLoader\n"
        "from torchvision import datasets\n"
        "def evaluate_perplexity(model, dataset):\n"
        "    loader = DataLoader(dataset, batch_size=2)\n"
        "def eval_split(trainer, split):\n"
        "    loader = DataLoader(data[split], batch_size=100)\n"
        "def accuracy(model):\n"
        "    loader = DataLoader(eval_dataset, batch_size=8)\n"
        "    other = DataLoader(common_voice['test'], batch_size=8)\n"
        "    mnist = DataLoader(datasets.MNIST('.', train=False), batch_size=1000)\n"
        "class Data(LightningDataModule):\n"
        "    def train_dataloader(self):\n"
        "        return DataLoader(self.train_set, batch_size=64)\n"  # reported
        "    def val_dataloader(self):\n"
        "        return DataLoader(self.val_set, batch_size=64)\n"
        "def train_and_evaluate(model):\n"
        "    loader = DataLoader(train_set, batch_size=16)\n"  # reported: a training function
    )
    assert found(source) == [("HL101", 14), ("HL101", 18)]


def test_constant_feeding_only_an_eval_loader_is_not_reported():
    source = (
        "from torch.utils.data import DataLoader\n"
        "batch_size = 10\n"  # reported: the training loader
        "train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True)\n"
        "batch_size = 10\n"
        "test_loader = DataLoader(test_ds, batch_size=batch_size, shuffle=False)\n"
    )
    assert found(source) == [("HL102", 2)]


# --- unknown callees: evaluation engines, test fixtures and single-example batches ------------

def test_keyword_on_evaluation_callee_is_not_reported():
    source = (
        "trainer.run(train_loader, max_epochs=20)\n"  # reported
        "evaluator.run(val_loader, max_epochs=1)\n"
        "inferencer.run(test_loader, max_epochs=1)\n"
        "class Bench(absltest.TestCase):\n"
        "    def test_v100(self):\n"
        "        self._test_8x_v100_half_precision(num_epochs=2)\n"
    )
    assert found(source) == [("HL105", 1)]


def test_single_example_batch_on_unknown_callee_is_not_reported():
    source = (
        "mask = attn.prepare_attention_mask(attention_mask, sequence_length, batch_size=1)\n"
        "dummy = task.create_dummy_batch(batch_size=2, device=device)\n"
        "loader = create_dataloader(path, imgsz=640, batch_size=1, stride=32)\n"
        "loader = create_dataloader(path, imgsz=640, batch_size=16, stride=32)\n"  # reported
    )
    assert found(source) == [("HL105", 4)]


# --- Python configuration files: the file is the configuration -------------------------------

CONFIG_MODULE = (
    "import torch.optim as optim\n"
    "from torch.optim import lr_scheduler as lrs\n"
    "batch_size = 64\n"
    "num_epochs = 105\n"
    "optimizer = optim.SGD(model.parameters(), lr=0.1 * batch_size / 256, momentum=0.9, weight_decay=1e-4)\n"
    "lr_scheduler = lrs.MultiStepLR(optimizer, milestones=[30, 60, 90], gamma=0.1)\n"
    "train_loader = DataLoader(train_set, batch_size=batch_size)\n"
)


def test_python_file_in_a_configs_folder_is_configuration():
    assert found(CONFIG_MODULE, path="references/imagenet/configs/baseline_resnet50.py") == []
    lazy = (
        "from detectron2.config import LazyCall as L\n"
        "dataloader.train = L(build_detection_train_loader)(dataset=ds, total_batch_size=16, num_workers=4)\n"
    )
    assert found(lazy, path="projects/MViTv2/configs/common/coco_loader.py") == []
    params = "import xgboost as xgb\nbooster = xgb.train({'eta': 0.3, 'max_depth': 6}, dtrain)\n"
    assert found(params, path="conf/boost.py") == []


def test_same_code_outside_a_configs_folder_is_reported():
    assert found(CONFIG_MODULE, path="references/imagenet/train.py") == [
        ("HL102", 3), ("HL101", 5), ("HL101", 5), ("HL101", 6), ("HL101", 6)
    ]
    assert found("import xgboost as xgb\nbooster = xgb.train({'eta': 0.3}, dtrain)\n", path="configure.py") == [("HL104", 2)]


# --- hyperparameter-search trial loops: the count is a search budget -------------------------

TRIAL_LOOPS = (
    "import optuna\n"
    "EPOCHS = 10\n"  # reported: the epoch loop inside the objective
    "N_TRIALS = 20\n"
    "def objective(trial):\n"
    "    lr = trial.suggest_float('lr', 1e-5, 1e-1, log=True)\n"
    "    for epoch in range(EPOCHS):\n"
    "        loss = model(x)\n"
    "        loss.backward()\n"
    "        optimizer.step()\n"
    "    return loss.item()\n"
    "def main():\n"
    "    for _ in range(N_TRIALS):\n"
    "        objective(None)\n"
    "    for _ in range(20):\n"
    "        objective(None)\n"
    "    for _ in range(30):\n"
    "        trial = study.ask()\n"
    "        study.tell(trial, objective(trial))\n"
)


def test_trial_loop_count_is_not_a_training_loop_count():
    assert found(TRIAL_LOOPS) == [("HL102", 2)]


def test_epoch_loop_calling_a_training_function_is_still_reported():
    source = TRIAL_LOOPS + "def fit():\n    for epoch in range(5):\n        objective_free_step()\n" \
        "def objective_free_step():\n    loss.backward()\n    optimizer.step()\n"
    assert ("HL103", 20) in found(source)


# --- batch_size where nothing learns from minibatches ----------------------------------------

HDF_TO_LGB = (
    "import h5py\n"
    "import lightgbm as lgb\n"
    "def main():\n"
    "    batch_size = 64\n"
    "    create_dataset_from_multiple_hdf(hdf_files, batch_size=batch_size)\n"
    "    read_chunks(path, batch_size=4096)\n"
    "    booster = fit_booster(ds, learning_rate=0.05)\n"  # reported: a learning rate still is one
)


def test_batch_size_is_an_io_chunk_in_a_tree_learning_file():
    assert found(HDF_TO_LGB) == [("HL105", 7)]


def test_batch_size_is_reported_once_a_minibatch_learner_is_imported():
    source = "import torch\n" + HDF_TO_LGB
    assert found(source) == [("HL102", 5), ("HL105", 7), ("HL105", 8)]


# --- timing loops: repeating forward/backward to measure it is not training -----------------

BENCHMARK = (
    "import torch\n"
    "WARMUP = 5\n"
    "def forward_backward(func, x):\n"
    "    func(x).sum().backward()\n"
    "def time_pytorch_function_forward_backward(func, x, num_repeats=1_000):\n"
    "    for _ in range(WARMUP):\n"
    "        forward_backward(func, x)\n"
    "    for _ in range(5):\n"
    "        forward_backward(func, x)\n"
    "def benchmark_step(func, x):\n"
    "    for _ in range(10):\n"
    "        forward_backward(func, x)\n"
)


def test_loops_of_a_timing_function_are_not_training_loops():
    assert found(BENCHMARK) == []


def test_the_same_loop_in_a_training_function_is_reported():
    source = BENCHMARK + "def train_timed_model(func, x):\n    for _ in range(7):\n        forward_backward(func, x)\n"
    assert found(source) == [("HL103", 14)]


# --- test functions inside library modules ----------------------------------------------------

LIBRARY_WITH_TEST = (
    "import tensorflow as tf\n"
    "def learn(env, lr=5e-4):\n"
    "    return MpiAdamOptimizer(learning_rate=lr)\n"
    "def test_nonfreeze():\n"
    "    stepsize = 1e-2\n"
    "    update_op = MpiAdamOptimizer(comm=comm, learning_rate=stepsize).minimize(loss)\n"
    "    for i in range(100):\n"
    "        sess.run(update_op)\n"
    "        optimizer.apply_gradients(grads)\n"
    "class TestAdam:\n"
    "    def check(self):\n"
    "        opt = tf.keras.optimizers.Adam(1e-3)\n"
    "def run():\n"
    "    update_op = MpiAdamOptimizer(comm=comm, learning_rate=1e-2)\n"  # reported
)


def test_test_functions_in_a_library_module_are_not_linted():
    assert found(LIBRARY_WITH_TEST, path="baselines/common/mpi_adam_optimizer.py") == [("HL105", 14)]


def test_test_functions_are_linted_when_tests_are():
    assert len(found(LIBRARY_WITH_TEST, options={"lint-tests": True}, path="baselines/common/mpi_adam_optimizer.py")) == 4


# --- a zero learning rate is a placeholder a scheduler overwrites ----------------------------

def test_zero_learning_rate_placeholder_is_not_reported():
    source = (
        "import torch\n"
        "optimizer = NoamOpt(model_size=512, factor=2, warmup=4000,\n"
        "                    optimizer=torch.optim.Adam(model.parameters(), lr=0, betas=(0.9, 0.98), eps=1e-9))\n"
        "probe = torch.optim.SGD(head.parameters(), lr=0.0)\n"
        "custom = PlainSGD(head.parameters(), learning_rate=0.)\n"
        "real = torch.optim.SGD(head.parameters(), lr=0.01)\n"
    )
    assert found(source) == [("HL101", 3), ("HL101", 3), ("HL101", 6)]


def test_batch_size_is_reported_in_a_file_that_only_uses_sklearn_helpers():
    source = "from sklearn.model_selection import train_test_split\nfrom model import train\n" \
        "train(X_train, y_train, batch_size=32)\n"
    assert found(source) == [("HL105", 3)]


# --- keras_tuner: tuner construction and tuner.search set up a search -----------------------

def test_keras_tuner_search_settings_are_not_reported():
    source = (
        "import keras_tuner as kt\n"
        "from tensorflow import keras\n"
        "tuner = kt.Hyperband(MyHyperModel(), objective='val_accuracy', max_epochs=10, factor=3)\n"
        "tuner.search(X_train, y_train, epochs=10, validation_data=(X_valid, y_valid))\n"
        "model = tuner.get_best_models()[0]\n"
        "model.fit(X_train, y_train, epochs=30)\n"  # reported: the final training run
        "other.search(X_train, y_train, epochs=10)\n"  # reported: not a tuner
    )
    assert found(source) == [("HL101", 6), ("HL105", 7)]


# --- learning-rate range tests are diagnostics -----------------------------------------------

def test_learning_rate_finder_settings_are_not_reported():
    source = (
        "rates, losses = find_learning_rate(model, X_train, y_train, epochs=1, batch_size=128)\n"
        "lr_finder.range_test(train_loader, end_lr=100, num_iter=100)\n"
        "history = train_model(model, X_train, y_train, epochs=25)\n"  # reported
    )
    assert found(source) == [("HL105", 3)]


# --- a loop over a hyperparameter's values is a sweep, not a training-loop count --------------

def test_elbow_loop_over_n_clusters_is_not_a_training_loop_count():
    source = (
        "from sklearn.cluster import KMeans\n"
        "MAX_K = 11\n"
        "for i in range(1, 11):\n"
        "    km = KMeans(n_clusters=i, n_init=10, random_state=0)\n"
        "    km.fit(X)\n"
        "for depth in range(1, MAX_K):\n"
        "    scores.append(fit_tree(X, y, max_depth=depth, learning_rate=depth / 10))\n"
        "    model.fit(X, y)\n"
        "for _ in range(45):\n"  # reported: 45 partial_fit passes
        "    clf.partial_fit(next_batch(), y, classes=classes)\n"
    )
    assert found(source) == [("HL101", 4), ("HL103", 9)]


def test_an_epoch_loop_with_a_batch_size_schedule_is_still_a_training_loop_count():
    source = (
        "import torch\n"
        "for epoch in range(100):\n"  # reported: a progressive batch size does not make it a sweep
        "    loader = torch.utils.data.DataLoader(train_set, batch_size=32 * (epoch + 1))\n"
        "    for x, y in loader:\n"
        "        optimizer.zero_grad()\n"
        "        loss_fn(model(x), y).backward()\n"
        "        optimizer.step()\n"
    )
    assert ("HL103", 2) in found(source)


def test_training_batch_size_keyword_is_kept_even_under_an_evaluation_name():
    source = (
        "from transformers import TrainingArguments\n"
        "eval_args = TrainingArguments('out', per_device_train_batch_size=16, per_device_eval_batch_size=64)\n"
    )
    findings = lint(source, ["HL1"])
    assert [(f.code, f.start.row) for f in findings] == [("HL101", 2)]
    assert "per_device_train_batch_size" in findings[0].message
