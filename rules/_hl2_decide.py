"""Which HL2 rule reports a write (if any), with the message, suggested fix and automatic fix."""
from __future__ import annotations

import re

import libcst as cst

from hyperlint.facts.names import dotted
from hyperlint.facts.parameters import Deferred, Learned, Mapping
from hyperlint.rule import NodeEdit
from hyperlint.rules._hl2 import (
    _CLIP_METHODS, _INIT_METHODS, _RANDOM_METHODS, Analysis, Decision, Write, _walk,
)

_REPLACING = frozenset({"copy_", "set_", "assign", "item", "set_weights", "set_value"})
_MAX_SNIPPET = 60
_TORCH_WRITES = frozenset({"data", "inplace", "item", "augassign", "foreach"})


def decide(analysis: Analysis, write: Write) -> Decision | None:
    facts = analysis.facts
    value = facts.materialize(write.value)
    if not isinstance(value, Learned) and write.feature == "own_grad" and write.kind in _TORCH_WRITES:
        if _other_framework(analysis):
            return None
        # a tensor updated from its own gradient is a learned parameter, whatever it came from
        direct = isinstance(write.value, Deferred) and not write.value.ops
        value = Learned("torch", None, f"`{analysis.text(write.target)}`, which is trained from its `.grad`",
                        raw_variable=True, data_shaped=direct)
    if not isinstance(value, Learned):
        return None
    if value.framework == "torch" and value.raw_variable:
        # a bare tensor is a weight only if no model is applied to it: a tensor made from data (or a
        # function's own argument) when it is part of a model's input, any other when it is the input
        name = _base_name(write.target)
        if name and "." not in name and facts.fed_to_a_model(name, write.ancestors, directly=not value.data_shaped):
            return None
    code = _code(write, value)
    if code is None or code in ("HL201", "HL202") and _other_framework(analysis):
        return None
    ancestors = write.ancestors
    if facts.optimizer_context(ancestors) is not None or facts.init_context(ancestors) is not None:
        return None
    first = write.methods[0] if write.methods else ""
    if write.feature == "conversion":
        return None
    if (first in _REPLACING or write.kind == "set_weights") and write.feature in ("plain", "none", "others"):
        # a copy of stored / loaded / another model's values (loading, a target copy), or an average
        # or merge of other models' weights (federated averaging, model soups)
        return None
    if facts.loading_context(ancestors) is not None:
        return None
    manual_step = write.feature in ("own_grad", "gradient")
    if not manual_step:
        names = [value.owner, _base_name(write.target), write.state_dict_name]
        mapping = write.extra.get("mapping")
        if isinstance(mapping, Mapping):
            names.append(mapping.owner)
        if facts.averaging_context(ancestors, *names) is not None:
            return None
        if facts.frozen_copy_of_another(value.owner, write.extra.get("sources", set())):
            return None
    training = facts.training_code(ancestors)
    if training is None and not manual_step and write.extra.get("decomposed"):
        # a low-rank re-factorisation outside training: converting or setting up weights
        return None
    builder = _BUILDERS[code]
    return builder(analysis, write, value, training, manual_step)


def _other_framework(analysis: Analysis) -> bool:
    """The file uses another tensor framework and not PyTorch: ``.data``/``.grad``/``bias`` there
    are not torch parameters."""
    imports = analysis.ctx.imports
    return not imports.imports_module("torch") and any(
        imports.imports_module(m) for m in ("mxnet", "paddle", "mindspore", "oneflow", "chainer", "jittor",
                                            "tensorflow", "keras", "jax", "flax"))


def _code(write: Write, value: Learned) -> str | None:
    kind, framework = write.kind, value.framework
    if kind == "data":
        return "HL201" if framework == "torch" else None
    if kind in ("inplace", "item", "augassign", "foreach"):
        return "HL202" if framework == "torch" else None
    if kind == "state_dict":
        return "HL203"
    if kind == "sklearn":
        return "HL204"
    if kind in ("tf_assign", "set_weights"):
        return "HL205" if framework in ("tf", "torch") else None
    if kind in ("flax_item", "flax_update"):
        return "HL206" if framework == "flax" else None
    return None


# --- HL201 -------------------------------------------------------------------------------------


