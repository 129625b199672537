"""HL2 on shapes met in public repositories nobody here wrote: each false positive found there is
a negative test (reduced from the real code), next to a positive showing the rule still fires
on the nearby violation."""
from hyperlint.testing import lint


def found(code: str, path: str = "train.py") -> list[tuple[str, int]]:
    return [(f.code, f.start.row) for f in lint(code, ["HL2"], path=path)]


# --- initialisation reached through same-file calls (HobbitLong/RepDistiller models/util.py) -----

_CONNECTOR = """
import math
import torch.nn as nn

class ConnectorV2(nn.Module):
    def __init__(self, s_shapes, t_shapes):
        super().__init__()
        self.connectors = nn.ModuleList(self._make_conenctors(s_shapes, t_shapes))

    def _make_conenctors(self, s_shapes, t_shapes):
        t_channels = [t[1] for t in t_shapes]
        s_channels = [s[1] for s in s_shapes]
        return nn.ModuleList([self._build_feature_connector(t, s) for t, s in zip(t_channels, s_channels)])

    @staticmethod
    def _build_feature_connector(t_channel, s_channel):
        C = [nn.Conv2d(s_channel, t_channel, kernel_size=1, bias=False), nn.BatchNorm2d(t_channel)]
        for m in C:
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2. / n))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()
        return nn.Sequential(*C)
"""


def test_layers_built_by_a_helper_that_only_init_calls_are_initialised():
    assert found(_CONNECTOR) == []


def test_the_same_helper_also_called_while_training_is_reported():
    code = _CONNECTOR + """
def train(model, loader, optimizer):
    for x, y in loader:
        loss = model(x).sub(y).pow(2).mean()
        loss.backward()
        optimizer.step()
        model._build_feature_connector(4, 4)
"""
    assert found(code) == [("HL201", 21), ("HL201", 23), ("HL201", 24)]


def test_a_helper_called_from_nowhere_is_not_initialisation():
    code = """
    import torch.nn as nn

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 2)

        def shrink(self):
            self.fc.weight.data.mul_(0.5)
    """
    assert found(code) == [("HL201", 10)]


# --- attributes of a plain same-file class (tensorflow/docs guide/function.ipynb) ----------------

_BETTER_MODEL = """
import tensorflow as tf

class BetterModel:
    def __init__(self):
        self.bias = tf.Variable(0.)
        self.weight = tf.Variable(2.)

@tf.function
def evaluate(model, x):
    return model.weight * x + model.bias

v = tf.Variable(1.0)
with tf.GradientTape() as tape:
    result = v * v
grad = tape.gradient(result, v)
better_model = BetterModel()
better_model.bias.assign_add(5.0)
"""


def test_a_variable_on_a_plain_object_that_nothing_differentiates_is_not_a_weight():
    assert found(_BETTER_MODEL) == []


def test_a_variable_on_a_plain_object_stepped_along_its_gradient_is_reported():
    code = _BETTER_MODEL + """
for step in range(100):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((evaluate(better_model, xs) - ys) ** 2)
    d_weight = tape.gradient(loss, better_model.weight)
    better_model.weight.assign_sub(0.1 * d_weight)
"""
    assert found(code) == [("HL205", 24)]


def test_a_differentiated_variable_on_a_plain_object_clipped_while_training_is_reported():
    code = _BETTER_MODEL + """
optimizer = tf.keras.optimizers.SGD(0.1)
for step in range(100):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((evaluate(better_model, xs) - ys) ** 2)
    grads = tape.gradient(loss, [better_model.weight])
    optimizer.apply_gradients(zip(grads, [better_model.weight]))
    better_model.weight.assign(tf.clip_by_value(better_model.weight, 0.0, 1.0))
"""
    assert found(code) == [("HL205", 26)]


# --- a stored copy looked up by the parameter itself (diffusers hooks/group_offloading.py) -------

_OFFLOAD = """
import torch

class ModuleGroup:
    def __init__(self, modules, offload_device):
        self.modules = modules
        self.cpu_param_dict = {p: p.data.to(offload_device) for m in modules for p in m.parameters()}

    def offload_to_memory(self):
        for group_module in self.modules:
            for param in group_module.parameters():
                param.data = self.cpu_param_dict[param]
"""


def test_restoring_a_stored_copy_keyed_by_the_parameter_is_not_reported():
    assert found(_OFFLOAD) == []


def test_scaling_by_a_factor_keyed_by_the_parameter_is_reported():
    code = _OFFLOAD + """
    def shrink(self, factors):
        for group_module in self.modules:
            for param in group_module.parameters():
                param.data = param.data * factors[param]
"""
    assert found(code) == [("HL201", 17)]


# --- un-fusing a LoRA restores the base weight (diffusers models/lora.py) ------------------------

_UNFUSE = """
import torch
import torch.nn as nn

class LoRACompatibleLinear(nn.Linear):
    def _unfuse_lora(self):
        fused_weight = self.weight.data
        dtype, device = fused_weight.dtype, fused_weight.device
        w_up = self.w_up.to(device=device).float()
        w_down = self.w_down.to(device).float()
        unfused_weight = fused_weight.float() - (self._lora_scale * torch.bmm(w_up[None, :], w_down[None, :])[0])
        self.weight.data = unfused_weight.to(device=device, dtype=dtype)
"""


