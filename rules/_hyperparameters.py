"""What the HL1 rules share: is a value hard-coded, which slot does an argument fill, and is
the call in a context RULES.md exempts (search spaces, CLI definitions, configs, models)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING

import libcst as cst

from hyperlint.facts.bindings import Binding
from hyperlint.facts.names import dotted

if TYPE_CHECKING:
    from hyperlint.context import FileContext

# ---------------------------------------------------------------------------------------------
# literals


def _is_number(node: cst.CSTNode) -> bool:
    return isinstance(node, (cst.Integer, cst.Float, cst.Imaginary))


def is_literal(node: cst.CSTNode, allow_strings: bool = True) -> bool:
    """A value written into the code: numbers, bools, strings, tuples/lists and arithmetic of them."""
    if _is_number(node):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False")
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return allow_strings
    if isinstance(node, cst.UnaryOperation):
        return is_literal(node.expression, False)
    if isinstance(node, cst.BinaryOperation):
        return is_literal(node.left, False) and is_literal(node.right, False)
    if isinstance(node, (cst.Tuple, cst.List)):
        return bool(node.elements) and all(
            not isinstance(e, cst.StarredElement) and is_literal(e.value, allow_strings) for e in node.elements
        )
    if isinstance(node, cst.IfExp):
        return is_literal(node.body, allow_strings) and is_literal(node.orelse, allow_strings)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("int", "float"):
        return len(node.args) == 1 and is_literal(node.args[0].value, True)
    return False


def is_numeric_literal(node: cst.CSTNode) -> bool:
    return is_literal(node, allow_strings=False) and not isinstance(node, cst.Name)


def literal_text(ctx: "FileContext", node: cst.CSTNode) -> str:
    text = ctx.module.code_for_node(node).strip()
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class Origin:
    """Where the value of an argument comes from, if it is hard-coded."""

    literal: bool  # the argument itself is a literal
    sources: list[Binding] = field(default_factory=list)  # assignments of literals it reads


def origin(ctx: "FileContext", node: cst.BaseExpression, depth: int = 0) -> Origin | None:
    """``Origin`` when the value is hard-coded (only literals and names bound to literals), else None."""
    if is_literal(node):
        return Origin(True)
    if depth > 6:
        return None
    if isinstance(node, cst.Name):
        binding = ctx.bindings.lookup(node.value)
        source = _literal_binding(ctx, binding, depth)
        return source
    if isinstance(node, cst.BinaryOperation):
        left, right = origin(ctx, node.left, depth + 1), origin(ctx, node.right, depth + 1)
        if left is None or right is None:
            return None
        return _merge(left, right)
    if isinstance(node, cst.UnaryOperation):
        return origin(ctx, node.expression, depth + 1)
    if isinstance(node, (cst.Tuple, cst.List)) and node.elements:
        merged = Origin(True)
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                return None
            part = origin(ctx, element.value, depth + 1)
            if part is None:
                return None
            merged = _merge(merged, part)
        return merged
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("int", "float"):
        if len(node.args) == 1:
            return origin(ctx, node.args[0].value, depth + 1)
    return None


def _merge(a: Origin, b: Origin) -> Origin:
    return Origin(a.literal and b.literal, a.sources + [s for s in b.sources if s not in a.sources])


def _literal_binding(ctx: "FileContext", binding: Binding | None, depth: int) -> Origin | None:
    if binding is None or binding.kind not in ("assign", "annassign", "unpack", "walrus"):
        return None
    if binding.scope is not None and binding.scope.kind == "class":
        return None
    if binding.scope is not None and binding.scope.kind == "module" and ctx.globals_overridden:
        return None  # configurator pattern: module globals are overridden from outside
    if ctx.configs.is_config_variable_name(binding.name):
        return None
    value = binding.value
    if value is None:
        return None
    if binding.kind == "unpack":
        if not isinstance(value, (cst.Tuple, cst.List)) or binding.index is None or binding.index >= len(value.elements):
            return None
        value = value.elements[binding.index].value
    if is_literal(value):
        return Origin(False, [binding])
    inner = origin(ctx, value, depth + 1)
    if inner is None:
        return None
    if inner.literal:
        return Origin(False, [binding])
    return Origin(False, inner.sources)


# ---------------------------------------------------------------------------------------------
# slots


@dataclass
class SlotArgument:
    argument: cst.Arg
    slot: str  # argument name
    callee: str  # catalogue name, or the callee as written for unknown callees
    kind: str  # catalogue | keyword | architecture


_LAYER_PREFIXES = ("torch.nn.", "keras.layers.", "keras.regularizers.", "flax.", "tensorflow.keras.layers.", "tf.keras.layers.")
_NOT_LAYERS = ("torch.nn.utils.", "torch.nn.CrossEntropyLoss", "torch.nn.init.", "torch.nn.functional.cross_entropy")
_CLI_METHODS = frozenset({"add_argument", "set_defaults", "add_option", "option", "Option", "argument", "Argument"})
_SEARCH_CALL = re.compile(r"(^|\.)(suggest_\w+|uniform|loguniform|quniform|qloguniform|randint|choice|grid_search|"
                          r"sample_from|lograndint|qrandint|randn|normal|qnormal|lognormal|IntDistribution|"
                          r"FloatDistribution|CategoricalDistribution|IntUniformDistribution|UniformDistribution|"
                          r"LogUniformDistribution|Real|Integer|Categorical)$")
_SEARCH_LIBS = ("optuna.", "ray.tune", "hyperopt", "skopt", "nevergrad", "scipy.stats", "syne_tune", "flaml")
SEARCH_SPACE_NAMES = re.compile(
    r"^(param_grid|param_grids|param_distributions|param_dist|search_space|space|param_space|config_space|"
    r"hyperparameter_space|hparam_space|sweep_config|sweep_configuration|grid|search_grid|distributions|\w+_space|"
    r"\w+_grid)$",
    re.I,
)
MODEL_BUILDER = re.compile(
    r"^(build|make|create|get|define|construct|init)_\w*$|"
    r"(model|net|network|encoder|decoder|generator|discriminator|critic|backbone|head|block|layer|layers|"
    r"classifier|actor|policy|mlp|cnn|rnn|lstm|transformer)s?$",
    re.I,
)
_MODULE_BASES = re.compile(r"(^|\.)(Module|LightningModule|Layer|Model|Sequential|nn\.Module|Block|Cell)$")
_ARCH_METHODS = frozenset({"__init__", "build", "setup", "forward", "__call__", "call", "_build", "_make_layer",
                           "make_layer", "_make_layers"})


def layer_callee(qualified: str | None) -> bool:
    if not qualified:
        return False
    return qualified.startswith(_LAYER_PREFIXES) and not qualified.startswith(_NOT_LAYERS)


def callee_label(ctx: "FileContext", call: cst.Call) -> str:
    name = ctx.qualify(call.func) or dotted(call.func)
    if name:
        return name
    return ctx.module.code_for_node(call.func)[:40]


def resolve_callee(ctx: "FileContext", call: cst.Call) -> tuple[str | None, dict[str, int | None]]:
    """The catalogue entry a call refers to and its slots (argument -> positional index)."""
    qualified = ctx.qualify(call.func)
    catalogue = ctx.catalogue
    name = catalogue.canonical(qualified) if qualified else None
    if name is None and isinstance(call.func, cst.Attribute) and call.func.attr.value == "fit":
        if ctx.imports.imports_module("keras") or ctx.imports.imports_module("tensorflow"):
            name = catalogue.canonical("keras.Model.fit")
    if name is None:
        return None, {}
    return name, catalogue.slots_of(name)


def in_model_definition(ctx: "FileContext", ancestors) -> bool:
    """Inside a layer/model class's constructor or forward, or a model-building function."""
    for i in range(len(ancestors) - 1, -1, -1):
        node = ancestors[i]
        if isinstance(node, cst.FunctionDef):
            name = node.name.value
            cls = next((a for a in reversed(ancestors[:i]) if isinstance(a, cst.ClassDef)), None)
            if cls is not None and any(_MODULE_BASES.search(dotted(b.value) or "") for b in cls.bases):
                if name in _ARCH_METHODS or MODEL_BUILDER.search(name):
                    return True
                return False
            if MODEL_BUILDER.search(name) and not re.search(r"optim|sched|train|loader|data|callback", name, re.I):
                return True
        if isinstance(node, cst.ClassDef):
            return any(_MODULE_BASES.search(dotted(b.value) or "") for b in node.bases)
    return False


