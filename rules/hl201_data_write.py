"""HL201: a learned parameter written through ``.data``."""
from __future__ import annotations

from hyperlint.rule import Invalid, Valid
from hyperlint.rules._hl2 import ParameterRule


class ParameterWriteThroughData(ParameterRule):
    """
    ## What it does
    Finds writes into a model's learned parameters through `.data`: `p.data = ...`,
    `p.data.<op>_(...)` (`clamp_`, `add_`, `mul_`, `normal_`, `copy_`, ...) and
    `p.data[...] = ...`, where `p` is a parameter by data flow (an element of
    `model.parameters()` / `named_parameters()`, a `weight`/`bias` attribute, a registered
    `nn.Parameter`, a tensor trained from its `.grad`). Initialisation code (`__init__`,
    `reset_parameters`, `*init*` functions, functions passed to `module.apply`), optimizer
    implementations, averaged / target copies (EMA, Polyak, SWA, momentum encoders), loading
    code and copies of stored or loaded values are not reported.

    ## Why is this bad?
    `.data` hides the write from autograd: the version counter is not bumped, so a tensor
    saved for backward can be silently overwritten and produce wrong gradients, and the
    change is invisible to the optimizer, to hooks and to anyone reading the training step.
    Weights edited by hand also do not come from the configured training procedure, so the
    run cannot be reproduced from its config.

    ## Example
    ```python
    for p in critic.parameters():
        p.data.clamp_(-args.clip_value, args.clip_value)

    model.fc.weight.data.normal_(0.0, 0.02)
    ```

    ## Use instead
    ```python
    # a Lipschitz constraint the model owns (WGAN-GP or spectral norm) instead of clipping
    critic = torch.nn.utils.parametrizations.spectral_norm(critic_layer)

    nn.init.normal_(model.fc.weight, 0.0, 0.02)
    ```

    ## Fix safety
    `X.data.normal_(...)`, `.uniform_(...)`, `.zero_()` and `.fill_(v)` as a statement become
    `nn.init.normal_(X, ...)`, `nn.init.uniform_`, `nn.init.zeros_`, `nn.init.constant_` (spelled
    with the file's own import of `torch.nn` / `torch`): `torch.nn.init` writes the same values
    under `torch.no_grad()`. Outside training code this fix is safe; inside it, it is unsafe,
    because `torch.nn.init` bumps the tensor's version counter, so a tensor autograd saved for
    backward now raises "modified by an inplace operation" where `.data` did not. Where it is
    mechanical, any other write is rewritten without `.data` under `torch.no_grad()` (added
    unless the code is already under it); that is unsafe for the same reason, and `p.data = v`
    becomes `p.copy_(v)`, which needs `v` to have `p`'s shape (offered only when `v` is computed
    from `p`).
    """

    code = "HL201"
    name = "parameter-write-through-data"

    VALID = [
        # initialisation: a function passed to module.apply
        "import torch.nn as nn\n"
        "def weights_init(m):\n"
        "    if isinstance(m, nn.Conv2d):\n"
        "        m.weight.data.normal_(0.0, 0.02)\n"
        "net = Net()\n"
        "net.apply(weights_init)\n",
        # initialisation inside __init__ / reset_parameters
        "import torch.nn as nn\n"
        "class Noisy(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(4, 4)\n"
        "        self.reset_parameters()\n"
        "    def reset_parameters(self):\n"
        "        self.fc.weight.data.uniform_(-0.1, 0.1)\n",
        # Polyak / target-network update
        "def soft_update(target, source, tau):\n"
        "    for tp, p in zip(target.parameters(), source.parameters()):\n"
        "        tp.data.copy_(tau * p.data + (1 - tau) * tp.data)\n",
        # MoCo momentum encoder
        "def momentum_update(encoder_q, encoder_k, m):\n"
        "    for pq, pk in zip(encoder_q.parameters(), encoder_k.parameters()):\n"
        "        pk.data = pk.data * m + pq.data * (1.0 - m)\n",
        # loading pretrained vectors is loading
        "model.embedding.weight.data.copy_(pretrained_vectors)\n",
        # gradient edits are not parameter writes
        "for p in model.parameters():\n"
        "    p.grad.data.clamp_(-1, 1)\n",
        # dtype / device conversion keeps the values
        "for p in model.parameters():\n"
        "    p.data = p.data.half()\n",
        # an optimizer implementation
        "import torch\n"
        "class PlainSGD(torch.optim.Optimizer):\n"
        "    def step(self, closure=None):\n"
        "        for group in self.param_groups:\n"
        "            for p in group['params']:\n"
        "                p.data.add_(p.grad.data, alpha=-group['lr'])\n",
        Valid("for p in model.parameters():\n    p.data.clamp_(-0.01, 0.01)\n", path="tests/test_gan.py"),
    ]
    INVALID = [
        Invalid(
            "import torch\n"
            "for p in critic.parameters():\n"
            "    p.data.clamp_(-0.01, 0.01)\n",
            fixed="import torch\n"
            "for p in critic.parameters():\n"
            "    with torch.no_grad():\n"
            "        p.clamp_(-0.01, 0.01)\n",
            unsafe=True,
        ),
        Invalid(
            "import torch.nn as nn\n"
            "model = nn.Linear(10, 2)\n"
            "model.weight.data.normal_(0, 0.01)\n",
            fixed="import torch.nn as nn\n"
            "model = nn.Linear(10, 2)\n"
            "nn.init.normal_(model.weight, 0, 0.01)\n",
        ),
        Invalid(
            "import torch\n"
            "def sgd_step(params, step_size):\n"
            "    for p in params:\n"
            "        p.data.add_(p.grad.data, alpha=-step_size)\n",
        ),
        "for epoch in range(n_epochs):\n"
        "    for x, y in loader:\n"
        "        loss = criterion(model(x), y)\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "    w = model.item_emb.weight\n"
        "    w.data = w.data / w.data.norm(dim=1, keepdim=True)\n",
    ]