def test_unfusing_a_lora_is_conversion():
    assert found(_UNFUSE) == []


def test_the_same_write_in_an_ordinary_method_is_reported():
    assert found(_UNFUSE.replace("_unfuse_lora", "decay_lora")) == [("HL201", 12)]


# --- restoring frozen entries from a stored copy (diffusers textual_inversion_flax.py) -----------

_TEXTUAL_INVERSION = """
import jax
import jax.numpy as jnp

original_token_embeds = text_encoder.params["text_model"]["embeddings"]["token_embedding"]["embedding"]

def train_step(state, batch):
    def compute_loss(params):
        return loss_of(params, batch)

    grad_fn = jax.value_and_grad(compute_loss)
    loss, grad = grad_fn(state.params)
    new_state = state.apply_gradients(grads=grad)
    token_embeds = original_token_embeds.at[placeholder_token_id].set(
        new_state.params["text_model"]["embeddings"]["token_embedding"]["embedding"][placeholder_token_id]
    )
    new_state.params["text_model"]["embeddings"]["token_embedding"]["embedding"] = token_embeds
    return new_state, loss
"""


def test_keeping_all_but_the_new_token_embedding_fixed_is_freezing():
    assert found(_TEXTUAL_INVERSION) == []


def test_the_same_restore_with_a_where_over_a_fixed_mask_is_freezing():
    code = _TEXTUAL_INVERSION.replace(
        "original_token_embeds.at[placeholder_token_id].set(",
        "jnp.where(frozen_rows[:, None], original_token_embeds,").replace("[placeholder_token_id]\n", "\n")
    assert "jnp.where(frozen_rows" in code
    assert found(code) == []


def test_scaling_the_new_token_embedding_while_training_is_reported():
    code = _TEXTUAL_INVERSION.replace(
        "original_token_embeds.at[placeholder_token_id].set(",
        "original_token_embeds.at[placeholder_token_id].set(0.5 * ")
    assert found(code) == [("HL206", 17)]


def test_a_mask_chosen_by_the_weights_own_magnitude_is_reported():
    code = """
    import torch
    for x, y in loader:
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            w = model.fc.weight
            w.copy_(torch.where(w.abs() < threshold, initial_weight, w))
    """
    assert found(code) == [("HL202", 9)]


def test_restoring_frozen_rows_of_an_embedding_with_where_is_freezing():
    code = """
    import torch
    orig_embeds = model.get_input_embeddings().weight.detach().clone()
    for x, y in loader:
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            emb = model.get_input_embeddings().weight
            emb.copy_(torch.where(index_no_updates[:, None], orig_embeds, emb))
    """
    assert found(code) == []


# --- an averaged copy recognised by evidence, not by its name --------------------------------------

_FROZEN_COPY = """
import torch
import torch.nn as nn

class TwoViews(nn.Module):
    def __init__(self, base_encoder, dim=128, m=0.999):
        super().__init__()
        self.m = m
        self.query_net = base_encoder(num_classes=dim)
        self.net_b = base_encoder(num_classes=dim)
        for p_q, p_b in zip(self.query_net.parameters(), self.net_b.parameters()):
            p_b.data.copy_(p_q.data)
            p_b.requires_grad = False

    @torch.no_grad()
    def _update(self):
        for p_q, p_b in zip(self.query_net.parameters(), self.net_b.parameters()):
            p_b.data = p_b.data * self.m + p_q.data * (1.0 - self.m)

    def forward(self, x):
        self._update()
        return self.query_net(x), self.net_b(x)
"""


def test_a_frozen_model_moved_towards_another_models_weights_is_an_averaged_copy():
    assert found(_FROZEN_COPY) == []


def test_the_same_mix_into_a_model_that_is_not_frozen_is_reported():
    assert found(_FROZEN_COPY.replace("p_b.requires_grad = False", "pass")) == [("HL201", 18)]


def test_a_frozen_model_rescaled_from_its_own_weights_is_reported():
    code = _FROZEN_COPY.replace("p_b.data * self.m + p_q.data * (1.0 - self.m)", "p_b.data * self.m")
    assert found(code) == [("HL201", 18)]


def test_a_frozen_model_stepped_in_place_towards_another_while_training():
    code = """
    import torch
    net_b.requires_grad_(False)
    for x, y in loader:
        loss = loss_fn(net_a(x), y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            for p_a, p_b in zip(net_a.parameters(), net_b.parameters()):
                p_b.mul_(0.99).add_(p_a, alpha=0.01)
    """
    assert found(code) == []
    assert found(code.replace("net_b.requires_grad_(False)", "")) == [("HL202", 10)]


# --- the message quotes a parenthesised target readably (diffusers dreambooth_lora_sd15_advanced) --


