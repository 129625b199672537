"""Learned parameters, by data flow within one file.

Answers "is this expression a model's learned parameter (or a collection of them)?" for the
HL2 rules: names bound from ``model.parameters()``, ``named_parameters()``, ``state_dict()``,
``weight``/``bias`` attributes and registered ``nn.Parameter``s, tensors created with
``requires_grad=True``, Keras ``layer.kernel`` / ``trainable_variables``, fitted scikit-learn
estimators and flax/JAX params trees. Values are followed through assignments, tuple
unpacking, ``for`` targets, ``zip``/``enumerate``/``list``/comprehensions, ``self.<attr>``
assignments and, one call deep, the arguments of same-file functions.

It also holds the context facts the rules need about *where* a write happens: initialisation
functions (incl. functions passed to ``module.apply``), optimizer implementations, averaged
copies (EMA / Polyak / SWA / target networks), loading code and training code.

Resolution runs while the tree is walked (name bindings are only current then); what depends
on the rest of the file (call sites, ``.apply`` targets) is settled in ``materialize`` and the
context predicates, which the rules call from ``finish``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Union

import libcst as cst

from hyperlint.facts.bindings import Binding
from hyperlint.facts.names import dotted

if TYPE_CHECKING:
    from hyperlint.context import FileContext

# --- the abstract values ---------------------------------------------------------------------


@dataclass(frozen=True)
class Learned:
    """One learned parameter (or a sub-tree / view of one)."""

    framework: str  # torch | tf | flax | sklearn
    owner: str | None  # source text of the module / layer / estimator it belongs to
    origin: str  # how it was recognised, for messages: "an element of `model.parameters()`"
    from_state_dict: bool = False
    raw_variable: bool = False  # a bare tensor / hand-made tf.Variable, not a module's attribute
    data_shaped: bool = False  # made from another tensor (``zeros_like(x)``, ``x.clone().requires_grad_()``)


@dataclass(frozen=True)
class Many:
    """An iterable whose elements are ``element``."""

    element: "Value"


@dataclass(frozen=True)
class Mapping:
    """A ``state_dict()``-like mapping from names to learned values."""

    value: "Value"
    owner: str | None
    origin: str


@dataclass(frozen=True)
class Pack:
    """A tuple of values (``zip``/``enumerate`` elements, ``named_parameters()`` pairs)."""

    items: tuple["Value", ...]


@dataclass(frozen=True)
class Gradient:
    """A gradient (``p.grad``, ``torch.autograd.grad(...)``, ``tape.gradient(...)``, ``jax.grad``)."""


@dataclass(frozen=True)
class Deferred:
    """A parameter of a same-file function; settled from its call sites in ``materialize``."""

    function: cst.FunctionDef
    param: str
    ops: tuple = ()


Value = Union[Learned, Many, Mapping, Pack, Gradient, Deferred, None]


def _many(element: Value) -> Value:
    return Many(element) if element is not None else None


def is_learned(value: Value) -> bool:
    return isinstance(value, Learned)


# --- names -------------------------------------------------------------------------------------

# attributes that are learned parameters of a torch module
TORCH_PARAMETER_ATTR = re.compile(
    r"^(weight|bias|weight_(ih|hh)_l\d+(_reverse)?|bias_(ih|hh)_l\d+(_reverse)?|in_proj_(weight|bias)|"
    r"weight_[gv]|weight_orig|bias_orig|logit_scale|logit_bias)$"
)
# Keras/TF layer attributes holding trainable variables
TF_VARIABLE_ATTR = frozenset({"kernel", "recurrent_kernel", "depthwise_kernel", "pointwise_kernel", "embeddings",
                              "bias"})
TF_VARIABLE_LISTS = frozenset({"trainable_variables", "trainable_weights", "weights", "variables"})
_TORCH_FACTORIES = frozenset({
    "tensor", "as_tensor", "randn", "rand", "zeros", "ones", "empty", "full", "normal", "randint", "eye", "arange",
    "linspace", "randn_like", "rand_like", "zeros_like", "ones_like", "empty_like", "full_like",
})
_SAME_STORAGE = frozenset({"detach", "requires_grad_", "view", "view_as", "t", "narrow", "squeeze", "unsqueeze",
                           "transpose", "permute", "expand", "expand_as"})
_ITERABLE_WRAPPERS = frozenset({"list", "tuple", "sorted", "reversed", "iter", "set", "builtins.list"})
_NOT_MODULE_RECEIVER = re.compile(r"(^|_)(opt|optim|optimizer|optimiser|sched|scheduler|scaler|lr_scheduler)s?($|_)|"
                                  r"optimizer|scheduler", re.I)
_GRADIENT_CALLS = frozenset({"torch.autograd.grad", "jax.grad", "jax.value_and_grad", "jax.jacrev", "jax.jacfwd",
                             "tensorflow.gradients", "tensorflow.compat.v1.gradients"})
_TREE_MAP = frozenset({"jax.tree_map", "jax.tree_util.tree_map", "jax.tree.map", "jax.tree_multimap",
                       "jax.tree_util.tree_multimap", "optax.tree_map", "tree_util.tree_map"})
_FLAX_UNFREEZE = frozenset({"flax.core.unfreeze", "flax.core.freeze", "flax.core.frozen_dict.unfreeze",
                            "flax.core.frozen_dict.freeze", "flax.core.copy"})

# words in names that say "this is an averaged / target copy"
_AVERAGE_WORDS = frozenset({
    "ema", "avg", "average", "averaged", "averaging", "swa", "polyak", "shadow", "target", "targets", "tgt",
    "teacher", "moving", "slow", "old", "k", "key", "lerp", "targ",
})
_INIT_NAME = re.compile(r"(^|_)init|init($|_)|initiali[sz]e|^_?reset_(parameters|weights|params|head)", re.I)
_LOAD_NAME = re.compile(
    r"(^|_)(load|loads|restore|convert|remap|migrate|upgrade|port|transplant|surgery|inflate|merge|unmerge|fuse|unfuse|"
    r"fold|shard|quantize|dequantize|export|deploy|switch_to_deploy|reparameterize|reparam)(_|$|[a-z]*$)|"
    r"from_pretrained|(^|_)(resize|interpolate)_\w*(embed|pos|weight|checkpoint|ckpt|state)", re.I)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def name_words(text: str | None) -> set[str]:
    """Lower-case words of an identifier or dotted name: ``self.encoder_k`` -> {self, encoder, k}."""
    if not text:
        return set()
    words: set[str] = set()
    for part in re.split(r"[^A-Za-z0-9]+", text):
        for word in _CAMEL.findall(part):
            words.add(word.lower())
    return words


_AVERAGE_PHRASE = re.compile(
    r"momentum_?(encoder|update|model|net|network|teacher|branch)|update_?momentum|soft_?update|hard_?update|"
    r"update_?target|target_?update|sync_?target|moving_?average|weight_?averag", re.I)


def says_averaged(text: str | None) -> bool:
    return bool(text) and (bool(name_words(text) & _AVERAGE_WORDS) or bool(_AVERAGE_PHRASE.search(text)))


def _qualified(ctx: "FileContext", node: cst.BaseExpression) -> str:
    return ctx.imports.qualify_or_dotted(node) or "" if isinstance(node, (cst.Name, cst.Attribute)) else ""


def _literal_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def target_path(target: cst.BaseExpression, name: str) -> tuple[int, ...] | None:
    """Where ``name`` sits in an assignment / for target: () for the whole target, (1,) for the
    second element of a tuple, (1, 0) for ``_, (x, _)``..."""
    if isinstance(target, cst.Name):
        return () if target.value == name else None
    if isinstance(target, (cst.Tuple, cst.List)):
        for i, element in enumerate(target.elements):
            inner = target_path(element.value, name)
            if inner is not None:
                return (i, *inner)
    if isinstance(target, cst.StarredElement):  # ``*rest``: stands for the elements from here on
        return target_path(target.value, name)
    return None


# --- the facts ---------------------------------------------------------------------------------


@dataclass
class CallSite:
    positional: tuple[Value, ...]
    keywords: dict[str, Value]
    via_instance: bool  # self.f(...) / obj.f(...): the callee's first parameter is the instance


@dataclass
class ParameterFacts:
    ctx: "FileContext"
    # functions (by name) and lambdas (by id) handed to ``X.apply(...)``
    apply_targets: set[str] = field(default_factory=set)
    apply_lambdas: set[int] = field(default_factory=set)
    # methods a class's __init__ calls on self: class node id -> names
    init_called: dict[int, set[str]] = field(default_factory=dict)
    # modules that are copies of another one: deepcopy, AveragedModel, load_state_dict(other.state_dict())
    copy_owners: set[str] = field(default_factory=set)
    # modules whose parameters the file freezes (``requires_grad = False`` / ``requires_grad_(False)``)
    frozen_owners: set[str] = field(default_factory=set)
    # attribute names registered as nn.Parameter somewhere in the file
    registered: set[str] = field(default_factory=set)
    # self.<attr> = value, per class node id
    self_attrs: dict[tuple[int, str], list[cst.BaseExpression]] = field(default_factory=dict)
    # names (scope node id, name) made trainable with .requires_grad_() or passed to a gradient call
    trainable_names: dict[tuple[int, str], str] = field(default_factory=dict)
    # dotted texts of tf variables passed as tape.gradient sources / var_list
    differentiated: set[str] = field(default_factory=set)
    # functions that compute gradients or run a training step themselves
    gradient_functions: set[int] = field(default_factory=set)
    call_sites: dict[str, list[CallSite]] = field(default_factory=dict)
    functions: dict[str, list[cst.FunctionDef]] = field(default_factory=dict)
    # calls of same-file functions by name, with their ancestors
    local_calls: list[tuple[str, tuple[cst.CSTNode, ...]]] = field(default_factory=list)
    # gradient computations and optimizer steps (``loss.backward()``, ``tape.gradient``, ``jax.grad``)
    gradient_calls: list[tuple[cst.CSTNode, ...]] = field(default_factory=list)

    # --- collection (called from the rules' visitors, during the walk) -------------------------
    def observe_function(self, node: cst.FunctionDef) -> None:
        self.functions.setdefault(node.name.value, []).append(node)

    def observe_call(self, call: cst.Call) -> None:
        ctx = self.ctx
        func = call.func
        qualified = _qualified(ctx, func)
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        function = ctx.enclosing_function()

        if method == "apply" and len(call.args) == 1 and call.args[0].keyword is None:
            target = call.args[0].value
            if isinstance(target, cst.Name):
                self.apply_targets.add(target.value)
            elif isinstance(target, cst.Attribute):
                self.apply_targets.add(target.attr.value)
            elif isinstance(target, cst.Lambda):
                self.apply_lambdas.add(id(target))
            elif isinstance(target, cst.Call):  # functools.partial(init_fn, ...)
                inner = target.args[0].value if target.args else None
                if isinstance(inner, (cst.Name, cst.Attribute)):
                    self.apply_targets.add(dotted(inner).rsplit(".", 1)[-1] if dotted(inner) else "")

        if (
            function is not None and function.name.value == "__init__" and isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name) and func.value.value == "self"
        ):
            owner = ctx.enclosing_class()
            if owner is not None:
                self.init_called.setdefault(id(owner), set()).add(method or "")

        if method == "load_state_dict" and call.args and isinstance(func, cst.Attribute):
            source = self.resolve(call.args[0].value)
            receiver = dotted(func.value)
            if isinstance(source, Mapping) and source.owner and receiver and source.owner != receiver:
                self.copy_owners.add(receiver)
        elif method == "set_weights" and call.args and isinstance(func, cst.Attribute):
            value = call.args[0].value
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                    and value.func.attr.value == "get_weights":
                receiver, source = dotted(func.value), dotted(value.func.value)
                if receiver and source != receiver:
                    self.copy_owners.add(receiver)
        elif method == "requires_grad_" and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            if not call.args or _literal_true(call.args[0].value):
                self._mark_trainable(func.value.value, "torch")
        if method == "requires_grad_" and call.args and isinstance(call.args[0].value, cst.Name) \
                and call.args[0].value.value == "False" and isinstance(func, cst.Attribute):
            self._note_frozen(func.value)

        if method == "gradient" and len(call.args) >= 2:  # tape.gradient(loss, sources)
            self._note_differentiated(call.args[1].value)
        var_list = _keyword(call, "var_list")
        if var_list is not None:
            self._note_differentiated(var_list.value)
        # jax.grad(f)(params, ...): the first argument is a learned params tree
        if isinstance(func, cst.Call) and _qualified(ctx, func.func) in _GRADIENT_CALLS and call.args:
            first = call.args[0].value
            if isinstance(first, cst.Name):
                self._mark_trainable(first.value, "flax")

        if (
            method in ("backward", "gradient", "apply_gradients", "minimize", "manual_backward")
            or qualified in _GRADIENT_CALLS
            or (isinstance(func, cst.Call) and _qualified(ctx, func.func) in _GRADIENT_CALLS)
            or (method == "step" and _NOT_MODULE_RECEIVER.search(dotted(func.value) or "")
                and "sched" not in (dotted(func.value) or "").lower())
        ):
            self.gradient_calls.append(tuple(ctx.stack))
            if function is not None:
                self.gradient_functions.add(id(function))

        name, via_instance = None, False
        if isinstance(func, cst.Name):
            name = func.value
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            name, via_instance = func.attr.value, True
        if name is not None and (name in ctx.local_functions or name in self.functions):
            self.local_calls.append((name, tuple(ctx.stack)))
        if name is not None and (name in ctx.local_functions or name in self.functions) and call.args:
            positional: list[Value] = []
            keywords: dict[str, Value] = {}
            for arg in call.args:
                if arg.star:
                    break
                value = self.resolve(arg.value)
                if arg.keyword is not None:
                    keywords[arg.keyword.value] = value
                else:
                    positional.append(value)
            if any(v is not None for v in positional) or any(v is not None for v in keywords.values()):
                self.call_sites.setdefault(name, []).append(CallSite(tuple(positional), keywords, via_instance))

    def _mark_trainable(self, name: str, framework: str) -> None:
        binding = self.lookup(name)
        scope = binding.scope.node if binding is not None and binding.scope is not None else self.ctx.module
        if framework == "torch" and binding is not None and (binding.kind == "param" or _made_from_tensor(binding.value)):
            framework = "torch-data"
        self.trainable_names.setdefault((id(scope), name), framework)

    def _note_differentiated(self, node: cst.BaseExpression) -> None:
        elements = node.elements if isinstance(node, (cst.List, cst.Tuple)) else [node]
        for element in elements:
            value = element.value if isinstance(element, (cst.Element, cst.StarredElement)) else element
            text = dotted(value)
            if text:
                self.differentiated.add(self.variable_key(text))

    def variable_key(self, text: str) -> str:
        """A name by the binding it refers to here (so a rebound ``x`` is another variable); an
        attribute chain by its text."""
        if "." in text:
            return text
        binding = self.lookup(text)
        return f"{text}@{id(binding)}" if binding is not None else text

    def observe_assign(self, node: cst.Assign | cst.AnnAssign) -> None:
        ctx = self.ctx
        value = node.value
        if value is None:
            return
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        is_parameter = isinstance(value, cst.Call) and _qualified(ctx, value.func) in (
            "torch.nn.Parameter", "torch.nn.parameter.Parameter", "nn.Parameter", "Parameter")
        for target in targets:
            if isinstance(target, cst.Attribute) and target.attr.value == "requires_grad" \
                    and isinstance(value, cst.Name) and value.value == "False":
                self._note_frozen(target.value)
            if isinstance(target, cst.Attribute):
                if is_parameter:
                    self.registered.add(target.attr.value)
                if isinstance(target.value, cst.Name) and target.value.value == "self":
                    owner = ctx.enclosing_class()
                    if owner is not None:
                        self.self_attrs.setdefault((id(owner), target.attr.value), []).append(value)
            text = dotted(target)
            if text and isinstance(value, cst.Call):
                callee = _qualified(ctx, value.func)
                last = callee.rsplit(".", 1)[-1]
                if last in ("deepcopy", "AveragedModel", "clone_model") or callee == "copy.copy":
                    self.copy_owners.add(text)

    def _note_frozen(self, node: cst.BaseExpression) -> None:
        """``model.requires_grad_(False)`` or ``p.requires_grad = False`` for ``p`` of a model."""
        value = self.resolve(node)
        while isinstance(value, Many):
            value = value.element
        if isinstance(value, Learned) and value.owner:
            self.frozen_owners.add(value.owner)
        elif isinstance(node, (cst.Name, cst.Attribute)) and dotted(node):
            self.frozen_owners.add(dotted(node))

    def frozen_copy_of_another(self, owner: str | None, sources: set[str | None]) -> bool:
        """The written model is frozen and the new values come from another model's weights: an
        averaged / target copy (no gradient trains it, so no optimizer is bypassed), whatever it
        is called."""
        return bool(owner) and owner in self.frozen_owners and any(s and s != owner for s in sources)

    def observe_register_parameter(self, call: cst.Call) -> None:
        if call.args and isinstance(call.args[0].value, cst.SimpleString):
            self.registered.add(call.args[0].value.evaluated_value or "")

    # --- bindings -----------------------------------------------------------------------------
    def lookup(self, name: str, avoid: frozenset = frozenset()) -> Binding | None:
        binding = self.ctx.bindings.lookup(name)
        if binding is None:
            return None
        if binding.kind != "augassign" and binding not in avoid:
            return binding
        scope = binding.scope
        if scope is None:
            return None
        candidates = scope.bindings.get(name) or []
        if scope.kind == "module" and not candidates:
            candidates = self.ctx.bindings.module_all.get(name, [])
        for earlier in reversed(candidates):
            if earlier.kind != "augassign" and earlier not in avoid:
                return earlier
        return None

    # --- resolution ---------------------------------------------------------------------------
    def resolve(self, expr: cst.BaseExpression | None, env: dict | None = None, depth: int = 0,
                avoid: frozenset = frozenset()) -> Value:
        if expr is None or depth > 14:
            return None
        if isinstance(expr, cst.Name):
            if env and expr.value in env:
                return env[expr.value]
            return self._resolve_name(expr.value, depth, avoid)
        if isinstance(expr, cst.Attribute):
            return self._resolve_attribute(expr, env, depth, avoid)
        if isinstance(expr, cst.Call):
            return self._resolve_call(expr, env, depth, avoid)
        if isinstance(expr, cst.Subscript):
            base = self.resolve(expr.value, env, depth + 1, avoid)
            return self.subscript(base, expr)
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            inner = self.comprehension_env(expr.for_in, env, depth, avoid)
            return _many(self.resolve(expr.elt, inner, depth + 1, avoid))
        if isinstance(expr, cst.DictComp):
            inner = self.comprehension_env(expr.for_in, env, depth, avoid)
            value = self.resolve(expr.value, inner, depth + 1, avoid)
            return Mapping(value, getattr(value, "owner", None), "a dict of parameters") if value is not None else None
        if isinstance(expr, (cst.List, cst.Tuple)):
            items = tuple(
                self.resolve(e.value, env, depth + 1, avoid) if isinstance(e, cst.Element) else None
                for e in expr.elements
            )
            return Pack(items) if any(item is not None for item in items) else None
        if isinstance(expr, cst.IfExp):
            return self.resolve(expr.body, env, depth + 1, avoid) or self.resolve(expr.orelse, env, depth + 1, avoid)
        if isinstance(expr, cst.NamedExpr):
            return self.resolve(expr.value, env, depth + 1, avoid)
        return None

    def comprehension_env(self, comp: cst.CompFor | None, env, depth, avoid) -> dict:
        inner = dict(env or {})
        while comp is not None:
            element = self.element(self.resolve(comp.iter, inner, depth + 1, avoid))
            for name, path in _names_with_paths(comp.target):
                inner[name] = self.follow(element, path)
            comp = comp.inner_for_in
        return inner

    def _resolve_name(self, name: str, depth: int, avoid: frozenset) -> Value:
        binding = self.lookup(name, avoid)
        scope_id = id(binding.scope.node) if binding is not None and binding.scope is not None else id(self.ctx.module)
        framework = self.trainable_names.get((scope_id, name))
        if framework in ("torch", "torch-data"):
            return Learned("torch", name, f"`{name}`, a tensor trained from its gradient", raw_variable=True,
                           data_shaped=framework == "torch-data")
        if framework == "flax":
            return Learned("flax", name, f"the params tree `{name}`")
        if binding is None:
            return None
        avoid = avoid | {binding}
        statement = binding.statement
        if binding.kind == "for" and isinstance(statement, cst.For):
            path = target_path(statement.target, name)
            if path is None:
                return None
            return self.follow(self.element(self.resolve(statement.iter, None, depth + 1, avoid)), path)
        if binding.kind in ("assign", "unpack", "annassign", "walrus"):
            path: tuple[int, ...] | None = ()
            if isinstance(statement, cst.Assign):
                path = None
                for target in statement.targets:
                    path = target_path(target.target, name)
                    if path is not None:
                        break
                if path is None:
                    return None
            return self.follow(self.resolve(binding.value, None, depth + 1, avoid), path)
        if binding.kind == "param" and isinstance(binding.scope.node if binding.scope else None, cst.FunctionDef):
            param = statement
            annotation = param.annotation.annotation if isinstance(param, cst.Param) and param.annotation else None
            if annotation is not None and (_qualified(self.ctx, annotation).endswith("Parameter")):
                return Learned("torch", name, f"`{name}`, an `nn.Parameter`")
            return Deferred(binding.scope.node, name)
        return None

    def _resolve_attribute(self, expr: cst.Attribute, env, depth, avoid) -> Value:
        attr = expr.attr.value
        receiver = expr.value
        owner = dotted(receiver) or self._text(receiver)
        if attr == "data":
            return self.resolve(receiver, env, depth + 1, avoid)
        if attr == "grad":
            return Gradient()
        if attr in ("params",) and isinstance(receiver, (cst.Name, cst.Attribute)) and self._uses_jax() and (
            (dotted(receiver) or "").rsplit(".", 1)[-1].endswith("state")
        ):
            return Learned("flax", owner, f"`{owner}.params`")
        if TORCH_PARAMETER_ATTR.match(attr) or attr in self.registered:
            if self._plain_self_attribute(receiver, attr):
                return None
            framework = "torch"
            return Learned(framework, owner, f"`{self._text(expr)}`", raw_variable=self._plain_instance(receiver))
        if attr in TF_VARIABLE_ATTR:
            return Learned("tf", owner, f"`{self._text(expr)}`", raw_variable=self._plain_instance(receiver))
        if attr in TF_VARIABLE_LISTS:
            return Many(Learned("tf", owner, f"an element of `{self._text(expr)}`"))
        if attr == "best_estimator_":
            return Learned("sklearn", self._text(expr), f"`{self._text(expr)}`")
        if isinstance(receiver, cst.Name) and receiver.value == "self":
            owner_class = self.ctx.enclosing_class()
            if owner_class is not None:
                for value in self.self_attrs.get((id(owner_class), attr), []):
                    found = self.resolve(value, None, depth + 1, avoid)
                    if found is not None:
                        return found
        return None

    def _plain_self_attribute(self, receiver: cst.BaseExpression, attr: str) -> bool:
        """``self.weight`` in a class that is not a torch/keras module (a numpy model written
        from scratch, a loss with class weights) is not a registered parameter."""
        if not (isinstance(receiver, cst.Name) and receiver.value == "self"):
            return False
        owner = self.ctx.enclosing_class()
        if owner is None:
            return False
        if attr in self.registered:
            return False
        return not self.is_module_class(owner)

    def _plain_instance(self, receiver: cst.BaseExpression) -> bool:
        """``obj`` was made from a same-file class that is not a torch/keras module: its
        ``weight``/``bias`` are whatever the class stores, a weight only if it is differentiated
        (a bare variable, like ``tf.Variable``s kept on a helper object)."""
        if not isinstance(receiver, cst.Name) or receiver.value in ("self", "cls"):
            return False
        binding = self.lookup(receiver.value)
        value = binding.value if binding is not None and binding.kind in ("assign", "annassign") else None
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
            return False
        owner = self.ctx.local_classes.get(value.func.value)
        return owner is not None and not self.is_module_class(owner)

    def is_module_class(self, node: cst.ClassDef, depth: int = 0) -> bool:
        for base in node.bases:
            text = _qualified(self.ctx, base.value)
            last = text.rsplit(".", 1)[-1]
            if text.startswith(("torch.nn", "tensorflow.keras", "keras", "tf.keras", "flax", "haiku")) or last in (
                "Module", "Layer", "Model", "LightningModule", "Linear", "Conv2d", "Embedding", "Sequential",
            ) or last.endswith(("Module", "Layer", "Model")):
                return True
            local = self.ctx.local_classes.get(last)
            if local is not None and local is not node and depth < 5 and self.is_module_class(local, depth + 1):
                return True
        return False

    def _resolve_call(self, call: cst.Call, env, depth, avoid) -> Value:
        ctx = self.ctx
        func = call.func
        args = call.args
        first = args[0].value if args else None
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            owner = dotted(receiver) or self._text(receiver)
            if method == "parameters":
                return Many(Learned("torch", owner, f"an element of `{self._text(call)}`"))
            if method == "named_parameters":
                return Many(Pack((None, Learned("torch", owner, f"a parameter of `{self._text(call)}`"))))
            if method == "state_dict":
                if _NOT_MODULE_RECEIVER.search(owner or ""):
                    return None
                return Mapping(Learned("torch", owner, f"an entry of `{self._text(call)}`", from_state_dict=True),
                               owner, f"`{self._text(call)}`")
            if method in ("items", "values", "copy"):
                base = self.resolve(receiver, env, depth + 1, avoid)
                if isinstance(base, Mapping):
                    if method == "items":
                        return Many(Pack((None, base.value)))
                    if method == "values":
                        return _many(base.value)
                    return base
                return None
            if method in _SAME_STORAGE:
                if method == "requires_grad_" and args and not _literal_true(first):
                    return None
                base = self.resolve(receiver, env, depth + 1, avoid)
                return base if isinstance(base, (Learned, Deferred)) else None
            if method in ("fit", "partial_fit"):
                base = self.resolve(receiver, env, depth + 1, avoid)
                return base if isinstance(base, Learned) and base.framework == "sklearn" else None
            if method in ("unfreeze", "freeze") and self._uses_jax():
                return self.resolve(receiver, env, depth + 1, avoid)
            if method == "init" and len(args) >= 2 and self._uses_jax():
                return Learned("flax", owner, f"the variables returned by `{self._text(call)}`")
            if method == "gradient" and len(args) >= 2:
                return Gradient()
        qualified = _qualified(ctx, func)
        last = qualified.rsplit(".", 1)[-1]
        if qualified in _ITERABLE_WRAPPERS or (qualified == "filter" and len(args) == 2):
            inner = self.resolve(args[-1].value if args else None, env, depth + 1, avoid)
            return inner if isinstance(inner, (Many, Deferred, Pack)) else None
        if qualified in ("itertools.chain", "chain"):
            for arg in args:
                inner = self.resolve(arg.value, env, depth + 1, avoid)
                if isinstance(inner, Many):
                    return inner
            return None
        if qualified in ("dict", "collections.OrderedDict", "OrderedDict") and len(args) == 1:
            inner = self.resolve(first, env, depth + 1, avoid)
            return inner if isinstance(inner, Mapping) else None
        if qualified == "next" and args:
            return self.element(self.resolve(first, env, depth + 1, avoid))
        if qualified == "zip":
            items = tuple(
                self.element(self.element(self.resolve(a.value, env, depth + 1, avoid))) if a.star
                else self.element(self.resolve(a.value, env, depth + 1, avoid))
                for a in args
            )
            return Many(Pack(items)) if any(item is not None for item in items) else None
        if qualified == "enumerate" and args:
            return _many(_pack_second(self.element(self.resolve(first, env, depth + 1, avoid))))
        if qualified in ("torch.nn.Parameter", "torch.nn.parameter.Parameter", "Parameter"):
            binding = self.lookup(first.value) if isinstance(first, cst.Name) else None
            from_data = _made_from_tensor(first) or binding is not None and (
                binding.kind == "param" or _made_from_tensor(binding.value))
            return Learned("torch", None, "an `nn.Parameter`", raw_variable=True, data_shaped=from_data)
        if qualified.startswith("torch.") and last in _TORCH_FACTORIES and _literal_true(
            (_keyword(call, "requires_grad") or cst.Arg(cst.Name("False"))).value
        ):
            return Learned("torch", None, "a tensor created with `requires_grad=True`", raw_variable=True,
                           data_shaped=last.endswith("_like"))
        if qualified in ("tensorflow.Variable", "tf.Variable"):
            trainable = _keyword(call, "trainable")
            if trainable is not None and not _literal_true(trainable.value):
                return None
            initial = first if first is not None else (_keyword(call, "initial_value") or cst.Arg(cst.Name("x"))).value
            made = _qualified(ctx, initial.func) if isinstance(initial, cst.Call) else ""
            from_data = not isinstance(initial, (cst.Integer, cst.Float, cst.UnaryOperation, cst.List)) and not (
                made.startswith(("tensorflow.random", "tensorflow.zeros", "tensorflow.ones", "numpy.random",
                                 "tensorflow.keras.initializers", "tensorflow.initializers", "tensorflow.fill",
                                 "tensorflow.truncated_normal", "tensorflow.random_normal"))
                or isinstance(initial, cst.Call) and isinstance(initial.func, cst.Call))
            return Learned("tf", None, "a trainable `tf.Variable`", raw_variable=True, data_shaped=from_data)
        if qualified in _GRADIENT_CALLS:
            return Gradient()
        if isinstance(func, cst.Call) and _qualified(ctx, func.func) in _GRADIENT_CALLS:
            return Gradient()
        if qualified in _FLAX_UNFREEZE and args:
            return self.resolve(first, env, depth + 1, avoid)
        if qualified.startswith("sklearn.") and last[:1].isupper():
            return Learned("sklearn", None, f"a `{last}` estimator")
        if qualified in ("sklearn.pipeline.make_pipeline", "sklearn.base.clone"):
            return Learned("sklearn", None, "a scikit-learn estimator")
        return None

    # --- value algebra ------------------------------------------------------------------------
    def element(self, value: Value) -> Value:
        if isinstance(value, Many):
            return value.element
        if isinstance(value, Pack):
            return next((item for item in value.items if item is not None), None)
        if isinstance(value, Deferred):
            return Deferred(value.function, value.param, (*value.ops, ("element",)))
        return None

    def index(self, value: Value, position: int) -> Value:
        if isinstance(value, Gradient):
            return value
        if isinstance(value, Pack):
            return value.items[position] if position < len(value.items) else None
        if isinstance(value, Many):
            return value.element
        if isinstance(value, Deferred):
            return Deferred(value.function, value.param, (*value.ops, ("index", position)))
        return None

    def follow(self, value: Value, path: tuple[int, ...]) -> Value:
        for position in path:
            value = self.index(value, position)
            if value is None:
                return None
        return value

    def subscript(self, value: Value, node: cst.Subscript | None = None) -> Value:
        if isinstance(value, Mapping):
            return value.value
        if isinstance(value, Many):
            return value.element
        if isinstance(value, Pack):
            position = _literal_index(node)
            if position is not None:
                return self.index(value, position)
            return self.element(value)
        if isinstance(value, Learned):
            return value
        if isinstance(value, Deferred):
            return Deferred(value.function, value.param, (*value.ops, ("subscript",)))
        return None

    def materialize(self, value: Value, depth: int = 0) -> Value:
        """Settle a value that depends on a same-file function's call sites."""
        if not isinstance(value, Deferred) or depth > 3:
            return None if isinstance(value, Deferred) else value
        function = value.function
        params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        if value.param not in params and value.param not in [p.name.value for p in function.params.kwonly_params]:
            return None
        for site in self.call_sites.get(function.name.value, []):
            position = params.index(value.param) if value.param in params else None
            if position is not None and site.via_instance and params and params[0] in ("self", "cls"):
                position -= 1
            argument: Value = site.keywords.get(value.param)
            if argument is None and position is not None and 0 <= position < len(site.positional):
                argument = site.positional[position]
            if argument is None:
                continue
            for op in value.ops:
                if op[0] == "element":
                    argument = self.element(argument)
                elif op[0] == "index":
                    argument = self.index(argument, op[1])
                else:
                    argument = self.subscript(argument)
                if argument is None:
                    break
            argument = self.materialize(argument, depth + 1)
            if argument is not None:
                return argument
        return None

    # --- where a write happens (call from finish) ---------------------------------------------
    def init_context(self, ancestors: tuple[cst.CSTNode, ...], _seen: frozenset = frozenset()) -> str | None:
        """The initialisation function the node is in, if any: one named or used as such, or a
        same-file function that only initialisation code calls (``__init__`` ->
        ``self._make_layers()`` -> ``self._build_block()`` writing into the layers it builds)."""
        for i, node in enumerate(ancestors):
            if isinstance(node, cst.Lambda) and id(node) in self.apply_lambdas:
                return "a function passed to `.apply()`"
            if not isinstance(node, cst.FunctionDef):
                continue
            name = node.name.value
            if _INIT_NAME.search(name):
                return f"`{name}`"
            if name in self.apply_targets:
                return f"`{name}`, which is passed to `.apply()`"
            owner = _enclosing_class(ancestors[:i])
            if owner is not None:
                if name in self.init_called.get(id(owner), set()):
                    return f"`{name}`, which `__init__` calls"
                if name == "build":
                    return "`build`"
            if self._called_only_from_init(node, _seen):
                return f"`{name}`, which only initialisation code calls"
        return None

    def _called_only_from_init(self, function: cst.FunctionDef, seen: frozenset) -> bool:
        """Every same-file call of ``function`` (by its name) runs in initialisation code, and
        there is at least one. A name shared with a call from anywhere else keeps it ordinary."""
        if id(function) in seen or len(seen) > 6:
            return False
        name = function.name.value
        sites = [site for called, site in self.local_calls if called == name]
        if not sites:
            return False
        seen = seen | {id(function)}
        return all(self.init_context(site, seen) is not None for site in sites)

    def optimizer_context(self, ancestors: tuple[cst.CSTNode, ...]) -> cst.ClassDef | None:
        for node in ancestors:
            if isinstance(node, cst.ClassDef) and self.is_optimizer_class(node):
                return node
        return None

    def is_optimizer_class(self, node: cst.ClassDef, depth: int = 0) -> bool:
        if node.name.value.endswith(("Optimizer", "Optimiser")):
            return True
        for base in node.bases:
            text = _qualified(self.ctx, base.value)
            last = text.rsplit(".", 1)[-1]
            if last.endswith(("Optimizer", "OptimizerV2", "Optimiser")) or text.startswith((
                "torch.optim.", "tensorflow.keras.optimizers.", "keras.optimizers.", "tf.keras.optimizers.",
                "torch_optimizer.", "timm.optim.", "transformers.optimization.",
            )):
                return True
            local = self.ctx.local_classes.get(last)
            if local is not None and local is not node and depth < 5 and self.is_optimizer_class(local, depth + 1):
                return True
        return False

    def loading_context(self, ancestors: tuple[cst.CSTNode, ...]) -> str | None:
        for node in ancestors:
            if isinstance(node, cst.FunctionDef) and _LOAD_NAME.search(node.name.value):
                return node.name.value
        return None

    def averaging_context(self, ancestors: tuple[cst.CSTNode, ...], *names: str | None) -> str | None:
        """Why the write updates an averaged / target copy rather than the trained model."""
        for name in names:
            if name and name in self.copy_owners:
                return f"`{name}` is a copy of another model"
            if name and says_averaged(name):
                return f"`{name}`"
        for node in ancestors:
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and says_averaged(node.name.value):
                return f"`{node.name.value}`"
        return None

    def training_code(self, ancestors: tuple[cst.CSTNode, ...]) -> str | None:
        """Why the node runs as part of training, in words; None if it does not."""
        describe = getattr(self.ctx, "training_context", None)
        if describe is not None:
            reason = describe(ancestors)
            if reason:
                return reason
        elif self.ctx.during_training(ancestors):
            return "during training"
        return self._near_gradient_call(ancestors)

    def _near_gradient_call(self, ancestors: tuple[cst.CSTNode, ...]) -> str | None:
        """In a loop that calls a same-file function computing gradients (``train_step``), or
        after such a call in the same straight-line code."""
        names = {
            function.name.value
            for functions in self.functions.values() for function in functions
            if id(function) in self.gradient_functions
        }
        loops = []
        for node in reversed(ancestors):
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                break
            if isinstance(node, (cst.For, cst.While)):
                loops.append(node)
        calls = [(self.text(a[-1]), a) for a in self.gradient_calls]
        calls += [(f"{name}(...)", a) for name, a in self.local_calls if name in names]
        for text, call_ancestors in calls:
            if any(any(loop is node for node in call_ancestors) for loop in loops):
                return f"inside a loop that runs `{_short(text)}`"
            if _runs_before(call_ancestors, ancestors):
                return f"after `{_short(text)}`"
        return None

    def no_grad_context(self, ancestors: tuple[cst.CSTNode, ...]) -> bool:
        for node in reversed(ancestors):
            if isinstance(node, cst.With):
                for item in node.items:
                    call = item.item
                    if isinstance(call, cst.Call) and _qualified(self.ctx, call.func) == "torch.no_grad":
                        return True
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                if isinstance(node, cst.FunctionDef):
                    for decorator in node.decorators:
                        target = decorator.decorator
                        target = target.func if isinstance(target, cst.Call) else target
                        if _qualified(self.ctx, target) == "torch.no_grad":
                            return True
                return False
        return False

    def fed_to_a_model(self, name: str, ancestors: tuple[cst.CSTNode, ...], directly: bool = False) -> bool:
        """``name`` is (part of) the input of a model call in the same function — ``model(x)``,
        ``self.net(x + delta)`` — so a tensor stepped along its gradient is an input being
        optimised (adversarial examples, Langevin sampling, style transfer), not a weight."""
        scope: cst.CSTNode = _innermost_function(ancestors) or self.ctx.module
        for node in _walk(scope):
            if not isinstance(node, cst.Call) or not node.args:
                continue
            func = node.func
            if isinstance(func, cst.Name):
                if func.value in self.ctx.local_functions or func.value in _BUILTINS or \
                        self.ctx.imports.qualify(func) is not None:
                    continue
            elif not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                      and func.value.value == "self"):
                continue
            argument = node.args[0].value
            while directly and isinstance(argument, cst.Call) and isinstance(argument.func, cst.Attribute):
                argument = argument.func.value  # model(img.clamp(0, 1)), model(img.to(device))
            if directly:
                if isinstance(argument, cst.Name) and argument.value == name:
                    return True
            elif any(isinstance(n, cst.Name) and n.value == name for n in _walk(argument)):
                return True
        return False

    # --- helpers ------------------------------------------------------------------------------
    def _uses_jax(self) -> bool:
        imports = self.ctx.imports
        return imports.imports_module("jax") or imports.imports_module("flax") or imports.imports_module("haiku")

    def _text(self, node: cst.CSTNode) -> str:
        return " ".join(self.ctx.module.code_for_node(node).split())

    def text(self, node: cst.CSTNode) -> str:
        return self._text(node)


