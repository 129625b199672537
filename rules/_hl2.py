"""The HL2 family's shared work: find writes into learned parameters while the tree is walked,
decide once per statement (after the walk) which rule reports it, and build the suggested and
automatic fixes.

Every HL2 rule subclasses :class:`ParameterRule`. The first HL2 rule created for a file owns
the collection (its visitors feed the shared :class:`Analysis`); the others only report the
decisions that carry their code, so a statement gets at most one HL2 finding.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

import libcst as cst

from hyperlint.facts.bindings import Binding
from hyperlint.facts.names import dotted
from hyperlint.facts.parameters import (
    Deferred, Gradient, Learned, Many, Mapping, Pack, ParameterFacts, Value, parameter_facts,
)
from hyperlint.rule import NodeEdit, Rule

# in-place tensor methods that do not change values
_NOT_VALUE_WRITES = frozenset({"requires_grad_", "share_memory_", "detach_", "retain_grad_", "pin_memory_",
                               "record_stream_", "resize_as_", "unsqueeze_", "squeeze_", "t_", "transpose_",
                               "as_strided_", "swapdims_", "swapaxes_"})
_INIT_METHODS = {"normal_": "normal_", "uniform_": "uniform_", "zero_": "zeros_", "fill_": "constant_"}
_RANDOM_METHODS = frozenset({"normal_", "uniform_", "zero_", "fill_", "random_", "bernoulli_", "exponential_",
                             "geometric_", "log_normal_", "cauchy_"})
_COPY_METHODS = frozenset({"copy_", "set_"})
_CLIP_METHODS = frozenset({"clamp_", "clip_", "clamp_min_", "clamp_max_"})
_CONVERSIONS = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "type", "contiguous", "detach",
                          "clone", "view_as", "reshape_as", "type_as", "numpy", "copy", "astype", "squeeze",
                          "unsqueeze", "reshape", "view", "T", "t", "data", "pin_memory", "to_dense", "to_sparse",
                          "coalesce", "bool", "int", "long", "byte", "share_memory_", "requires_grad_"})
_RESTRUCTURE = frozenset({"tensor_split", "split", "chunk", "narrow", "index_select", "reshape", "view", "permute",
                          "transpose", "flatten", "unflatten", "contiguous", "t"})
_LOADERS = re.compile(r"(^|\.)(load|load_state_dict|from_numpy|as_tensor|tensor|asarray|array|deepcopy|copy|"
                      r"get_weights|read|loadtxt|get_tensor|get_variable_value|load_variable|Tensor|FloatTensor)$")
_RANDOM_FACTORIES = re.compile(r"^(torch\.(randn|rand|normal|zeros|ones|full|eye|empty|randn_like|rand_like|zeros_like|"
                               r"ones_like|full_like|empty_like|nn\.init\.\w+)|numpy\.random\.\w+|"
                               r"numpy\.(zeros|ones|full)(_like)?|tensorflow\.(zeros|ones|random\.\w+)(_like)?)$")
_TREE_MAP = frozenset({"jax.tree_map", "jax.tree_util.tree_map", "jax.tree.map", "jax.tree_multimap",
                       "jax.tree_util.tree_multimap"})
_DECOMPOSITIONS = frozenset({"torch.linalg.svd", "torch.svd", "torch.svd_lowrank", "torch.pca_lowrank",
                             "torch.linalg.qr", "torch.qr", "torch.linalg.eigh", "torch.linalg.svdvals",
                             "numpy.linalg.svd", "numpy.linalg.qr", "numpy.linalg.eigh", "jax.numpy.linalg.svd"})
_WHERE = frozenset({"torch.where", "jax.numpy.where", "numpy.where", "jax.lax.select"})
_TF_ASSIGN = frozenset({"assign", "assign_add", "assign_sub"})
_TF_SET_VALUE = frozenset({"tensorflow.keras.backend.set_value", "keras.backend.set_value",
                           "tensorflow.python.keras.backend.set_value", "tensorflow.assign", "tensorflow.assign_add",
                           "tensorflow.assign_sub", "tensorflow.compat.v1.assign", "tensorflow.compat.v1.assign_add",
                           "tensorflow.compat.v1.assign_sub"})
# fitted attributes that are bookkeeping, not learned values
_SKLEARN_METADATA = frozenset({
    "classes_", "n_features_in_", "feature_names_in_", "n_iter_", "n_outputs_", "n_classes_", "n_features_",
    "cv_results_", "best_params_", "best_score_", "best_index_", "scorer_", "refit_time_", "multimetric_",
    "n_splits_", "loss_curve_", "validation_scores_", "best_loss_", "t_", "n_layers_", "out_activation_",
    "loss_", "oob_score_", "best_estimator_", "n_samples_seen_", "label_binarizer_", "fit_time_",
})
_SKLEARN_STRONG = frozenset({"coef_", "intercept_", "coefs_", "intercepts_", "dual_coef_", "cluster_centers_",
                             "components_", "support_vectors_"})
# further fitted attributes holding learned values; reported on estimators recognised by data flow
_SKLEARN_LEARNED = _SKLEARN_STRONG | frozenset({
    "means_", "covariances_", "precisions_", "precisions_cholesky_", "weights_", "theta_", "var_", "sigma_",
    "class_log_prior_", "feature_log_prob_", "class_count_", "feature_count_", "mean_", "scale_",
    "explained_variance_", "singular_values_", "embedding_", "coef_path_", "base_margin_",
})

PRIORITY = ("HL201", "HL203", "HL202", "HL204", "HL205", "HL206")


@dataclass
class Write:
    kind: str  # data | inplace | item | augassign | foreach | state_dict | sklearn | tf_assign | set_weights | flax_item | flax_update
    node: cst.CSTNode  # the small statement that is reported
    statement: cst.CSTNode | None
    ancestors: tuple[cst.CSTNode, ...]
    target: cst.BaseExpression  # the parameter expression written (``.data`` and subscripts removed)
    value: Value
    feature: str  # own_grad | gradient | own | random | computed | plain | conversion
    through_data: bool = False
    methods: tuple[str, ...] = ()
    call: cst.Call | None = None
    new_value: cst.BaseExpression | None = None
    subscripted: bool = False
    attribute: str | None = None  # the fitted attribute (sklearn)
    state_dict_root: Binding | None = None
    state_dict_name: str | None = None
    order: int = 0
    extra: dict = field(default_factory=dict)


@dataclass
class Decision:
    code: str
    write: Write
    message: str
    suggestion: str
    edits: tuple[NodeEdit, ...] = ()
    unsafe: bool = False


@dataclass
class _Load:
    receiver: str | None
    binding: Binding | None
    name: str
    order: int


class Analysis:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.facts: ParameterFacts = parameter_facts(ctx)
        self.writes: list[Write] = []
        self.loads: list[_Load] = []
        self.order = 0
        self._decisions: list[Decision] | None = None

    # --- collection ---------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.facts.observe_function(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.order += 1
        facts = self.facts
        facts.observe_call(node)
        func = node.func
        qualified = self.ctx.imports.qualify_or_dotted(func) or "" if isinstance(func, (cst.Name, cst.Attribute)) else ""
        if isinstance(func, cst.Attribute) and not qualified.startswith("torch._foreach_") \
                and qualified not in _TF_SET_VALUE:
            method = func.attr.value
            receiver = func.value
            if method == "register_parameter":
                facts.observe_register_parameter(node)
            if method.endswith("_") and not method.startswith("_") and method not in _NOT_VALUE_WRITES:
                if not _is_inplace_call(receiver):
                    self._inplace(node, receiver, method)
            elif method in _TF_ASSIGN:
                self._tf_assign(node, receiver, method)
            elif method == "set_weights" and node.args:
                self._set_weights(node, receiver)
            elif method == "load_state_dict" and node.args:
                argument = node.args[0].value
                if isinstance(argument, cst.Name):
                    self.loads.append(_Load(dotted(receiver), facts.lookup(argument.value), argument.value, self.order))
            return
        if qualified.startswith("torch._foreach_") and qualified.endswith("_") and node.args:
            value = self._resolve_here(node.args[0].value)
            if isinstance(value, (Many, Deferred)):
                feature = "gradient" if self._mentions_gradient(node) else "own"
                self._add("foreach", node.args[0].value, facts.element(value) if isinstance(value, Many) else value,
                          feature, methods=(qualified.rsplit(".", 1)[-1],), call=node)
        elif qualified in _TF_SET_VALUE and len(node.args) >= 2:
            target = node.args[0].value
            value = self._resolve_here(target)
            if isinstance(value, Learned) and value.framework in ("tf", "torch"):  # ``bias`` reads as torch
                name = qualified.rsplit(".", 1)[-1]
                feature = self.classify(node.args[1].value, target) if name in ("assign", "set_value") else (
                    self.classify_arguments(node, target) if self._mentions_gradient(node) else "own")
                extra = {"variable": self.facts.variable_key(dotted(target))} if dotted(target) else {}
                self._add("tf_assign", target, value, feature, methods=(name,), call=node,
                          new_value=node.args[1].value, extra=extra)

    def visit_Assign(self, node: cst.Assign) -> None:
        self.order += 1
        self.facts.observe_assign(node)
        for target in node.targets:
            for element in _flatten(target.target):
                self._assignment_target(element, node.value, augmented=False)
        targets = [t.target for t in node.targets]
        self._flax_update(node.value, targets)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.facts.observe_assign(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.order += 1
        self._assignment_target(node.target, node.value, augmented=True)

    def visit_Return(self, node: cst.Return) -> None:
        self._flax_update(node.value, None)

    # --- write detection ----------------------------------------------------------------------
    def _inplace(self, call: cst.Call, receiver: cst.BaseExpression, method: str) -> None:
        value = self._resolve_here(receiver)
        if not isinstance(value, (Learned, Deferred)):
            return
        base, through_data, subscripted = _strip(receiver)
        methods = (method, *_chain_methods(self.ctx.stack, call))
        if method in _COPY_METHODS:
            feature = self.classify(call.args[0].value if call.args else None, base)
        elif method in _RANDOM_METHODS:
            feature = "random"
        else:
            feature = self.classify_arguments(call, base)
        kind = "data" if through_data else "inplace"
        self._add(kind, base, value, feature, through_data=through_data, methods=methods, call=call,
                  new_value=call.args[0].value if call.args else None, subscripted=subscripted, written=receiver)

    def _tf_assign(self, call: cst.Call, receiver: cst.BaseExpression, method: str) -> None:
        base, _, subscripted = _strip(receiver)
        value = self._resolve_here(base)
        if not isinstance(value, (Learned, Deferred)):
            return
        argument = call.args[0].value if call.args else None
        if _applies_own_constraint(argument, self.text(base)):
            return  # a custom loop applying the layer's declared constraint, as Keras optimizers do
        extra = {"variable": self.facts.variable_key(dotted(base) or "")} if dotted(base) else {}
        if method == "assign":
            feature = self.classify(call.args[0].value if call.args else None, base)
        else:
            feature = self.classify_arguments(call, base) if self._mentions_gradient(call) else "own"
        self._add("tf_assign", base, value, feature, methods=(method,), call=call,
                  new_value=call.args[0].value if call.args else None, subscripted=subscripted, extra=extra)

    def _set_weights(self, call: cst.Call, receiver: cst.BaseExpression) -> None:
        argument = call.args[0].value
        feature = self.classify(argument, receiver)
        self._add("set_weights", receiver, Learned("tf", dotted(receiver), f"the weights of `{self.text(receiver)}`"),
                  feature, methods=("set_weights",), call=call, new_value=argument)

    def _assignment_target(self, target: cst.BaseExpression, new_value: cst.BaseExpression, augmented: bool) -> None:
        facts = self.facts
        feature_of = (lambda base: "own") if augmented else (lambda base: self.classify(new_value, base))
        if augmented and self._mentions_gradient_expr(new_value):
            feature_of = lambda base: self.classify(new_value, base)  # noqa: E731
        if isinstance(target, cst.Attribute):
            attr = target.attr.value
            if attr == "data":
                base = target.value
                value = self._resolve_here(base)
                if value is not None and not isinstance(value, (Gradient, Many, Pack, Mapping)):
                    self._add("data", base, value, feature_of(base), through_data=True, new_value=new_value,
                              methods=("aug" if augmented else "assign",))
                return
            if _fitted_attribute(attr):
                self._sklearn(target, new_value, augmented, subscripted=False)
                return
            if augmented:
                value = self._resolve_here(target)
                if isinstance(value, (Learned, Deferred)) and getattr(value, "framework", "torch") == "torch":
                    self._add("augassign", target, value, feature_of(target), new_value=new_value, methods=("aug",))
            return
        if isinstance(target, cst.Subscript):
            inner = target.value
            while isinstance(inner, cst.Subscript):
                inner = inner.value
            if isinstance(inner, cst.Attribute) and inner.attr.value == "data":
                base = inner.value
                value = self._resolve_here(base)
                if value is not None and not isinstance(value, (Gradient, Many, Pack, Mapping)):
                    self._add("data", base, value, feature_of(target), through_data=True, new_value=new_value,
                              subscripted=True, methods=("item",))
                return
            if isinstance(inner, cst.Attribute) and _fitted_attribute(inner.attr.value):
                self._sklearn(inner, new_value, augmented, subscripted=True)
                return
            container = self._resolve_here(inner)
            if isinstance(container, Mapping):
                if isinstance(inner, cst.Name) and target.value is inner:
                    feature = "own" if augmented else self.classify(new_value, target)
                    self._add("state_dict", target, container.value, feature, new_value=new_value,
                              state_dict_root=facts.lookup(inner.value), state_dict_name=inner.value,
                              methods=("aug" if augmented else "item",), extra={"mapping": container})
                return
            if isinstance(container, (Learned, Deferred)):
                framework = getattr(container, "framework", "torch")
                kind = "flax_item" if framework == "flax" else "item"
                if framework in ("torch", "flax") or isinstance(container, Deferred):
                    self._add(kind, inner, container, feature_of(inner), new_value=new_value, subscripted=True,
                              methods=("aug" if augmented else "item",))
            return
        if isinstance(target, cst.Name) and augmented:
            value = self._resolve_here(target)
            if isinstance(value, (Learned, Deferred)) and getattr(value, "framework", "torch") == "torch":
                self._add("augassign", target, value, feature_of(target), new_value=new_value, methods=("aug",))

    def _sklearn(self, target: cst.Attribute, new_value, augmented: bool, subscripted: bool) -> None:
        receiver = target.value
        if isinstance(receiver, cst.Name) and receiver.value in ("self", "cls"):
            return  # an estimator setting its own fitted attributes: its implementation
        value = self._resolve_here(receiver)
        attr = target.attr.value
        if attr not in _SKLEARN_LEARNED:
            return
        if not (isinstance(value, Learned) and value.framework == "sklearn") and attr not in _SKLEARN_STRONG:
            return
        if isinstance(value, Learned) and value.framework not in ("sklearn",):
            return
        owner = dotted(receiver) or self.text(receiver)
        learned = value if isinstance(value, Learned) else Learned("sklearn", owner, f"`{owner}`")
        feature = "own" if augmented or subscripted else self.classify(new_value, target)
        self._add("sklearn", target, learned, feature, new_value=new_value, subscripted=subscripted,
                  attribute=attr, methods=("aug" if augmented else "item" if subscripted else "assign",))

    def _flax_update(self, value: cst.BaseExpression | None, targets: list | None) -> None:
        """``params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)``, or the same
        returned. Written to another name (SAM's perturbed point, MAML's adapted copy) it is a
        temporary, not the model's update; returned, it must step against the gradient."""
        if not isinstance(value, cst.Call):
            return
        qualified = self.ctx.imports.qualify_or_dotted(value.func) or ""
        if qualified not in _TREE_MAP and not qualified.endswith("tree_util.tree_map"):
            return
        if len(value.args) < 3 or not isinstance(value.args[0].value, cst.Lambda):
            return
        function = value.args[0].value
        if not any(isinstance(n, cst.BinaryOperation) for n in _walk(function.body)):
            return
        trees = [self.facts.resolve(a.value) for a in value.args[1:]]
        params = next((a.value for a, t in zip(value.args[1:], trees) if isinstance(t, Learned)), None)
        if params is None or not any(isinstance(t, (Gradient, Many)) and _gradient_like(t) for t in trees):
            return
        learned = next(t for t in trees if isinstance(t, Learned))
        if targets is not None:
            written = {dotted(t) for t in targets}
            if dotted(params) not in written and not (dotted(params) or "").endswith(".params"):
                return
        elif not any(isinstance(n, cst.BinaryOperation) and isinstance(n.operator, cst.Subtract)
                     for n in _walk(function.body)):
            return
        self._add("flax_update", params, learned, "gradient", call=value)

    def _add(self, kind: str, target: cst.BaseExpression, value: Value, feature: str,
             written: cst.BaseExpression | None = None, **more) -> None:
        statement, small = _statement(self.ctx.stack)
        if isinstance(value, Learned) and value.from_state_dict and kind in ("inplace", "augassign", "item"):
            root = self._state_dict_root(written if written is not None else target)
            if root is None:
                return
            kind = "state_dict"
            more["state_dict_root"], more["state_dict_name"] = root
        if kind == "data":
            more.setdefault("extra", {}).update(self._fix_names())
        # the models whose weights the statement reads (names resolve only during the walk)
        more.setdefault("extra", {})["sources"] = self._model_sources(small or target)
        if self._from_decomposition(more.get("new_value")):
            more["extra"]["decomposed"] = True
        new_value = more.get("new_value")
        if isinstance(new_value, cst.Name):  # what the written name holds, for the suggestion
            binding = self.facts.lookup(new_value.value)
            if binding is not None and binding.value is not None:
                more.setdefault("extra", {})["value_text"] = self.text(binding.value)
        self.writes.append(Write(kind, small or target, statement, tuple(self.ctx.stack), target, value, feature,
                                 order=self.order, **more))

    def _fix_names(self) -> dict:
        """How this place can spell ``torch.nn.init.<fn>`` and ``torch``: the file's own module-level
        imports, unless a local name shadows them here."""
        aliases = self._module_aliases()
        usable = {name: target for name, target in aliases.items() if self.facts.lookup(name) is None}
        prefixes: dict[str, str] = {}
        for function in _INIT_METHODS.values():
            for name, target in usable.items():
                spelled = {"torch.nn.init": f"{name}.{function}", "torch.nn": f"{name}.init.{function}",
                           f"torch.nn.init.{function}": name}.get(target)
                if spelled:
                    prefixes.setdefault(function, spelled)
            if function not in prefixes:
                torch = next((name for name, target in usable.items() if target == "torch"), None)
                if torch is not None:
                    prefixes[function] = f"{torch}.nn.init.{function}"
        torch_alias = next((name for name, target in usable.items() if target == "torch"), None)
        return {"init_prefixes": prefixes, "torch_alias": torch_alias}

    def _module_aliases(self) -> dict[str, str]:
        cached = self.ctx.cache.get("hl2_module_aliases")
        if cached is not None:
            return cached
        aliases: dict[str, str] = {}
        pending = list(self.ctx.module.body)
        while pending:
            statement = pending.pop(0)
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Import):
                        for alias in small.names:
                            full = dotted(alias.name) or ""
                            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                                aliases[alias.asname.name.value] = full
                            else:
                                aliases[full.split(".")[0]] = full.split(".")[0]
                    elif isinstance(small, cst.ImportFrom) and not small.relative and not isinstance(
                            small.names, cst.ImportStar):
                        base = dotted(small.module) if small.module is not None else ""
                        for alias in small.names:
                            name = dotted(alias.name) or ""
                            local = alias.asname.name.value if alias.asname is not None and isinstance(
                                alias.asname.name, cst.Name) else name
                            aliases[local] = f"{base}.{name}"
            elif isinstance(statement, cst.Try) and isinstance(statement.body, cst.IndentedBlock):
                pending[0:0] = list(statement.body.body)
        self.ctx.cache["hl2_module_aliases"] = aliases
        return aliases

    def _state_dict_root(self, expr: cst.BaseExpression) -> tuple[Binding | None, str] | None:
        """The variable holding the state dict an entry belongs to: ``sd`` in ``sd[k]``, or in
        ``for k, v in sd.items(): v...``."""
        while isinstance(expr, cst.Attribute) and expr.attr.value == "data":
            expr = expr.value
        if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name):
            return self.facts.lookup(expr.value.value), expr.value.value
        if isinstance(expr, cst.Name):
            binding = self.facts.lookup(expr.value)
            if binding is not None and binding.kind == "for" and isinstance(binding.statement, cst.For):
                iterator = binding.statement.iter
                if isinstance(iterator, cst.Call) and isinstance(iterator.func, cst.Attribute) \
                        and isinstance(iterator.func.value, cst.Name):
                    name = iterator.func.value.value
                    return self.facts.lookup(name), name
        return None

    def _resolve_here(self, expr: cst.BaseExpression) -> Value:
        """Resolve at the current node, seeing the variables of enclosing comprehensions
        (``[p.data.clamp_(-c, c) for p in critic.parameters()]``)."""
        env = None
        for node in self.ctx.stack:
            if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
                env = self.facts.comprehension_env(node.for_in, env, 0, frozenset())
        return self.facts.resolve(expr, env)

    # --- what a written value is --------------------------------------------------------------
    def classify(self, expr: cst.BaseExpression | None, target: cst.BaseExpression, depth: int = 0) -> str:
        """own_grad | gradient | own | random | computed | plain | conversion | none."""
        if expr is None:
            return "none"
        target_text = self.text(_strip(target)[0])
        if self._mentions_own_grad(expr, target_text):
            return "own_grad"
        if self._mentions_gradient_expr(expr):
            return "gradient"
        stripped = _strip_conversions(expr)
        if self.text(stripped) == target_text or self._restructured(stripped, target_text):
            return "conversion"
        qualified = self._qualified(stripped.func) if isinstance(stripped, cst.Call) else ""
        if qualified in ("torch.empty", "torch.empty_like"):
            return "conversion"
        if _RANDOM_FACTORIES.match(qualified):
            return "random"
        mentions_target = any(self.text(_strip(n)[0]) == target_text for n in _walk_values(expr)
                              if isinstance(n, (cst.Name, cst.Attribute)))
        if isinstance(stripped, (cst.Name, cst.Attribute, cst.Subscript)):
            if mentions_target and not isinstance(stripped, cst.Name):
                return "own"
            if isinstance(stripped, cst.Name) and depth < 2:
                binding = self.facts.lookup(stripped.value)
                if binding is not None and binding.kind in ("assign", "annassign", "walrus") and binding.value is not None:
                    inner = self.classify(binding.value, target, depth + 1)
                    if inner in ("own", "own_grad", "gradient", "computed"):
                        return inner
            return "plain"
        if self._selected_entries(stripped, target, target_text, depth):
            return "plain"
        if isinstance(stripped, cst.Call) and (_LOADERS.search(qualified) or _LOADERS.search(
                stripped.func.attr.value if isinstance(stripped.func, cst.Attribute) else "")):
            if all(self.classify(a.value, target, depth + 1) in ("plain", "conversion", "none", "constant")
                   for a in stripped.args if a.keyword is None):
                return "plain"
        if isinstance(stripped, (cst.List, cst.Tuple)):
            parts = [self.classify(e.value, target, depth + 1) for e in stripped.elements]
            for part in ("own_grad", "gradient", "own", "computed", "random"):
                if part in parts:
                    return part
            return "plain"
        if isinstance(stripped, (cst.Integer, cst.Float, cst.SimpleString, cst.UnaryOperation)) and not mentions_target:
            return "constant"
        if mentions_target:
            return "own"
        owners = self._model_sources(expr)
        if not owners:
            return "computed"
        mine = self.facts.resolve(target)
        if isinstance(mine, (Learned, Mapping)) and mine.owner is not None and mine.owner in owners:
            return "own"  # computed from the same model's weights (``sd[k] = v * mask`` over ``sd.items()``)
        return "others"

    def _selected_entries(self, expr: cst.BaseExpression, target: cst.BaseExpression, target_text: str,
                          depth: int) -> bool:
        """``stored.at[idx].set(p[idx])`` / ``where(frozen, stored, p)``: every entry is taken
        unchanged from a stored copy or from the parameter itself, chosen by a mask that does not
        look at its values. That restores frozen entries (textual inversion keeping all but the new
        token's embedding): freezing, not a computed update."""
        if not isinstance(expr, cst.Call) or depth > 2:
            return False
        func = expr.func
        if (isinstance(func, cst.Attribute) and func.attr.value == "set" and len(expr.args) == 1
                and isinstance(func.value, cst.Subscript) and isinstance(func.value.value, cst.Attribute)
                and func.value.value.attr.value == "at"):
            chooser: cst.CSTNode = func.value
            parts = [func.value.value.value, expr.args[0].value]
        elif (len(expr.args) == 3 and self._qualified(func) in _WHERE):
            chooser = expr.args[0].value
            parts = [expr.args[1].value, expr.args[2].value]
        else:
            return False
        if isinstance(chooser, cst.Subscript):
            chooser = cst.Tuple([cst.Element(element.slice.value) for element in chooser.slice
                                 if isinstance(element.slice, cst.Index)])
        if any(isinstance(n, (cst.Name, cst.Attribute)) and self.text(_strip(n)[0]) == target_text
               for n in _walk(chooser)):
            return False  # chosen by the parameter's own values: clipping or magnitude pruning
        for part in parts:
            plain = _strip_conversions(part)
            if not isinstance(plain, (cst.Name, cst.Attribute, cst.Subscript)):
                return False
            if isinstance(plain, cst.Name):
                binding = self.facts.lookup(plain.value)
                if binding is not None and binding.value is not None and binding.kind in ("assign", "annassign"):
                    plain = binding.value
            if self.classify(plain, target, depth + 1) not in ("plain", "own", "conversion"):
                return False
        return True

    def _from_decomposition(self, expr: cst.BaseExpression | None) -> bool:
        """The value is built from the factors of a matrix decomposition (``U, S, Vh =
        torch.linalg.svd(W)`` ... ``(U[:, :r] * S[:r]) @ Vh[:r]``), followed through local
        assignments: a low-rank re-factorisation of weights (LoRA extraction, PiSSA-style adapter
        set-up, SVD compression)."""
        pending = [expr] if expr is not None else []
        seen: set[int] = set()
        while pending and len(seen) < 24:
            node = pending.pop()
            for inner in _walk(node):
                if isinstance(inner, cst.Call) and self._qualified(inner.func) in _DECOMPOSITIONS:
                    return True
                if isinstance(inner, cst.Name):
                    binding = self.facts.lookup(inner.value)
                    if binding is not None and binding.value is not None and id(binding) not in seen \
                            and binding.kind in ("assign", "annassign", "unpack"):
                        seen.add(id(binding))
                        pending.append(binding.value)
        return False

    def _model_sources(self, expr: cst.BaseExpression) -> set[str | None]:
        """The models whose weights ``expr`` is computed from (an average or merge of models)."""
        owners: set[str | None] = set()
        for node in _walk(expr):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in (
                    "parameters", "state_dict", "named_parameters"):
                owners.add(dotted(node.func.value))
            elif isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)):
                value = self.facts.resolve(node)
                while isinstance(value, Many):
                    value = value.element
                if isinstance(value, (Learned, Mapping)):
                    owners.add(value.owner)
        return owners

    def _restructured(self, expr: cst.BaseExpression, target_text: str, depth: int = 0) -> bool:
        """A slice, shard or reshape of the target itself (``tensor_split(w, n)[rank]``): same values."""
        while True:
            expr = _strip_conversions(expr)
            if isinstance(expr, cst.Subscript):
                expr = expr.value
            elif isinstance(expr, cst.Call) and expr.args and (
                    self._qualified(expr.func).rsplit(".", 1)[-1] in _RESTRUCTURE
                    or (isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _RESTRUCTURE)):
                expr = expr.args[0].value if not isinstance(expr.func, cst.Attribute) or self._qualified(
                    expr.func).startswith("torch.") else expr.func.value
            else:
                break
        if self.text(_strip(expr)[0]) == target_text:
            return True
        if isinstance(expr, cst.Name) and depth < 2:
            binding = self.facts.lookup(expr.value)
            if binding is not None and binding.kind in ("assign", "annassign") and binding.value is not None:
                return self._restructured(binding.value, target_text, depth + 1)
        return False

    def classify_arguments(self, call: cst.Call, target: cst.BaseExpression) -> str:
        target_text = self.text(_strip(target)[0])
        for arg in call.args:
            if self._mentions_own_grad(arg.value, target_text):
                return "own_grad"
        if self._mentions_gradient(call):
            return "gradient"
        return "own"

    def _mentions_own_grad(self, expr: cst.CSTNode, target_text: str) -> bool:
        for node in _walk(expr):
            if isinstance(node, cst.Attribute) and node.attr.value == "grad":
                if self.text(_strip(node.value)[0]) == target_text:
                    return True
        return False

    def _mentions_gradient(self, call: cst.Call) -> bool:
        return any(self._mentions_gradient_expr(arg.value) for arg in call.args)

    def _mentions_gradient_expr(self, expr: cst.CSTNode | None) -> bool:
        if expr is None:
            return False
        for node in _walk(expr):
            if isinstance(node, cst.Attribute) and node.attr.value == "grad":
                return True
            if isinstance(node, cst.Name):
                value = self.facts.resolve(node)
                if isinstance(value, Gradient) or (isinstance(value, Many) and isinstance(value.element, Gradient)):
                    return True
        return False

    # --- decisions (after the walk) -----------------------------------------------------------
    def decisions(self) -> list[Decision]:
        if self._decisions is None:
            by_statement: dict[int, Decision] = {}
            for write in self.writes:
                decision = self._decide(write)
                if decision is None:
                    continue
                key = id(write.node)
                current = by_statement.get(key)
                if current is None or PRIORITY.index(decision.code) < PRIORITY.index(current.code):
                    by_statement[key] = decision
            self._decisions = list(by_statement.values())
        return self._decisions

    def _decide(self, write: Write) -> Decision | None:
        from hyperlint.rules._hl2_decide import decide

        return decide(self, write)

    # --- helpers ------------------------------------------------------------------------------
    def text(self, node: cst.CSTNode) -> str:
        return self.facts.text(node)

    def _qualified(self, node: cst.BaseExpression) -> str:
        if isinstance(node, (cst.Name, cst.Attribute)):
            return self.ctx.imports.qualify_or_dotted(node) or ""
        return ""