def _hl201(analysis: Analysis, write: Write, value: Learned, training: str | None, manual_step: bool) -> Decision:
    target = analysis.text(write.target)
    snippet = _snippet(analysis, write)
    message = f"`{snippet}` writes into a learned parameter through `.data`, which autograd does not track ({value.origin})"
    init_edit = _init_fix(analysis, write)
    if init_edit is not None:
        call_text = analysis.ctx.module.code_for_node(init_edit.replacement) if not isinstance(
            init_edit.replacement, str) else init_edit.replacement
        suggestion = f"Initialise with `{call_text}` (`torch.nn.init` runs under `no_grad` and needs no `.data`)."
        # while training, autograd may hold the tensor for backward: `nn.init` bumps its version
        # counter (an error there) where `.data` did not, so the rewrite is only safe at setup
        return Decision("HL201", write, message, suggestion, (init_edit,), unsafe=training is not None)
    suggestion = _torch_suggestion(analysis, write, value, target)
    edits = _no_data_fix(analysis, write)
    if edits:
        suggestion += " The automatic fix only drops `.data` and writes under `torch.no_grad()`."
        return Decision("HL201", write, message, suggestion, edits, unsafe=True)
    suggestion += " At least drop `.data` and write under `torch.no_grad()`, so autograd sees the change."
    return Decision("HL201", write, message, suggestion)


# --- HL202 -------------------------------------------------------------------------------------


def _hl202(analysis: Analysis, write: Write, value: Learned, training: str | None, manual_step: bool):
    if not training and not manual_step:
        training = _in_module_forward(analysis, write)
    if not training and not manual_step:
        return None
    target = analysis.text(write.target)
    snippet = _snippet(analysis, write)
    where = training or "as a hand-written gradient step"
    message = f"`{snippet}` changes a learned parameter in place {where}, outside the optimizer ({value.origin})"
    return Decision("HL202", write, message, _torch_suggestion(analysis, write, value, target))


def _self_or_submodule(owner: str | None) -> bool:
    """``self`` or a submodule of it (``self.conv``, ``self.blocks[0].attn``)."""
    return owner == "self" or bool(owner and owner.startswith(("self.", "self[")))


def _in_module_forward(analysis: Analysis, write: Write) -> str | None:
    """A parameter of the module or of one of its submodules changed in place in its ``forward``
    (``self.temp.clamp_(0.001, 0.5)``, ``self.conv.weight.clamp_(-1, 1)``): that runs at every
    training step."""
    if not (isinstance(value_owner := write.value, Learned) and _self_or_submodule(value_owner.owner)):
        return None
    for index in range(len(write.ancestors) - 1, -1, -1):
        node = write.ancestors[index]
        if isinstance(node, cst.Lambda):
            return None
        if isinstance(node, cst.FunctionDef):
            owner = write.ancestors[index - 2] if index >= 2 else None
            if node.name.value == "forward" and isinstance(owner, cst.ClassDef) \
                    and analysis.facts.is_module_class(owner):
                return "in `forward`, which runs at every training step"
            return None
    return None


# --- HL203 -------------------------------------------------------------------------------------


def _hl203(analysis: Analysis, write: Write, value: Learned, training: str | None, manual_step: bool):
    if not training:
        return None
    load = next(
        (load for load in analysis.loads if load.binding is write.state_dict_root and load.order > write.order
         and load.binding is not None),
        None,
    )
    if load is None:
        return None
    if value.owner and load.receiver and value.owner != load.receiver:
        return None  # loaded into another model: a copy / conversion
    name = write.state_dict_name or "the state dict"
    receiver = load.receiver or "the model"
    snippet = _snippet(analysis, write)
    message = (f"`{snippet}` edits {value.origin}, which `{receiver}.load_state_dict({name})` then loads "
               f"back into the model {training}")
    category = _category(analysis, write)
    key_text = analysis.text(write.node)
    if category == "mask":
        suggestion = (f"Prune with `torch.nn.utils.prune` (`prune.global_unstructured` or "
                      f"`prune.custom_from_mask`) instead of zeroing entries of `{name}` and loading them back.")
    elif "bias" in key_text and write.methods[:1] in (("sub_",), ("add_",), ("aug",)):
        suggestion = ("Apply the adjustment to the logits (logit adjustment in `forward` or at inference) instead "
                      f"of shifting the bias in `{name}`; if this is an export, save the edited dict as a separate "
                      f"checkpoint rather than loading it into `{receiver}`.")
    else:
        suggestion = (f"Keep `{name}` read-only: change the weights through the optimizer, "
                      "`torch.nn.utils.parametrize` or `torch.nn.utils.prune`; if this is an export step, save the "
                      f"edited dict as a new checkpoint instead of loading it into `{receiver}`.")
    return Decision("HL203", write, message, suggestion)


# --- HL204 -------------------------------------------------------------------------------------


