"""Is this training code? Training steps, training loops and functions called from them.

Collected during the one traversal: each call is classified once; loops and functions record
the training steps and same-file calls they contain. ``resolve`` then propagates through the
file's own call graph, so a loop that calls ``train_one_epoch(...)`` defined in the same file
is a training loop, and a function it calls runs during training.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from hyperlint.facts.names import ImportTable, dotted

_STEP_METHODS = frozenset(
    {
        "backward",
        "manual_backward",
        "fit",
        "fit_generator",
        "partial_fit",
        "train_on_batch",
        "apply_gradients",
        "apply_updates",
        "minimize",
    }
)
_QUALIFIED_STEPS = frozenset(
    {
        "optax.apply_updates",
        "xgboost.train",
        "lightgbm.train",
        "catboost.train",
        "torch.autograd.backward",
    }
)
_OPTIMIZER_RECEIVER = re.compile(r"(^|_)(opt|optim|optimizer|optimiser|optimizers|solver)s?(_|$)|optim", re.I)
_TRAIN_FUNCTION = re.compile(r"^(train|train_\w+|\w+_train|\w+_train_step|training_step|fit_\w+|update_step|learn)$")
# calls that wrap a function handed to them without running it
_WRAPPERS = frozenset({"jit", "pmap", "vmap", "pjit", "xmap", "shard_map", "compile", "function", "partial",
                       "value_and_grad", "grad", "checkpoint", "remat", "with_transform", "set_transform"})
# names that fit the pattern above but prepare data: train_test_split, fit_quantile_transform, load_train
_DATA_FUNCTION = re.compile(
    r"_(test_split|split|splits|transforms?|scaler|tokenizer|normali[sz]er|imputer|vectori[sz]er|loaders?|datasets?|"
    r"data|sampler|iter|generator|features?|resize|crop|flip|rotate|augment|augmentation|augs?|tfms?|collate|"
    r"collator)$|^(load|get|read|prepare|make|create|split|download|preprocess)_")
_TRAINER_RECEIVER = re.compile(r"trainer|learner|agent", re.I)


def callee_name(call: cst.Call) -> str | None:
    """The same-file function a call may refer to: ``f(...)`` or ``self.f(...)``."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        if isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            return func.attr.value
        # agent.learn(): a method of a class defined in this file; not model.train()/eval() mode switches
        if func.attr.value in ("train", "eval") and not call.args:
            return None
        return func.attr.value
    return None