def test_a_parenthesised_target_is_quoted_by_its_start_not_as_an_empty_call():
    code = """
    import torch

    @torch.no_grad()
    def retract_embeddings(self, text_encoder, index_updates, off_ratio):
        new_embeddings = (
            text_encoder.text_model if hasattr(text_encoder, "text_model") else text_encoder
        ).embeddings.token_embedding.weight.data[index_updates] * off_ratio
        (
            text_encoder.text_model if hasattr(text_encoder, "text_model") else text_encoder
        ).embeddings.token_embedding.weight.data[index_updates] = new_embeddings
    """
    findings = lint(code, ["HL2"])
    assert [(f.code, f.start.row) for f in findings] == [("HL201", 9)]
    assert "`( text_encoder.text_model if hasattr(" in findings[0].message
    assert "`(...)`" not in findings[0].message


# --- low-rank re-factorisation outside training (peft lora/variants.py KaSA, lora/intruders.py) ---

_TRUNCATE = """
import torch

def truncate_base_weight(module, r):
    base_layer = module.get_base_layer()
    weight = base_layer.weight
    orig_dtype = weight.dtype
    out_features, in_features = weight.shape
    svd_rank = min(in_features, out_features) - r
    weight_fp32 = weight.detach().to(torch.float32)
    U, S, Vh = torch.linalg.svd(weight_fp32, full_matrices=False)
    U_p = U[:, :svd_rank]
    S_p = S[:svd_rank]
    Vh_p = Vh[:svd_rank, :]
    truncated = (U_p * S_p) @ Vh_p
    base_layer.weight.data = truncated.to(orig_dtype)
    return U[:, svd_rank:] * S[svd_rank:], Vh[svd_rank:, :]
"""


def test_replacing_a_weight_by_its_truncated_svd_outside_training_is_conversion():
    assert found(_TRUNCATE) == []


def test_the_same_write_without_a_decomposition_is_reported():
    code = _TRUNCATE.replace("torch.linalg.svd(weight_fp32, full_matrices=False)", "split3(weight_fp32)")
    assert found(code) == [("HL201", 16)]


def test_orthogonalising_a_weight_by_svd_inside_the_training_loop_is_reported():
    code = """
    import torch
    for x, y in loader:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            U, S, Vh = torch.linalg.svd(model.proj.weight, full_matrices=False)
            model.proj.weight.copy_(U @ Vh)
    """
    assert found(code) == [("HL202", 10)]


# --- a module clamping its own parameter in forward (salesforce/ALBEF, BLIP model_pretrain.py) ----

_TEMPERATURE = """
import torch
import torch.nn as nn

class ALBEF(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.temp = nn.Parameter(torch.ones([]) * config["temp"])
        self.visual_encoder = build_encoder(config)

    def forward(self, image, text, alpha=0):
        with torch.no_grad():
            self.temp.clamp_(0.001, 0.5)
        return self.visual_encoder(image) / self.temp
"""


def test_clamping_a_modules_own_parameter_in_forward_is_reported():
    findings = lint(_TEMPERATURE, ["HL2"])
    assert [(f.code, f.start.row) for f in findings] == [("HL202", 13)]
    assert "in `forward`" in findings[0].message
    assert "parametriz" in findings[0].fix.message


def test_the_same_clamp_in_a_class_that_is_not_a_module_is_not_reported():
    assert found(_TEMPERATURE.replace("class ALBEF(nn.Module):", "class ALBEF:")
                 .replace("super().__init__()", "pass")) == []


def test_a_momentum_update_called_from_forward_is_still_an_averaged_copy():
    code = _TEMPERATURE.replace("            self.temp.clamp_(0.001, 0.5)", "            self._momentum_update()") + """
    @torch.no_grad()
    def _momentum_update(self):
        for param, param_m in zip(self.visual_encoder.parameters(), self.visual_encoder_m.parameters()):
            param_m.data = param_m.data * self.momentum + param.data * (1. - self.momentum)

    def forward_features(self, image):
        with torch.no_grad():
            self.temp.clamp_(0.001, 0.5)
        return image
"""
    assert found(code) == []


def test_a_submodules_parameter_changed_in_forward_is_reported_too():
    # mmpretrain's SwAV loss re-normalises its prototypes' weight in forward
    code = _TEMPERATURE.replace("            self.temp.clamp_(0.001, 0.5)", (
        "            w = self.prototypes.weight.clone()\n"
        "            self.prototypes.weight.copy_(nn.functional.normalize(w, dim=1))"))
    code = code.replace("        self.visual_encoder = build_encoder(config)",
                        "        self.visual_encoder = build_encoder(config)\n        self.prototypes = nn.Linear(128, 3000)")
    assert found(code) == [("HL202", 15)]


def test_a_submodule_copied_from_another_model_in_forward_is_an_averaged_copy():
    code = _TEMPERATURE.replace("            self.temp.clamp_(0.001, 0.5)", (
        "            self.encoder_m.weight.mul_(0.995).add_(self.visual_encoder.weight, alpha=0.005)"))
    code = code.replace("        self.visual_encoder = build_encoder(config)",
                        "        self.visual_encoder = build_encoder(config)\n        self.encoder_m = build_encoder(config)\n"
                        "        self.encoder_m.requires_grad_(False)")
    assert found(code) == []
