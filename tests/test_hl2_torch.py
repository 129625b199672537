"""HL201/HL202: PyTorch parameters written through `.data` or changed in place, with every
exemption RULES.md lists (each a real-code negative)."""
import pytest

from hyperlint.testing import lint


def found(code: str, path: str = "train.py") -> list[tuple[str, int]]:
    return [(f.code, f.start.row) for f in lint(code, ["HL2"], path=path)]


# --- positives -------------------------------------------------------------------------------


def test_wgan_weight_clipping_through_data_in_training_loop():
    code = """
    import torch
    for epoch in range(opt.n_epochs):
        for imgs, _ in loader:
            loss_d = -critic(imgs).mean() + critic(generator(z).detach()).mean()
            loss_d.backward()
            optimizer_d.step()
            for p in critic.parameters():
                p.data.clamp_(-opt.clip_value, opt.clip_value)
    """
    assert found(code) == [("HL201", 9)]
    finding = lint(code, ["HL201"])[0]
    assert "critic.parameters()" in finding.message
    assert "gradient penalty" in finding.fix.message or "spectral_norm" in finding.fix.message


@pytest.mark.parametrize("header", ["import torch.nn as nn", "from torch import nn", "import torch"])
def test_data_init_at_setup_is_reported_whatever_the_alias(header):
    code = f"""
    {header}
    model = build_model()
    model.fc.weight.data.normal_(0.0, 0.02)
    """
    assert found(code) == [("HL201", 4)]


def test_manual_sgd_over_parameters_under_no_grad():
    code = """
    import torch
    def fit(model, features, targets, learning_rate=1e-2, steps=500):
        for step in range(steps):
            loss = loss_fn(model(features), targets)
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param -= learning_rate * param.grad
    """
    assert found(code) == [("HL202", 10)]
    assert "torch.optim.SGD(model.parameters()" in lint(code, ["HL202"])[0].fix.message


def test_manual_sgd_on_requires_grad_tensors():
    code = """
    import torch
    w = torch.randn(784, 10, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    for xb, yb in batches:
        loss = nll(xb @ w + b, yb)
        loss.backward()
        with torch.no_grad():
            w -= w.grad * lr
            b -= b.grad * lr
            w.grad.zero_()
            b.grad.zero_()
    """
    assert found(code) == [("HL202", 9), ("HL202", 10)]


def test_tensor_made_trainable_with_requires_grad_():
    code = """
    import math, torch
    weights = torch.randn(784, 10) / math.sqrt(784)
    weights.requires_grad_()
    for xb, yb in batches:
        loss = nll(xb @ weights, yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
    """
    assert found(code) == [("HL202", 9)]


def test_sgd_helper_called_from_the_training_loop_via_its_arguments():
    code = """
    def clip_weights(params, c):
        for p in params:
            p.data.clamp_(-c, c)

    for x, _ in loader:
        critic_loss(x).backward()
        opt.step()
        clip_weights(critic.parameters(), 0.01)
    """
    assert found(code) == [("HL201", 4)]


def test_mask_multiplied_into_named_parameters_after_each_step():
    code = """
    import torch
    def train(model, masks, loader):
        for x, y in loader:
            loss = criterion(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                for name, p in model.named_parameters():
                    if name in masks:
                        p.mul_(masks[name])
    """
    assert found(code) == [("HL202", 12)]
    assert "prune" in lint(code, ["HL202"])[0].fix.message


def test_clamp_and_item_write_on_an_embedding_after_the_step():
    code = """
    import torch
    for u, i in loader:
        loss = bpr(model(u, i))
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.item_emb.weight.clamp_(min=0.0)
            model.item_emb.weight[0] = 0.0
    """
    assert found(code) == [("HL202", 8), ("HL202", 9)]
    messages = [f.fix.message for f in lint(code, ["HL202"])]
    assert "parametriz" in messages[0]
    assert "padding_idx" in messages[1]


def test_alias_of_a_weight_written_through_data_after_each_epoch():
    code = """
    for epoch in range(epochs):
        for x, y in loader:
            criterion(model(x), y).backward()
            optimizer.step()
        w = model.item_emb.weight
        w.data = w.data / w.data.norm(dim=1, keepdim=True)
    """
    assert found(code) == [("HL201", 7)]


def test_reptile_outer_update_is_not_an_average():
    code = """
    import torch
    for it in range(iterations):
        before = [p.detach().clone() for p in model.parameters()]
        adapt(model, sample_task())
        with torch.no_grad():
            for p, w0 in zip(model.parameters(), before):
                p.copy_(w0 + step * (p - w0))

    def adapt(net, task):
        opt = torch.optim.SGD(net.parameters(), lr=0.02)
        loss = task(net)
        loss.backward()
        opt.step()
    """
    assert found(code) == [("HL202", 8)]