def is_training_step(call: cst.Call, imports: ImportTable, local_functions: set[str]) -> bool:
    func = call.func
    qualified = imports.qualify(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
    if qualified in _QUALIFIED_STEPS:
        return True
    if isinstance(func, cst.Attribute):
        method = func.attr.value
        receiver = dotted(func.value) or ""
        last = receiver.rsplit(".", 1)[-1]
        if method in _STEP_METHODS:
            if method == "minimize" and not _OPTIMIZER_RECEIVER.search(last):
                return False
            if method in ("fit", "partial_fit") and _fits_a_preprocessor(func.value, last):
                return False  # scaler.fit(X), LabelEncoder().fit(y): preprocessing, not training
            return True
        if method == "step":
            # optimizer.step() / scaler.step(optimizer); not env.step(action) or scheduler.step()
            if _OPTIMIZER_RECEIVER.search(last) and "sched" not in last.lower():
                return True
            if last.endswith("scaler") and call.args:
                return True
            return False
        if method == "train" and _TRAINER_RECEIVER.search(last) and qualified is None:
            return True
        if method in ("train", "cv") and qualified and qualified.split(".")[0] in ("xgboost", "lightgbm", "catboost"):
            return method == "train"
        return False
    if isinstance(func, cst.Name):
        name = func.value
        if name in local_functions:
            return False  # decided by the call graph
        return bool(_TRAIN_FUNCTION.match(name)) and not _DATA_FUNCTION.search(name) and bool(call.args)
    return False


_PREPROCESSOR_NAME = re.compile(
    r"^(\w+_)?(scaler|encoder|label_encoder|imputer|vectorizer|vectoriser|tokenizer|normalizer|normaliser|binarizer|"
    r"discretizer|selector|pca|svd|tfidf|preprocessor|featurizer|le|ohe|enc)s?$", re.I)
_PREPROCESSOR_CLASS = re.compile(
    r"(Scaler|Encoder|Imputer|Vectorizer|Normalizer|Binarizer|Discretizer|PCA|SVD|Features|Selector|SelectKBest|"
    r"ColumnTransformer|FunctionTransformer|QuantileTransformer|PowerTransformer)$")


def _fits_a_preprocessor(receiver: cst.BaseExpression, last: str) -> bool:
    if isinstance(receiver, cst.Call):  # StandardScaler().fit(X)
        return bool(_PREPROCESSOR_CLASS.search((dotted(receiver.func) or "").rsplit(".", 1)[-1]))
    return bool(_PREPROCESSOR_NAME.match(last))


@dataclass
class _Frame:
    node: cst.CSTNode
    direct: bool = False
    calls: set[str] = field(default_factory=set)


class TrainingFacts:
    def __init__(self, imports: ImportTable, local_functions: set[str]) -> None:
        self.imports = imports
        self.local_functions = local_functions
        self._loops: list[_Frame] = []
        self._functions: list[_Frame] = []
        self.loop_frames: dict[cst.CSTNode, _Frame] = {}
        self.function_frames: dict[str, list[_Frame]] = {}
        self.function_nodes: dict[cst.CSTNode, _Frame] = {}
        # each training call with the ancestors it was found under
        self.step_calls: list[tuple[cst.Call, tuple[cst.CSTNode, ...]]] = []
        # each call of a same-file function, with its ancestors (a training call if the callee trains)
        self.local_calls: list[tuple[str, cst.Call, tuple[cst.CSTNode, ...]]] = []
        # the file's classes (set by the FileContext), to tell methods from module-level functions
        self.local_classes: dict[str, cst.ClassDef] = {}
        self._methods_seen = -1
        self._method_names: set[str] = set()
        self._resolved = False
        self._trains: dict[str, bool] = {}
        self._called_from_training: set[str] = set()

    # --- collection (engine) ------------------------------------------------------------------
    def enter_loop(self, node: cst.CSTNode) -> None:
        frame = _Frame(node)
        self._loops.append(frame)
        self.loop_frames[node] = frame

    def leave_loop(self) -> None:
        self._loops.pop()

    def enter_function(self, node: cst.FunctionDef) -> None:
        frame = _Frame(node)
        self._functions.append(frame)
        self.function_frames.setdefault(node.name.value, []).append(frame)
        self.function_nodes[node] = frame

    def leave_function(self) -> None:
        self._functions.pop()

    def on_call(self, call: cst.Call, ancestors: list[cst.CSTNode]) -> None:
        if is_training_step(call, self.imports, self.local_functions):
            for frame in self._loops:
                frame.direct = True
            if self._functions:
                self._functions[-1].direct = True
            self.step_calls.append((call, tuple(ancestors)))
            return
        name = callee_name(call)
        if name is not None and name in self.local_functions and self._may_call_local(call, name):
            self._note_local_call(name, call, ancestors)
        # a same-file function handed to a call runs from it: strategy.run(train_step, ...),
        # mp.spawn(main_worker, ...), pool.map(train_fold, folds)
        # (jax.pmap(train_step), functools.partial(train, ...) only wrap it: it does not run there)
        wraps = (dotted(call.func) or "").rsplit(".", 1)[-1] in _WRAPPERS
        for arg in call.args:
            value = arg.value
            if isinstance(value, cst.Name) and value.value in self.local_functions and value.value != name:
                self._note_local_call(value.value, call, ancestors, runs=not wraps)

    def _note_local_call(self, name: str, call: cst.Call, ancestors, runs: bool = True) -> None:
        if runs:
            self.local_calls.append((name, call, tuple(ancestors)))
        for frame in self._loops:
            frame.calls.add(name)
        if self._functions:
            self._functions[-1].calls.add(name)

    def _may_call_local(self, call: cst.Call, name: str) -> bool:
        """``obj.name()`` on some object can only reach a method of a same-file class, not a
        module-level function that happens to share the name (``callbacks.run(...)`` vs ``def run``)."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return True
        if isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            return True
        if len(self.local_classes) != self._methods_seen:
            self._methods_seen = len(self.local_classes)
            self._method_names = {
                item.name.value
                for cls in self.local_classes.values()
                if isinstance(cls.body, cst.IndentedBlock)
                for item in cls.body.body
                if isinstance(item, cst.FunctionDef)
            }
        return name in self._method_names

    # --- queries (rules, after the traversal) -------------------------------------------------
    def resolve(self) -> None:
        if self._resolved:
            return
        self._resolved = True
        trains = {name: any(f.direct for f in frames) for name, frames in self.function_frames.items()}
        changed = True
        while changed:
            changed = False
            for name, frames in self.function_frames.items():
                if trains[name]:
                    continue
                if any(trains.get(callee) for f in frames for callee in f.calls):
                    trains[name] = True
                    changed = True
        self._trains = trains
        pending = [c for frame in self.loop_frames.values() if self._frame_trains(frame) for c in frame.calls]
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            for frame in self.function_frames.get(name, []):
                pending.extend(frame.calls)
        self._called_from_training = seen

    def _frame_trains(self, frame: _Frame) -> bool:
        return frame.direct or any(self._trains.get(name) for name in frame.calls)

    def loop_trains(self, loop: cst.CSTNode) -> bool:
        """The loop runs a training step, directly or through same-file functions."""
        self.resolve()
        frame = self.loop_frames.get(loop)
        return frame is not None and self._frame_trains(frame)

    def function_trains(self, function: cst.FunctionDef) -> bool:
        self.resolve()
        return bool(self._trains.get(function.name.value))

    def called_from_training_loop(self, function: cst.FunctionDef) -> bool:
        self.resolve()
        return function.name.value in self._called_from_training

    def in_training_loop(self, ancestors: tuple[cst.CSTNode, ...] | list[cst.CSTNode]) -> cst.CSTNode | None:
        """The innermost enclosing training loop (in the same function), if any."""
        for node in reversed(ancestors):
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                return None
            if isinstance(node, (cst.For, cst.While)) and self.loop_trains(node):
                return node
        return None

    def enclosing_function(self, ancestors) -> cst.FunctionDef | None:
        for node in reversed(ancestors):
            if isinstance(node, cst.FunctionDef):
                return node
        return None

    def training_calls(self) -> list[tuple[cst.Call, tuple[cst.CSTNode, ...]]]:
        """Training steps, and calls of same-file functions that train (``train(model, args)``)."""
        self.resolve()
        calls = list(self.step_calls)
        calls.extend((call, ancestors) for name, call, ancestors in self.local_calls if self._trains.get(name))
        return calls

    def after_training_call(self, ancestors: tuple[cst.CSTNode, ...] | list[cst.CSTNode]) -> bool:
        """A training call ran earlier in the same straight-line block (``.fit(`` then edit)."""
        return self.first_training_call_before(ancestors) is not None

    def first_training_call_before(self, ancestors) -> cst.Call | None:
        """The training call that runs before the node at ``ancestors`` in the same straight-line
        code: an earlier statement of a block both are in, neither inside a def/class/lambda
        below that block (defining a function runs nothing)."""
        calls = self.training_calls_before(ancestors, first_only=True)
        return calls[0] if calls else None

    def training_calls_before(self, ancestors, first_only: bool = False) -> list[cst.Call]:
        """Every training call that runs before the node at ``ancestors`` in straight-line code."""
        found: list[cst.Call] = []
        for call, call_ancestors in self.training_calls():
            if found and first_only:
                break
            # find the deepest block shared by both, then compare statement order in it
            for depth in range(min(len(call_ancestors), len(ancestors)) - 1):
                if call_ancestors[depth] is not ancestors[depth]:
                    break
                block = ancestors[depth]
                body = _block_statements(block)
                if body is None:
                    continue
                mine, theirs = ancestors[depth + 1], call_ancestors[depth + 1]
                if mine is theirs:
                    continue
                if _defines_scope(call_ancestors[depth + 1 :]) or _defines_scope(ancestors[depth + 1 :]):
                    break
                try:
                    if _index(body, theirs) < _index(body, mine):
                        found.append(call)
                except ValueError:
                    pass
                break
        return found


def _defines_scope(path) -> bool:
    return any(isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) for node in path)


def _block_statements(node: cst.CSTNode):
    if isinstance(node, cst.Module):
        return node.body
    if isinstance(node, (cst.IndentedBlock,)):
        return node.body
    return None


def _index(seq, item) -> int:
    for i, element in enumerate(seq):
        if element is item:
            return i
    raise ValueError