def _hl204(analysis: Analysis, write: Write, value: Learned, training: str | None, manual_step: bool):
    modifies = write.subscripted or write.methods[:1] == ("aug",) or write.feature in ("own", "own_grad")
    if not (training or modifies):
        return None
    attribute = write.attribute or ""
    estimator = analysis.text(write.target.value) if isinstance(write.target, cst.Attribute) else "the estimator"
    snippet = _snippet(analysis, write)
    message = f"`{snippet}` overwrites the fitted attribute `{attribute}` of `{estimator}` by hand"
    statement_text = analysis.text(write.node)
    if attribute.startswith("coef") and (write.subscripted or "where" in statement_text or "mask" in statement_text
                                         or re.search(r"=\s*0(\.0*)?\b", statement_text)):
        suggestion = ("Get sparse coefficients from the estimator itself — an L1 or elastic-net penalty "
                      "(`penalty=\"l1\"`, `l1_ratio=`) or `SelectFromModel(..., threshold=...)` in a Pipeline — "
                      f"instead of zeroing `{estimator}.{attribute}` by hand.")
    elif attribute.startswith("intercept"):
        suggestion = ("Shift the decision threshold (or calibrate with `CalibratedClassifierCV`) on the predictions "
                      f"instead of editing `{estimator}.{attribute}`; to start a new fit from given values pass "
                      "`intercept_init=`.")
    else:
        suggestion = (f"Refit instead of assigning `{estimator}.{attribute}`: start from chosen values with "
                      "`coef_init=`/`intercept_init=` (SGD models) or `warm_start=True`, or express the change as "
                      "an estimator parameter.")
    return Decision("HL204", write, message, suggestion)


# --- HL205 -------------------------------------------------------------------------------------


def _hl205(analysis: Analysis, write: Write, value: Learned, training: str | None, manual_step: bool):
    if value.raw_variable and not manual_step:
        if write.extra.get("variable") not in analysis.facts.differentiated:
            return None
    if value.data_shaped:
        # a variable holding data that a model is applied to (style transfer's image) is an input
        name = _base_name(write.target)
        if name and "." not in name and analysis.facts.fed_to_a_model(name, write.ancestors):
            return None
    if not training and not manual_step:
        return None
    snippet = _snippet(analysis, write)
    where = training or "as a hand-written gradient step"
    message = f"`{snippet}` writes into trainable weights {where}, outside an optimizer ({value.origin})"
    category = _category(analysis, write)
    if manual_step or category == "step":
        suggestion = ("Let a Keras optimizer apply the update: `optimizer = keras.optimizers.SGD(learning_rate=..., "
                      "momentum=...)` and `optimizer.apply_gradients(zip(grads, model.trainable_variables))`.")
    elif category == "norm":
        suggestion = ("Give the layer `kernel_constraint=keras.constraints.MaxNorm(...)` (or `UnitNorm`); Keras "
                      "applies constraints after every optimizer step.")
    elif category == "clip":
        suggestion = ("Give the layer a weight constraint (`kernel_constraint=` with a `keras.constraints.Constraint` "
                      "that clips, or `NonNeg`/`MinMaxNorm`); for a WGAN critic prefer a gradient penalty.")
    else:
        suggestion = ("Express the change as a layer constraint (`kernel_constraint=`/`bias_constraint=`) or an "
                      "optimizer step; if you need a modified copy for export, build a new model from the weights "
                      "instead of writing them into the trained one.")
    return Decision("HL205", write, message, suggestion)


# --- HL206 -------------------------------------------------------------------------------------


def _hl206(analysis: Analysis, write: Write, value: Learned, training: str | None, manual_step: bool):
    snippet = _snippet(analysis, write)
    if write.kind == "flax_update":
        message = f"`{snippet}` updates the params tree by hand from its gradients"
        suggestion = ("Use an optax optimizer: `tx = optax.sgd(learning_rate)`, then `updates, opt_state = "
                      "tx.update(grads, opt_state, params)` and `params = optax.apply_updates(params, updates)` "
                      "(or `TrainState.apply_gradients`).")
        return Decision("HL206", write, message, suggestion)
    if not training:
        return None
    message = f"`{snippet}` edits {value.origin} {training}"
    suggestion = ("Express the change as an optax transformation (`optax.masked`, `optax.set_to_zero`, a projection "
                  "such as `optax.projections.projection_non_negative`) or in the model definition, instead of "
                  "editing the params tree while training.")
    return Decision("HL206", write, message, suggestion)


_BUILDERS = {"HL201": _hl201, "HL202": _hl202, "HL203": _hl203, "HL204": _hl204, "HL205": _hl205, "HL206": _hl206}


# --- suggestions ---------------------------------------------------------------------------------