def test_shrink_and_perturb_between_rounds():
    code = """
    import torch
    @torch.no_grad()
    def shrink_perturb(model, shrink, perturb):
        fresh = make_model()
        for p, p_new in zip(model.parameters(), fresh.parameters()):
            p.data.mul_(shrink).add_(p_new.data, alpha=perturb)
    """
    assert found(code) == [("HL201", 7)]


def test_foreach_update_of_the_trained_parameters():
    code = """
    import torch
    params = list(model.parameters())
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        grads = [p.grad for p in params]
        torch._foreach_add_(params, grads, alpha=-lr)
    """
    assert found(code) == [("HL202", 8)]


def test_in_place_change_in_a_lightning_training_hook():
    code = """
    import torch
    import lightning as L
    class Critic(L.LightningModule):
        def on_train_batch_end(self, outputs, batch, batch_idx):
            with torch.no_grad():
                for p in self.parameters():
                    p.clamp_(-0.01, 0.01)
    """
    assert found(code) == [("HL202", 8)]


# --- negatives: initialisation -------------------------------------------------------------------


def test_function_passed_to_module_apply_is_initialisation():
    code = """
    import torch.nn as nn
    def normal_init(m):
        if isinstance(m, nn.Conv2d):
            m.weight.data.normal_(0.0, 0.02)
            m.bias.data.fill_(0)
    netG.apply(normal_init)
    """
    assert found(code) == []


def test_lambda_passed_to_apply_is_initialisation():
    code = """
    net.apply(lambda m: m.weight.data.normal_(0, 0.02) if hasattr(m, "weight") else None)
    """
    assert found(code) == []


def test_reset_parameters_and_init_named_functions():
    code = """
    import math
    import torch.nn as nn
    class NoisyLinear(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.weight_mu = nn.Parameter(torch.empty(o, i))
            self.reset_parameters()
        def reset_parameters(self):
            self.weight_mu.data.uniform_(-1 / math.sqrt(8), 1 / math.sqrt(8))
    def layer_init(layer, std=1.0):
        layer.weight.data.mul_(std)
        return layer
    def _init_output_bias(model, prior):
        model.fc.bias.data.copy_(torch.log(prior))
    """
    assert found(code) == []


def test_method_called_from_init_is_initialisation():
    code = """
    import torch.nn as nn
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self._reset()
        def _reset(self):
            self.fc.weight.data.zero_()
    """
    assert found(code) == []


def test_zero_init_inside_init_loop_over_modules():
    code = """
    import torch.nn as nn
    class ResNet(nn.Module):
        def __init__(self, zero_init_residual=True):
            super().__init__()
            for m in self.modules():
                if isinstance(m, Block):
                    m.bn2.weight.data.zero_()
    """
    assert found(code) == []


def test_nn_init_calls_are_not_writes():
    code = """
    import torch.nn as nn
    nn.init.trunc_normal_(model.head.weight, std=2e-5)
    nn.init.zeros_(model.head.bias)
    """
    assert found(code) == []


# --- negatives: optimizer implementations -------------------------------------------------------


def test_step_of_an_optimizer_subclass():
    code = """
    import torch
    class PlainSGD(torch.optim.Optimizer):
        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.add_(p.grad, alpha=-group["lr"])
    """
    assert found(code) == []


def test_sam_first_step_in_an_optimizer_subclass():
    code = """
    from torch.optim import Optimizer
    class SAM(Optimizer):
        def first_step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    p.add_(p.grad * group["rho"])
    """
    assert found(code) == []


# --- negatives: averaged / target copies --------------------------------------------------------


def test_ema_of_a_shadow_state_dict():
    code = """
    import copy, torch
    class ModelEMA:
        def __init__(self, model, decay=0.9999):
            self.ema = copy.deepcopy(model).eval()
            self.decay = decay
        @torch.no_grad()
        def update(self, model):
            msd = model.state_dict()
            for k, v in self.ema.state_dict().items():
                if v.dtype.is_floating_point:
                    v.mul_(self.decay).add_(msd[k].detach(), alpha=1 - self.decay)
    """
    assert found(code) == []


def test_ema_with_lerp_and_foreach():
    code = """
    import torch
    class LerpAverager:
        def __init__(self, model):
            self.shadow = [p.detach().clone() for p in model.parameters()]
        @torch.no_grad()
        def step(self, model):
            for s, p in zip(self.shadow, model.parameters()):
                s.lerp_(p, 0.001)
            torch._foreach_lerp_(self.shadow, list(model.parameters()), 0.001)
    """
    assert found(code) == []


