"""Training hooks: code a framework runs while it trains, so it runs "during training".

Methods of framework classes (Lightning ``training_step``/``on_train_*``/``*_epoch_end``/
``on_before_optimizer_step``; Keras ``Callback.on_epoch_*``/``on_*batch_*``; Hugging Face
``TrainerCallback.on_*``; XGBoost ``TrainingCallback.after_iteration``; MMEngine/MMCV
``Hook.before_train_epoch``/``after_train_iter``/...), functions handed to a
``callbacks=`` argument (LightGBM callbacks, and the functions a callback factory returns), and
same-file functions those call.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import libcst as cst

from hyperlint.facts.names import dotted

if TYPE_CHECKING:
    from hyperlint.context import FileContext

_LIGHTNING_HOOK = re.compile(
    r"^(training_step|training_step_end|training_epoch_end|optimizer_step|on_before_optimizer_step|"
    r"on_before_backward|on_after_backward|on_before_zero_grad|on_train_\w+|\w+_epoch_end)$"
)
_KERAS_HOOK = re.compile(r"^(on_epoch_\w+|on_\w*batch_\w+)$")
_HF_HOOK = re.compile(r"^on_\w+$")
_BOOSTING_HOOK = re.compile(r"^(after_iteration|before_iteration)$")
_TRAINER_HOOK = re.compile(r"^(training_step|compute_loss)$")  # a transformers/trl Trainer subclass
_KERAS_MODEL_HOOK = re.compile(r"^train_step$")  # a keras.Model subclass's custom step
# the runner calls these inside its training loop; before_train/before_run come before it starts
_MMENGINE_HOOK = re.compile(r"^(before|after)_(train_epoch|train_iter|epoch|iter)$")
_CALLBACK_LIST = re.compile(r"callbacks?$", re.I)


@dataclass(frozen=True)
class Hook:
    framework: str  # lightning | keras | keras-model | transformers | hf-trainer | xgboost | mmengine | boosting | callback | called
    function: cst.FunctionDef
    via: str | None = None  # for functions called from a hook: the hook's name

    def describe(self) -> str:
        name = self.function.name.value
        if self.framework == "called":
            return f"in `{name}`, which runs from the training hook `{self.via}`"
        title = {
            "lightning": "Lightning hook",
            "keras": "Keras callback hook",
            "keras-model": "Keras model's",
            "hf-trainer": "Trainer subclass's",
            "transformers": "TrainerCallback hook",
            "xgboost": "XGBoost callback hook",
            "mmengine": "MMEngine hook",
            "boosting": "boosting callback hook",
            "callback": "training callback",
        }[self.framework]
        return f"in the {title} `{name}`"


def class_framework(node: cst.ClassDef, ctx: "FileContext", depth: int = 0) -> str | None:
    """The training framework a class plugs into through its bases, following same-file bases."""
    if depth > 5:
        return None
    for base in node.bases:
        expr = base.value.value if isinstance(base.value, cst.Subscript) else base.value  # Callback[T]
        name = ctx.qualify(expr) or dotted(expr) or ""
        last = name.rsplit(".", 1)[-1]
        local = ctx.local_classes.get(name)
        if local is not None and local is not node:
            found = class_framework(local, ctx, depth + 1)
            if found:
                return found
            continue
        head = name.split(".", 1)[0]
        if last == "TrainerCallback" or (head == "transformers" and last.endswith("Callback")):
            return "transformers"
        if head in ("transformers", "trl") and last.endswith("Trainer"):
            return "hf-trainer"
        if "keras" in name.split(".") and last == "Model":
            return "keras-model"
        if head in ("pytorch_lightning", "lightning") or last in ("LightningModule", "LightningCallback"):
            return "lightning"
        if "keras" in name.split(".") and ("callbacks" in name.split(".") or last == "Callback"):
            return "keras"
        if head == "xgboost" or last == "TrainingCallback":
            return "xgboost"
        if head in ("mmengine", "mmcv") and last == "Hook":
            return "mmengine"
        if last == "Callback":
            return "callback"  # imported from somewhere we cannot resolve
    return None


def _is_hook_name(framework: str, name: str) -> bool:
    if framework == "lightning":
        return bool(_LIGHTNING_HOOK.match(name))
    if framework == "keras":
        return bool(_KERAS_HOOK.match(name))
    if framework == "transformers":
        return bool(_HF_HOOK.match(name))
    if framework == "xgboost":
        return bool(_BOOSTING_HOOK.match(name))
    if framework == "hf-trainer":
        return bool(_TRAINER_HOOK.match(name))
    if framework == "keras-model":
        return bool(_KERAS_MODEL_HOOK.match(name))
    if framework == "mmengine":
        return bool(_MMENGINE_HOOK.match(name))
    if framework == "callback":
        return bool(_LIGHTNING_HOOK.match(name) or _KERAS_HOOK.match(name) or _BOOSTING_HOOK.match(name))
    return False


class TrainingHooks:
    """Collected during the traversal (``on_call``); queried after it (``hook_for``)."""

    def __init__(self, ctx: "FileContext") -> None:
        self.ctx = ctx
        # names of same-file functions handed to callbacks=, and of factories called there
        self.callback_functions: set[str] = set()
        self.callback_factories: set[str] = set()
        self._hook_functions: dict[str, Hook] | None = None

    # --- collection (engine) ------------------------------------------------------------------
    def on_call(self, call: cst.Call) -> None:
        for arg in call.args:
            if arg.keyword is not None and _CALLBACK_LIST.search(arg.keyword.value):
                self._note_callbacks(arg.value)
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("append", "extend", "insert"):
            if _CALLBACK_LIST.search(dotted(func.value) or "") and call.args:
                self._note_callbacks(call.args[-1].value)

    def _note_callbacks(self, value: cst.BaseExpression, depth: int = 0) -> None:
        if depth > 3:
            return
        if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            for element in value.elements:
                self._note_callbacks(element.value, depth + 1)
        elif isinstance(value, cst.Name):
            binding = self.ctx.bindings.lookup(value.value)
            if binding is not None and binding.kind in ("assign", "annassign") and binding.value is not None:
                self._note_callbacks(binding.value, depth + 1)
            else:
                self.callback_functions.add(value.value)
        elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            self.callback_factories.add(value.func.value)
        elif isinstance(value, cst.BinaryOperation):  # [a, b] + extra
            self._note_callbacks(value.left, depth + 1)
            self._note_callbacks(value.right, depth + 1)

    # --- queries (after the traversal) --------------------------------------------------------
    def hook_for(self, ancestors: Iterable[cst.CSTNode]) -> Hook | None:
        """The training hook the node at ``ancestors`` runs in, innermost function first."""
        ancestors = tuple(ancestors)
        hooks = self._hooks()
        for i in range(len(ancestors) - 1, -1, -1):
            node = ancestors[i]
            if not isinstance(node, cst.FunctionDef):
                continue
            hook = self._direct_hook(node, ancestors[:i])
            if hook is not None:
                return hook
            called = hooks.get(node.name.value)
            if called is not None and called.function is not node:
                return Hook("called", node, called.function.name.value)
        return None

    def _direct_hook(self, function: cst.FunctionDef, outer: tuple[cst.CSTNode, ...]) -> Hook | None:
        name = function.name.value
        owner = outer[-2] if len(outer) >= 2 and isinstance(outer[-2], cst.ClassDef) else None
        if owner is not None:
            framework = class_framework(owner, self.ctx)
            if framework is not None and _is_hook_name(framework, name):
                return Hook(framework, function)
            if framework is None and _BOOSTING_HOOK.match(name):
                return Hook("boosting", function)  # CatBoost/LightGBM-style callback objects need no base
            return None
        if name in self.callback_functions:
            return Hook("callback", function)
        for node in reversed(outer):
            if isinstance(node, cst.FunctionDef) and node.name.value in self.callback_factories:
                return Hook("callback", function)  # returned by a callback factory
        return None

    def _hooks(self) -> dict[str, Hook]:
        """Same-file functions that run from a hook, by name, with the hook they run from."""
        if self._hook_functions is not None:
            return self._hook_functions
        training = self.ctx.training
        owners = {item: cls for cls in self.ctx.local_classes.values() for item in _body(cls)}
        hooks = [node for node in training.function_nodes if self._is_hook_node(node, owners.get(node))]
        hook_names = {node.name.value for node in hooks}
        reached: dict[str, Hook] = {}
        pending = [(callee, node) for node in hooks for callee in training.function_nodes[node].calls]
        while pending:
            name, hook = pending.pop()
            if name in reached or name in hook_names:
                continue
            reached[name] = Hook("hook", hook)
            for frame in training.function_frames.get(name, []):
                pending.extend((callee, hook) for callee in frame.calls)
        self._hook_functions = reached
        return reached

    def _is_hook_node(self, function: cst.FunctionDef, owner: cst.ClassDef | None) -> bool:
        name = function.name.value
        if name in self.callback_functions:
            return True
        if owner is not None:
            framework = class_framework(owner, self.ctx)
            if framework is not None:
                return _is_hook_name(framework, name)
            return bool(_BOOSTING_HOOK.match(name))
        for factory in self.callback_factories:
            for frame in self.ctx.training.function_frames.get(factory, []):
                if function is not frame.node and _contains(frame.node, function):
                    return True
        return False


def _body(node: cst.CSTNode) -> tuple[cst.CSTNode, ...]:
    body = getattr(node, "body", None)
    return tuple(body.body) if isinstance(body, cst.IndentedBlock) else ()


def _contains(outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
    """``inner`` is a function defined (at any depth of blocks) in ``outer``'s body."""
    pending = list(_body(outer))
    while pending:
        node = pending.pop()
        if node is inner:
            return True
        if isinstance(node, (cst.FunctionDef, cst.If, cst.For, cst.While, cst.With, cst.Try)):
            pending.extend(_body(node))
    return False