_CONFIG_FOLDERS = frozenset({"configs", "config", "conf", "cfg", "cfgs"})


def python_config_file(ctx: "FileContext") -> bool:
    """A Python file kept in a configuration folder (``configs/baseline_resnet50.py`` of
    py_config_runner, detectron2's LazyConfig ``configs/common/coco_loader.py``, mmcv configs):
    the file is the configuration, so the values written in it are configured, not hard-coded."""
    memo = ctx.cache.get("python_config_file")
    if memo is None:
        folders = PurePath(str(ctx.path)).parts[:-1]
        memo = ctx.cache["python_config_file"] = any(part.lower() in _CONFIG_FOLDERS for part in folders)
    return memo


def in_test_function(ctx: "FileContext", ancestors) -> bool:
    """Inside a test kept in a library module (``def test_nonfreeze():`` in
    ``mpi_adam_optimizer.py``, ``class TestAdam``), exempt like test files; a training script's
    ``def test():`` is its evaluation routine (a KMeans or linear probe scoring embeddings), which
    trains nothing either."""
    if ctx.settings.lint_tests:
        return False
    for node in ancestors:
        if isinstance(node, cst.FunctionDef) and (node.name.value == "test" or node.name.value.startswith("test_")):
            return True
        if isinstance(node, cst.ClassDef) and re.match(r"Test[A-Z_]|Test$", node.name.value):
            return True
    return False