def test_polyak_update_of_a_deep_copied_target_in_the_training_loop():
    code = """
    from copy import deepcopy
    import torch
    ac_targ = deepcopy(ac)
    for t in range(total_steps):
        loss = compute_loss(batch)
        loss.backward()
        pi_optimizer.step()
        with torch.no_grad():
            for p, p_targ in zip(ac.parameters(), ac_targ.parameters()):
                p_targ.data.mul_(polyak)
                p_targ.data.add_((1 - polyak) * p.data)
    """
    assert found(code) == []


def test_soft_update_helper_and_target_network():
    code = """
    def soft_update(target, source, tau):
        for target_param, param in zip(target.parameters(), source.parameters()):
            target_param.data.copy_(target_param.data * (1.0 - tau) + param.data * tau)
    for step in range(n):
        loss.backward()
        optimizer.step()
        for tp, p in zip(target_net.parameters(), policy_net.parameters()):
            tp.mul_(1.0 - tau).add_(p, alpha=tau)
    """
    assert found(code) == []


def test_moco_momentum_encoder():
    code = """
    import torch
    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data = param_k.data * self.m + param_q.data * (1.0 - self.m)
    """
    assert found(code) == []


def test_swa_averaged_model():
    code = """
    from torch.optim.swa_utils import AveragedModel, update_bn
    swa_model = AveragedModel(model)
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer)
        swa_model.update_parameters(model)
    update_bn(loader, swa_model)
    """
    assert found(code) == []


# --- negatives: loading and conversion ------------------------------------------------------------


def test_loading_pretrained_embeddings_and_checkpoints():
    code = """
    import torch
    model.embedding.weight.data.copy_(TEXT.vocab.vectors)
    model.load_state_dict(torch.load("ckpt.pt"))
    best = [p.detach().clone() for p in model.parameters()]
    for x, y in loader:
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        for p, b in zip(model.parameters(), best):
            p.copy_(b)
    """
    assert found(code) == []


def test_conversion_functions_and_dtype_changes():
    code = """
    import torch
    def fuse(self):
        w = self.conv.weight * (self.bn.weight / (self.bn.running_var + 1e-5).sqrt())[:, None, None, None]
        self.conv.weight.data.copy_(w)
    def merge(self):
        self.base.weight.data += self.lora_B.weight @ self.lora_A.weight * self.scaling
    for p in model.parameters():
        p.data = p.data.to(torch.bfloat16)
    """
    assert found(code) == []


# --- negatives: tying, freezing, pruning, gradient edits -----------------------------------------


TRAIN_LOOP = """
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    {body}
    optimizer.step()
"""


def in_training_loop(body: str, header: str = "import torch") -> str:
    return header + "\n" + TRAIN_LOOP.format(body=body.replace("\n", "\n    "))


def test_the_loop_the_exemption_tests_use_is_training_code():
    code = in_training_loop("for p in model.parameters():\n    p.clamp_(-1, 1)")
    assert found(code) == [("HL202", 7)]


def test_weight_tying_is_not_a_write():
    code = """
    import torch.nn as nn
    class LM(nn.Module):
        def __init__(self, vocab, dim, tie_weights=True):
            super().__init__()
            self.encoder = nn.Embedding(vocab, dim)
            self.decoder = nn.Linear(dim, vocab)
            if tie_weights:
                self.decoder.weight = self.encoder.weight
    model.lm_head.weight = model.transformer.wte.weight
    """
    assert found(code) == []


def test_freezing_is_not_a_write():
    code = in_training_loop(
        "for p in model.backbone.parameters():\n    p.requires_grad = False\nmodel.head.requires_grad_(False)"
    )
    assert found(code) == []


def test_pruning_and_parametrize_are_not_writes():
    code = in_training_loop(
        "prune.l1_unstructured(model.fc, name='weight', amount=0.2)\n"
        "parametrize.register_parametrization(model.fc, 'weight', Symmetric())",
        header="import torch\nimport torch.nn.utils.prune as prune\nfrom torch.nn.utils import parametrize",
    )
    assert found(code) == []


def test_gradient_edits_are_not_parameter_writes():
    code = in_training_loop(
        "for p in model.parameters():\n    p.grad.data.clamp_(-1, 1)\n    p.grad.mul_(0.5)\n"
        "model.emb.weight.grad[0] = 0\nmodel.fc.weight.grad = None"
    )
    assert found(code) == []


# --- negatives: what is not a learned parameter ---------------------------------------------------