def _category(analysis: Analysis, write: Write) -> str:
    if write.feature in ("own_grad", "gradient"):
        return "step"
    methods = set(write.methods)
    first = write.methods[0] if write.methods else ""
    statement = analysis.text(write.node) + " " + write.extra.get("value_text", "")
    if methods & _CLIP_METHODS or re.search(r"\b(clamp|clip|clip_by_value)\(", statement):
        return "clip"
    if "renorm_" in methods or re.search(r"\b(norms?|clip_by_norm|normalize|max_norm|renorm)\b", statement):
        return "norm"
    if "masked_fill_" in methods or (first == "mul_" and "mask" in statement.lower()) or re.search(
            r"\*\s*\w*mask", statement) or (first == "item" and write.feature == "constant"):
        return "mask"
    if first in _RANDOM_METHODS or write.feature == "random":
        return "init"
    if "lerp_" in methods or (first == "mul_" and "add_" in methods):
        return "mix"
    if first in ("mul_", "aug") and re.search(r"(mul_\(|\*=)\s*\(?\s*1(\.0*)?\s*-", statement):
        return "decay"
    if first in ("add_", "sub_", "addcdiv_", "addcmul_", "assign_add", "assign_sub") or (
            isinstance(write.node, cst.AugAssign) and isinstance(write.node.operator, (cst.AddAssign, cst.SubtractAssign))):
        return "step"
    if first in ("copy_", "set_", "assign", "set_weights"):
        return "copy"
    return "other"


def _torch_suggestion(analysis: Analysis, write: Write, value: Learned, target: str) -> str:
    category = _category(analysis, write)
    statement = analysis.text(write.node)
    params = f"{value.owner}.parameters()" if value.owner and "parameters" in value.origin else "the parameters"
    if category == "step":
        return (f"Let an optimizer apply the update: create `torch.optim.SGD({params}, lr=...)` once and call "
                f"`optimizer.step()` and `optimizer.zero_grad()` instead of changing `{target}` by hand.")
    if category == "clip":
        if re.search(r"clamp_\(\s*-", statement) or re.search(r"clamp_\(\s*min\s*=\s*-", statement):
            return ("Replace weight clipping with a Lipschitz constraint the model owns: a gradient penalty "
                    "(WGAN-GP) or `torch.nn.utils.parametrizations.spectral_norm` on the critic's layers.")
        return ("Enforce the bound with a parametrization (`torch.nn.utils.parametrize.register_parametrization` "
                f"with e.g. softplus for non-negativity) instead of clamping `{target}` after each step.")
    if category == "norm":
        return ("Keep the norm constraint in the model with `torch.nn.utils.parametrizations.weight_norm` or a "
                f"`torch.nn.utils.parametrize` parametrization that normalises it, instead of rescaling `{target}`.")
    if category == "mask":
        if "emb" in target.lower() and write.methods[:1] == ("item",):
            return ("For an embedding row that must stay zero use `nn.Embedding(..., padding_idx=...)`; for other "
                    "masks use `torch.nn.utils.prune.custom_from_mask(module, \"weight\", mask)`.")
        return ("Apply the mask with `torch.nn.utils.prune.custom_from_mask(module, \"weight\", mask)` (or "
                "`prune.global_unstructured`), which keeps masked weights at zero through training.")
    if category == "decay":
        return ("Let the optimizer apply weight decay: pass `weight_decay=` to it (decoupled, as in "
                "`torch.optim.AdamW(params, lr=..., weight_decay=...)`) instead of shrinking the weights by hand.")
    if category == "init":
        return (f"Initialise `{target}` with `torch.nn.init` inside `__init__`, `reset_parameters` or a function "
                "passed to `module.apply`.")
    if category in ("mix", "copy"):
        return ("Make the outer update an optimizer step (write the difference into `.grad` and call an outer "
                "optimizer's `step()`, as Reptile/Lookahead implementations do), or load a new state dict with "
                "`load_state_dict`; keep averaged weights in `torch.optim.swa_utils.AveragedModel`.")
    return (f"Change `{target}` through the optimizer, a `torch.nn.utils.parametrize` parametrization or "
            "`torch.nn.utils.prune` instead of writing into it by hand.")


def _snippet(analysis: Analysis, write: Write) -> str:
    node = write.node
    if isinstance(node, cst.Expr):
        node = node.value
    text = analysis.text(node)
    if len(text) > _MAX_SNIPPET:
        cut = text[: _MAX_SNIPPET - 3]
        if cut.find("(") > 0:
            cut = cut[: cut.index("(") + 1] + "..." + ")" if cut.count("(") > cut.count(")") else cut + "..."
        else:  # no call to elide, or a parenthesised target (``(a if c else b).weight.data[i] = ...``)
            cut += "..."
        return cut
    return text