_BUILTINS = frozenset({"len", "print", "float", "int", "str", "list", "tuple", "dict", "set", "zip", "enumerate",
                       "range", "sum", "min", "max", "abs", "round", "isinstance", "type", "id", "repr", "sorted",
                       "any", "all", "next", "iter", "map", "filter", "getattr", "setattr", "hasattr"})


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def _made_from_tensor(value: cst.BaseExpression | None) -> bool:
    """``x.clone().detach()``, ``torch.zeros_like(x)``: a tensor shaped like (and usually holding) data."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        if value.func.attr.value in ("clone", "detach", "requires_grad_", "to", "float", "cuda"):
            if value.func.attr.value == "clone":
                return True
            value = value.func.value
            continue
        return value.func.attr.value.endswith("_like")
    return isinstance(value, cst.Call) and (dotted(value.func) or "").endswith("_like")


def _pack_second(value: Value) -> Value:
    return Pack((None, value)) if value is not None else None


def _literal_index(node: cst.Subscript | None) -> int | None:
    if node is None or len(node.slice) != 1:
        return None
    inner = node.slice[0].slice
    if isinstance(inner, cst.Index) and isinstance(inner.value, cst.Integer):
        return int(inner.value.value)
    return None


def _names_with_paths(target: cst.BaseExpression) -> Iterator[tuple[str, tuple[int, ...]]]:
    if isinstance(target, cst.Name):
        yield target.value, ()
    elif isinstance(target, (cst.Tuple, cst.List)):
        for i, element in enumerate(target.elements):
            for name, path in _names_with_paths(element.value):
                yield name, (i, *path)


def _enclosing_class(ancestors) -> cst.ClassDef | None:
    for node in reversed(ancestors):
        if isinstance(node, cst.ClassDef):
            return node
        if isinstance(node, cst.FunctionDef):
            continue
    return None


def _short(text: str) -> str:
    if len(text) <= 40:
        return text
    return text[: text.index("(") + 1] + "...)" if "(" in text[:37] else text[:37] + "..."


def _runs_before(first: tuple[cst.CSTNode, ...], second: tuple[cst.CSTNode, ...]) -> bool:
    """The node at ``first`` runs earlier than the one at ``second`` in the same straight-line
    code: they sit in two statements of one block, the first earlier, and neither is inside a
    def/class/lambda below that block."""
    for depth in range(min(len(first), len(second)) - 1):
        if first[depth] is not second[depth]:
            return False
        block = first[depth]
        body = block.body if isinstance(block, (cst.Module, cst.IndentedBlock)) else None
        mine, theirs = second[depth + 1], first[depth + 1]
        if body is None or mine is theirs:
            continue
        scopes = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
        if any(isinstance(n, scopes) for n in first[depth + 1:]) or any(isinstance(n, scopes) for n in second[depth + 1:]):
            return False
        order = {id(statement): i for i, statement in enumerate(body)}
        if id(theirs) in order and id(mine) in order:
            return order[id(theirs)] < order[id(mine)]
        return False
    return False


def _innermost_function(ancestors) -> cst.FunctionDef | None:
    for node in reversed(ancestors):
        if isinstance(node, cst.FunctionDef):
            return node
    return None


def parameter_facts(ctx: "FileContext") -> ParameterFacts:
    """The file's one ParameterFacts (shared by every rule that asks)."""
    facts = ctx.cache.get("parameter_facts")
    if facts is None:
        facts = ctx.cache["parameter_facts"] = ParameterFacts(ctx)
    return facts