# --- tree helpers ------------------------------------------------------------------------------


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def _walk_values(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Like ``_walk``, but not into subscript keys: ``stored[p]`` is looked up by ``p``, not
    computed from its values."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend([current.value] if isinstance(current, cst.Subscript) else current.children)


def _flatten(target: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _flatten(element.value)
    else:
        yield target


def _strip(node: cst.BaseExpression) -> tuple[cst.BaseExpression, bool, bool]:
    """``p.data[0]`` -> (``p``, through_data=True, subscripted=True)."""
    through_data = subscripted = False
    while True:
        if isinstance(node, cst.Subscript):
            node, subscripted = node.value, True
        elif isinstance(node, cst.Attribute) and node.attr.value == "data":
            node, through_data = node.value, True
        else:
            return node, through_data, subscripted


def _strip_conversions(node: cst.BaseExpression) -> cst.BaseExpression:
    while True:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _CONVERSIONS:
            node = node.func.value
        elif isinstance(node, cst.Attribute) and node.attr.value in ("data", "T"):
            node = node.value
        else:
            return node


def _is_inplace_call(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
        and node.func.attr.value.endswith("_") and not node.func.attr.value.startswith("_")
    )


def _chain_methods(stack: list[cst.CSTNode], call: cst.Call) -> list[str]:
    """Methods chained after ``call``: ``p.mul_(d).add_(x)`` -> ["add_"] for the inner call."""
    out: list[str] = []
    index = len(stack) - 1
    current: cst.CSTNode = call
    while index >= 2:
        attribute, outer = stack[index - 1], stack[index - 2]
        if (isinstance(attribute, cst.Attribute) and attribute.value is current and isinstance(outer, cst.Call)
                and outer.func is attribute):
            out.append(attribute.attr.value)
            current = outer
            index -= 2
        else:
            break
    return out


def _statement(stack: list[cst.CSTNode]) -> tuple[cst.CSTNode | None, cst.CSTNode | None]:
    """(the statement line, the small statement) the current node is in."""
    for i in range(len(stack) - 1, 0, -1):
        node = stack[i]
        if isinstance(stack[i - 1], (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and isinstance(
                node, cst.BaseSmallStatement):
            return stack[i - 1], node
        if isinstance(node, cst.BaseCompoundStatement):
            return node, None
    return None, None


def _applies_own_constraint(argument: cst.BaseExpression | None, target_text: str) -> bool:
    """``var.assign(var.constraint(var))``."""
    return (isinstance(argument, cst.Call) and isinstance(argument.func, cst.Attribute)
            and argument.func.attr.value == "constraint" and dotted(argument.func.value) == target_text)


def _fitted_attribute(attr: str) -> bool:
    return attr.endswith("_") and not attr.startswith("_") and not attr.endswith("__") and attr not in _SKLEARN_METADATA


def _gradient_like(value: Value) -> bool:
    return isinstance(value, Gradient) or (isinstance(value, Many) and isinstance(value.element, Gradient))


class ParameterRule(Rule):
    """Base of the HL2 rules: shares one :class:`Analysis` per file."""

    def __init__(self, ctx, options=None) -> None:
        super().__init__(ctx, options)
        analysis = ctx.cache.get("hl2_analysis")
        self._owner = analysis is None
        if analysis is None:
            analysis = ctx.cache["hl2_analysis"] = Analysis(ctx)
        self.analysis: Analysis = analysis

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._owner:
            self.analysis.visit_FunctionDef(node)

    def visit_Call(self, node: cst.Call) -> None:
        if self._owner:
            self.analysis.visit_Call(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._owner:
            self.analysis.visit_Assign(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._owner:
            self.analysis.visit_AnnAssign(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self._owner:
            self.analysis.visit_AugAssign(node)

    def visit_Return(self, node: cst.Return) -> None:
        if self._owner:
            self.analysis.visit_Return(node)

    def finish(self) -> None:
        for decision in self.analysis.decisions():
            if decision.code == self.code:
                self.report(decision.write.node, decision.message, decision.suggestion, edits=decision.edits,
                            unsafe=decision.unsafe, statement=decision.write.statement)