def _base_name(node: cst.BaseExpression) -> str | None:
    while isinstance(node, (cst.Subscript, cst.Call)):
        node = node.value if isinstance(node, cst.Subscript) else node.func
    return dotted(node) if isinstance(node, (cst.Name, cst.Attribute)) else None


# --- automatic fixes -----------------------------------------------------------------------------


def _init_fix(analysis: Analysis, write: Write) -> NodeEdit | None:
    """``X.data.normal_(0, s)`` as a statement -> ``nn.init.normal_(X, 0, s)``."""
    call = write.call
    if call is None or len(write.methods) != 1 or write.methods[0] not in _INIT_METHODS:
        return None
    if not (isinstance(write.node, cst.Expr) and write.node.value is call):
        return None
    receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
    if not (isinstance(receiver, cst.Attribute) and receiver.attr.value == "data"):
        return None
    function = _INIT_METHODS[write.methods[0]]
    prefix = write.extra.get("init_prefixes", {}).get(function)
    if prefix is None:
        return None
    args = list(call.args)
    if any(a.star for a in args):
        return None
    method = write.methods[0]
    allowed = {"normal_": {"mean", "std", "generator"}, "uniform_": {"generator"}, "fill_": {"value"},
               "zero_": set()}[method]
    if any(a.keyword is not None and a.keyword.value not in allowed for a in args):
        return None
    if method == "zero_" and args:
        return None
    if method == "fill_":
        if len(args) != 1:
            return None
        if args[0].keyword is not None:
            args = [args[0].with_changes(keyword=cst.Name("val"))]
    func = cst.parse_expression(prefix)
    first = cst.Arg(receiver.value, comma=cst.MaybeSentinel.DEFAULT)
    if args:
        first = first.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    new_call = cst.Call(func=func, args=[first, *args])
    return NodeEdit(call, new_call)


def _no_data_fix(analysis: Analysis, write: Write) -> tuple[NodeEdit, ...]:
    """Drop ``.data`` from the written expression; wrap in ``torch.no_grad()`` unless already there."""
    node = write.node
    data_attribute = _written_data_attribute(write)
    edits: list[NodeEdit] = []
    if isinstance(node, cst.Assign) and data_attribute is not None and node.targets[0].target is data_attribute:
        if len(node.targets) != 1 or write.feature not in ("own", "own_grad", "gradient"):
            return ()
        base = analysis.ctx.module.code_for_node(data_attribute.value)
        value = analysis.ctx.module.code_for_node(node.value)
        edits.append(NodeEdit(node, f"{base}.copy_({value})"))
    elif data_attribute is not None:
        edits.append(NodeEdit(data_attribute, analysis.ctx.module.code_for_node(data_attribute.value)))
    else:
        return ()
    if analysis.facts.no_grad_context(write.ancestors):
        return tuple(edits)
    torch = write.extra.get("torch_alias")
    statement = write.statement
    if torch is None or not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return ()
    parent = write.ancestors[write.ancestors.index(statement) - 1] if statement in write.ancestors else None
    if not isinstance(parent, (cst.IndentedBlock, cst.Module)):
        return ()
    indent = _indentation(analysis.ctx.module, write.ancestors[: write.ancestors.index(statement)])
    unit = analysis.ctx.module.default_indent
    edits.append(NodeEdit(statement, f"{indent}with {torch}.no_grad():", "insert_line_before"))
    edits.append(NodeEdit(node, unit, "insert_before"))
    return tuple(edits)


def _written_data_attribute(write: Write) -> cst.Attribute | None:
    """The ``X.data`` node the statement writes through."""
    node = write.node
    if isinstance(node, (cst.Assign, cst.AugAssign)):
        target = node.targets[0].target if isinstance(node, cst.Assign) else node.target
        while isinstance(target, cst.Subscript):
            target = target.value
        return target if isinstance(target, cst.Attribute) and target.attr.value == "data" else None
    call = write.call
    if call is not None and isinstance(call.func, cst.Attribute):
        receiver = call.func.value
        while isinstance(receiver, cst.Subscript):
            receiver = receiver.value
        if isinstance(receiver, cst.Attribute) and receiver.attr.value == "data":
            return receiver
    return None


def _indentation(module: cst.Module, ancestors) -> str:
    """The absolute indentation of a statement: every enclosing block's, and a ``match``
    statement's own indentation of its ``case`` lines."""
    indent = ""
    for node in ancestors:
        if isinstance(node, (cst.IndentedBlock, cst.Match)):
            indent += node.indent if node.indent is not None else module.default_indent
    return indent


__all__ = ["decide", "_walk"]