_TUNER_LIBS = ("keras_tuner.", "kerastuner.")


def _tuner_search_call(ctx: "FileContext", call: cst.Call) -> bool:
    """``tuner.search(X, y, epochs=10)`` on a keras_tuner tuner: like ``GridSearchCV.fit``, its
    arguments set up the search that tries hyperparameters, they are not one run's choice."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "search" and isinstance(func.value, cst.Name)):
        return False
    binding = ctx.bindings.lookup(func.value.value)
    value = binding.value if binding is not None else None
    return isinstance(value, cst.Call) and (ctx.qualify(value.func) or "").startswith(_TUNER_LIBS)


def exempt_context(ctx: "FileContext", ancestors) -> bool:
    """Search spaces, CLI definitions and config construction: values here are configuration."""
    if python_config_file(ctx) or in_test_function(ctx, ancestors):
        return True
    for i, node in enumerate(ancestors):
        if isinstance(node, cst.Call):
            qualified = ctx.qualify(node.func) or ""
            name = dotted(node.func) or ""
            last = name.rsplit(".", 1)[-1]
            if last in _CLI_METHODS or last.startswith("DEFINE_"):
                return True
            if _SEARCH_CALL.search(name) and (
                qualified.startswith(_SEARCH_LIBS) or name.startswith(("trial.", "tune.", "hp.")) or "suggest_" in last
            ):
                return True
            if last.endswith("SearchCV") or last in ("BayesSearchCV", "TuneSearchCV", "TuneGridSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV"):
                return True
            if qualified.startswith(_TUNER_LIBS) or _tuner_search_call(ctx, node):
                return True
            if ctx.catalogue.canonical(qualified) is None and ctx.configs.is_config_constructor(node):
                return True
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            keyword = node.keyword.value
            if SEARCH_SPACE_NAMES.match(keyword) or keyword in ("config", "hparams", "hyperparameters", "cfg"):
                return True
        elif isinstance(node, (cst.Assign, cst.AnnAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                name = dotted(target) if isinstance(target, (cst.Name, cst.Attribute)) else None
                if name and SEARCH_SPACE_NAMES.match(name.rsplit(".", 1)[-1]):
                    return True
                if name and ctx.configs.is_config_variable_name(name.rsplit(".", 1)[-1]) and (
                    isinstance(node.value, cst.Dict)
                    or isinstance(node.value, cst.Call) and dotted(node.value.func) in ("dict", "OrderedDict")
                ):
                    return True
        elif isinstance(node, cst.ClassDef):
            if node.name.value in ctx.configs.local_config_classes:
                return True
    return False


def slot_arguments(ctx: "FileContext", call: cst.Call) -> list[SlotArgument]:
    """The arguments of ``call`` that fill hyperparameter slots (memoised per call)."""
    memo = ctx.cache.setdefault("slot_arguments", {})
    if call in memo:
        return memo[call]
    result = memo[call] = _slot_arguments(ctx, call)
    return result


def _slot_arguments(ctx: "FileContext", call: cst.Call) -> list[SlotArgument]:
    name, slots = resolve_callee(ctx, call)
    qualified = ctx.qualify(call.func)
    out: list[SlotArgument] = []
    if name is not None:
        architecture = layer_callee(name) or layer_callee(qualified)
        kind = "architecture" if architecture else "catalogue"
        by_index = {index: arg for arg, index in slots.items() if index is not None}
        # a method call (model.fit) does not count the receiver
        positional = 0
        for argument in call.args:
            if argument.star:
                break
            if argument.keyword is None:
                slot = by_index.get(positional)
                positional += 1
                if slot is not None:
                    out.append(SlotArgument(argument, slot, name, kind))
            elif argument.keyword.value in slots:
                out.append(SlotArgument(argument, argument.keyword.value, name, kind))
        return out
    if isinstance(call.func, cst.Name) and call.func.value in ("dict", "OrderedDict", "print", "setattr", "getattr"):
        return out
    label = callee_label(ctx, call)
    if _not_a_training_callee(label):
        return out
    architecture = layer_callee(qualified)
    for argument in call.args:
        if argument.keyword is None or argument.star:
            continue
        keyword = argument.keyword.value
        if "batch_size" in keyword and _without_minibatch_training(ctx):
            continue
        if ctx.catalogue.is_hyperparameter_keyword(keyword):
            out.append(SlotArgument(argument, keyword, label, "architecture" if architecture else "keyword"))
    return out


_TREE_LIBRARIES = ("lightgbm", "xgboost", "catboost")
_MINIBATCH_LIBRARIES = ("torch", "tensorflow", "keras", "jax", "flax", "optax", "haiku", "lightning",
                        "pytorch_lightning", "transformers", "accelerate", "paddle", "mxnet", "tf_keras", "equinox",
                        "skorch")


def _without_minibatch_training(ctx: "FileContext") -> bool:
    """The file trains gradient-boosted trees and imports no minibatch learner: a ``batch_size``
    there is an I/O chunk size (reading HDF5 into a ``lgb.Dataset``), not a training
    hyperparameter. scikit-learn alone does not count: files import it for splits and metrics."""
    imports = ctx.imports
    return any(imports.imports_module(m) for m in _TREE_LIBRARIES) and not any(
        imports.imports_module(m) for m in _MINIBATCH_LIBRARIES
    )


_NOT_TRAINING_CALLEE = re.compile(
    r"(export|predict|infer|inference|eval|evaluate|evaluation|test|valid|validate|validation|generate|sample|"
    r"benchmark|profile|summary|encode|embed|score|decode|translate|serve|onnx|trace|warmup_cache|dummy)",
    re.I,
)


# logging, progress and metric calls (metric_logger.update(lr=...)), data preprocessing
# (dataset.map(batched=True, batch_size=1000)) and benchmark helpers take these keywords too
_LOGGING_METHODS = frozenset({
    "update", "log", "log_dict", "log_metrics", "log_hyperparams", "add_scalar", "add_scalars", "add_hparams",
    "set_postfix", "set_description", "info", "debug", "warning", "warn", "error", "format", "write", "record",
    "append", "emit", "print", "map", "filter", "map_batches", "iter_batches", "with_format",
})
_BENCHMARK_CALLEE = re.compile(r"(Tracker|Profiler|Timer|Benchmark|Meter|Logger|Monitor)$")


def _not_a_training_callee(label: str) -> bool:
    parts = label.split(".")
    return bool(_BENCHMARK_CALLEE.search(parts[-1])) or (len(parts) > 1 and parts[-1] in _LOGGING_METHODS)


_EVAL_ONLY_NAME = re.compile(r"(^|_)(eval|evaluation|test|val|valid|validation|infer|inference|predict|prediction)(_|$)", re.I)


def evaluation_only_name(name: str) -> bool:
    """``EVAL_BATCH_SIZE``, ``per_device_eval_batch_size``: a batch size that cannot change training."""
    return "batch" in name.lower() and bool(_EVAL_ONLY_NAME.search(name))


# evaluation, validation and inference: a name made of such words (val_loader, eval_dataset,
# evaluate_perplexity, test_dataloader) names something that cannot change what is trained
_EVAL_WORD = re.compile(
    r"^(eval|evals|evaluate|evaluator|evaluation|test|tests|testing|tester|val|valid|validate|validator|"
    r"validation|dev|infer|inference|inferencer|predict|predictor|prediction|predictions|holdout)$",
    re.I,
)
_TRAIN_WORD = re.compile(r"^(train|training|trainer|fit|finetune|optimize|update|learn)$", re.I)


def evaluation_name(name: str) -> bool:
    """A name that says evaluation and not training: ``val_loader``, ``evaluate_perplexity``,
    ``test``; not ``train_and_evaluate`` nor ``train_test_split``."""
    words = [w for w in re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", name) if w]
    return any(_EVAL_WORD.match(w) for w in words) and not any(_TRAIN_WORD.match(w) for w in words)


def _string_value(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _names_evaluation_data(node: cst.BaseExpression) -> bool:
    """A dataset expression that says it is held-out data: ``eval_dataset``, ``self.val_set``,
    ``ds["test"]``, ``datasets.MNIST(root, train=False)``, ``load_dataset(name, split="validation")``."""
    if isinstance(node, cst.Name):
        return evaluation_name(node.value)
    if isinstance(node, cst.Attribute):
        return evaluation_name(node.attr.value)
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        key = _string_value(node.slice[0].slice.value)
        return key is not None and evaluation_name(key.split("[", 1)[0])
    if isinstance(node, cst.Call):
        for arg in node.args:
            if arg.keyword is None:
                continue
            if arg.keyword.value == "train" and isinstance(arg.value, cst.Name) and arg.value.value == "False":
                return True
            if arg.keyword.value == "split":
                key = _string_value(arg.value)
                if key is not None and evaluation_name(key.split("[", 1)[0]):
                    return True
    return False


def evaluation_only_call(ctx: "FileContext", call: cst.Call, ancestors) -> bool:
    """The call builds evaluation/inference data (its batch size cannot change training): it is
    bound to an evaluation name (``val_loader = DataLoader(...)``, ``{"valid": DataLoader(...)}``),
    reads held-out data, or runs in an evaluation function (``def evaluate(...)``,
    Lightning's ``val_dataloader``)."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    dataset = positional[0].value if positional else next(
        (a.value for a in call.args if a.keyword is not None and a.keyword.value in ("dataset", "data")), None
    )
    if dataset is not None and _names_evaluation_data(dataset):
        return True
    chain = list(ancestors)
    index = max((i for i, node in enumerate(chain) if node is call), default=len(chain) - 1)
    for node in reversed(chain[:index]):
        if isinstance(node, cst.DictElement):
            key = _string_value(node.key)
            if key is not None:
                return evaluation_name(key)
        elif isinstance(node, (cst.Assign, cst.AnnAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            names = [dotted(t) for t in targets if isinstance(t, (cst.Name, cst.Attribute))]
            if any(name and evaluation_name(name.rsplit(".", 1)[-1]) for name in names):
                return True
            break
        elif isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            break
    for node in reversed(chain[:index]):
        if isinstance(node, cst.FunctionDef):
            return evaluation_name(node.name.value)
    return False


_TRIAL_WORD = re.compile(r"(^|_)trials?($|_)", re.I)
_STUDY_METHODS = frozenset({"ask", "tell", "optimize"})


def _walk_names_and_calls(node: cst.CSTNode):
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and current is not node:
            continue
        if isinstance(current, (cst.Name, cst.Call)):
            yield current
        pending.extend(current.children)


def search_trial_loop(ctx: "FileContext", loop: cst.For, count: cst.BaseExpression) -> bool:
    """A loop whose iterations are hyperparameter-search trials (``for _ in range(n_trials):
    objective(None)``, ``trial = study.ask()``): its count is the search budget, not a number of
    epochs or steps."""
    if isinstance(loop.target, cst.Name) and _TRIAL_WORD.search(loop.target.value):
        return True
    if any(isinstance(n, cst.Name) and _TRIAL_WORD.search(n.value) for n in _walk_names_and_calls(count)):
        return True
    for node in _walk_names_and_calls(loop.body):
        if not isinstance(node, cst.Call):
            continue
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _STUDY_METHODS and "study" in (dotted(func.value) or ""):
            return True
        if isinstance(func, cst.Name):
            for frame in ctx.training.function_frames.get(func.value, []):
                params = frame.node.params
                if any(p.name.value == "trial" for p in (*params.posonly_params, *params.params)):
                    return True
    return False


_BENCHMARK_FUNCTION = re.compile(r"(^|_)(time|timeit|timed|timing|bench|benchmark|benchmarks|profile|profiling|"
                                 r"measure|throughput|speed|speedtest)(_|$)|^benchmark|^profile", re.I)


def in_benchmark_function(ancestors) -> bool:
    """Inside a timing/benchmark function (``time_pytorch_function_forward_backward``,
    ``benchmark_step``): its loops repeat a step to measure it, they do not train a model."""
    for node in reversed(list(ancestors)):
        if isinstance(node, cst.FunctionDef) and _BENCHMARK_FUNCTION.search(node.name.value):
            words = node.name.value.lower().split("_")
            return not any(_TRAIN_WORD.match(w) for w in words)
    return False


def _target_names(node: cst.CSTNode) -> set[str]:
    if isinstance(node, cst.Name):
        return {node.value}
    if isinstance(node, (cst.Tuple, cst.List)):
        return set().union(*(_target_names(e.value) for e in node.elements)) if node.elements else set()
    return set()


def hyperparameter_sweep_loop(ctx: "FileContext", loop: cst.For) -> bool:
    """A loop whose variable is itself the value of a hyperparameter slot in its body (``for k in
    range(1, 11): KMeans(n_clusters=k).fit(X)``, the elbow method): it fits one model per value of
    a hyperparameter, so its range is a search space, not a number of epochs or steps. The
    variable may also go, as it is, to a keyword that is a slot of some catalogued callable
    (``fit_tree(X, y, max_depth=depth)``). A value computed from the variable
    (``batch_size=32 * (epoch + 1)``, a schedule over the epochs) does not make the loop a sweep."""
    names = _target_names(loop.target)
    if not names:
        return False
    catalogue = ctx.catalogue
    for node in _walk_names_and_calls(loop.body):
        if not isinstance(node, cst.Call):
            continue
        bare = [a for a in node.args if isinstance(a.value, cst.Name) and a.value.value in names]
        if not bare:
            continue
        if any(slot.argument is argument for slot in slot_arguments(ctx, node) for argument in bare):
            return True
        for argument in bare:
            keyword = argument.keyword.value if argument.keyword is not None else None
            if keyword in catalogue.slot_names and keyword not in catalogue.epoch_keywords:
                return True
    return False


def drop_evaluation_batch_sizes(ctx: "FileContext", call: cst.Call, slots: list[SlotArgument]) -> list[SlotArgument]:
    """Without the batch sizes of an evaluation-only loader (RULES: not scored; an engineer does
    not tune them as training hyperparameters)."""
    def loader_batch_size(slot: SlotArgument) -> bool:
        return "batch_size" in slot.slot and "train" not in slot.slot  # not per_device_train_batch_size

    if not any(loader_batch_size(s) for s in slots):
        return slots
    if not evaluation_only_call(ctx, call, ctx.stack):
        return slots
    return [s for s in slots if not loader_batch_size(s)]


_LR_FINDER = re.compile(r"^(find_(lr|learning_rate)s?|(lr|learning_rate)_?find(er)?|range_test)$", re.I)


def keyword_value_acceptable(slot: SlotArgument) -> bool:
    """For keyword matches on unknown callees: numbers and bools only, and no sentinel -1/None;
    a batch size given to an export/inference/evaluation function is not a training hyperparameter."""
    value = slot.argument.value
    if slot.kind == "catalogue":
        return True
    if "batch_size" in slot.slot and _NOT_TRAINING_CALLEE.search(slot.callee.rsplit(".", 1)[-1]):
        return False
    if any(evaluation_name(part) for part in slot.callee.split(".")):
        return False  # evaluator.run(data, max_epochs=1), self._test_v100(num_epochs=2)
    if _LR_FINDER.search(slot.callee.rsplit(".", 1)[-1]):
        return False  # a learning-rate range test is a diagnostic run, not the training run
    if "batch_size" in slot.slot and isinstance(value, cst.Integer) and value.evaluated_value == 1:
        return False  # a single-example batch is a shape (dummy inputs, attention masks), not a tuned value
    if evaluation_only_name(slot.slot):
        return False
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
        return False
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        return False
    return True


def describe_slot(slot: SlotArgument) -> str:
    if slot.kind == "keyword":
        return f"`{slot.slot}` passed to `{slot.callee}`"
    return f"`{slot.slot}` of `{slot.callee}`"


def placeholder_learning_rate(slot: SlotArgument) -> bool:
    """``Adam(params, lr=0, ...)`` wrapped in a warmup scheduler (NoamOpt) that sets the rate:
    a zero learning rate trains nothing, so it is a placeholder, not a chosen value."""
    value = slot.argument.value
    if slot.slot not in ("lr", "learning_rate") or not isinstance(value, (cst.Integer, cst.Float)):
        return False
    return float(value.evaluated_value) == 0.0


def report_literal_slots(rule, call: cst.Call, slots: list[SlotArgument]) -> None:
    """Report each literal argument of ``call`` that fills a hyperparameter slot (HL101, HL105)."""
    from hyperlint.facts.config_sources import suggestion

    for slot in slots:
        if placeholder_learning_rate(slot):
            continue
        value = literal_text(rule.ctx, slot.argument.value)
        rule.report(
            slot.argument.value,
            f"Hard-coded hyperparameter: {describe_slot(slot)} is `{value}`",
            suggestion(rule.ctx, slot.slot, value),
            data={"kind": "slot", "slot": slot.slot, "callee": slot.callee, "call": call},
        )