def test_inputs_optimised_along_their_gradient_are_not_weights():
    code = """
    import torch
    def pgd(model, X, y, epsilon, alpha, steps):
        delta = torch.zeros_like(X, requires_grad=True)
        for _ in range(steps):
            loss = loss_fn(model(X + delta), y)
            loss.backward()
            delta.data = (delta + alpha * delta.grad.detach().sign()).clamp(-epsilon, epsilon)
            delta.grad.zero_()
        return delta.detach()
    def langevin(self, inp_imgs, steps, step_size):
        for _ in range(steps):
            out = -self.model(inp_imgs)
            out.sum().backward()
            inp_imgs.data.add_(-step_size * inp_imgs.grad.data)
    """
    assert found(code) == []


def test_buffers_and_plain_tensors_are_not_parameters():
    code = """
    import numpy as np
    class LinearRegression:
        def fit(self, X, y):
            self.weights = np.zeros(X.shape[1])
            self.bias = 0
            for _ in range(self.n_iters):
                dw = X.T @ (X @ self.weights + self.bias - y) / len(y)
                self.weights -= self.lr * dw
                self.bias -= self.lr * dw.mean()
    for step in range(n):
        loss.backward()
        optimizer.step()
        rollouts.obs[0].copy_(obs)
        running_mean.mul_(0.9).add_(batch_mean, alpha=0.1)
    """
    assert found(code) == []


def test_setup_in_place_scaling_before_training_is_not_training_code():
    code = """
    import torch
    def main(args):
        model = create_model(args.model)
        with torch.no_grad():
            model.get_classifier().weight.mul_(args.head_init_scale)
        for epoch in range(args.epochs):
            train_one_epoch(model, loader, optimizer)
    def train_one_epoch(model, loader, optimizer):
        for x, y in loader:
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
    """
    assert found(code) == []


def test_test_files_are_skipped_by_default():
    code = """
    def test_restore():
        model.weight.data.mul_(0.0)
    """
    assert found(code, path="tests/test_model.py") == []
    assert found(code, path="conftest.py") == []


def test_moco_v3_momentum_encoder_naming():
    code = """
    import torch
    class MoCo(torch.nn.Module):
        @torch.no_grad()
        def _update_momentum_encoder(self, m):
            for param_b, param_m in zip(self.base_encoder.parameters(), self.momentum_encoder.parameters()):
                param_m.data = param_m.data * m + param_b.data * (1.0 - m)
    """
    assert found(code) == []


def test_federated_averaging_of_client_models_is_an_average():
    code = """
    for rnd in range(rounds):
        for client, loader in zip(clients, loaders):
            local_train(client, loader)
        global_dict = global_model.state_dict()
        for k in global_dict.keys():
            global_dict[k] = torch.stack([c.state_dict()[k].float() for c in clients], 0).mean(0)
        global_model.load_state_dict(global_dict)
        with torch.no_grad():
            for p, *cps in zip(global_model.parameters(), *[c.parameters() for c in clients]):
                p.copy_(torch.stack(cps).mean(0))
    def local_train(model, loader):
        for x, y in loader:
            loss = criterion(model(x), y)
            loss.backward()
            opt.step()
    """
    assert found(code) == []


def test_hand_written_weight_decay_suggests_the_optimizer_option():
    code = """
    for x, y in loader:
        criterion(model(x), y).backward()
        optimizer.step()
        for p in model.parameters():
            p.data.mul_(1 - lr * wd)
    """
    finding = lint(code, ["HL201"])[0]
    assert finding.start.row == 6 and "weight_decay=" in finding.fix.message


def test_clip_logit_scale_clamp_in_the_training_loop():
    code = """
    import math, torch
    for images, texts in loader:
        loss = clip_loss(*model(images, texts))
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            unwrap_model(model).logit_scale.clamp_(0, math.log(100))
    """
    assert found(code) == [("HL202", 8)]


def test_adversarial_image_held_in_an_nn_parameter_is_an_input():
    code = """
    import torch.nn as nn
    def attack(self, images, labels):
        images = images.clone().detach()
        y_k = nn.Parameter(images)
        for it in range(self.steps):
            cost = self.loss(self.get_logits(y_k), labels)
            cost.backward()
            with torch.no_grad():
                y_k -= y_k.grad * self.lr
    """
    assert found(code) == []


def test_clipping_written_as_a_list_comprehension():
    code = """
    for x in loader:
        critic_loss(x).backward()
        opt_d.step()
        _ = [p.data.clamp_(-0.01, 0.01) for p in netD.parameters()]
    """
    assert found(code) == [("HL201", 5)]


def test_feature_visualisation_image_is_an_input():
    code = """
    import torch
    img = torch.rand(1, 3, 224, 224, requires_grad=True)
    for step in range(steps):
        act = model(img)[0, unit]
        act.backward()
        img.data += lr * img.grad.data / img.grad.data.abs().mean()
        img.grad.zero_()
    """
    assert found(code) == []
