"""HL202: a learned parameter changed in place by training code."""
from __future__ import annotations

from hyperlint.rule import Valid
from hyperlint.rules._hl2 import ParameterRule


class ParameterUpdatedInPlace(ParameterRule):
    """
    ## What it does
    Finds in-place changes of learned parameters made by training code outside the optimizer:
    a hand-written gradient step (`p -= lr * p.grad`, `p.add_(p.grad, alpha=-lr)`), weight
    clipping (`p.clamp_(-c, c)`), masks multiplied in after each step (`p.mul_(mask)`), item
    writes (`model.emb.weight[pad] = 0`) and `p.copy_(<computed>)`. A parameter is recognised
    by data flow (`model.parameters()`, `named_parameters()`, `weight`/`bias` attributes,
    tensors trained from their `.grad`); "training code" is a training loop, a function it
    calls, a training hook, or code that runs after a training step or gradient computation
    (`loss.backward()`, `optimizer.step()`, `.fit(...)`) in the same straight-line code; a
    hand-written gradient step counts wherever it is. Initialisation, optimizer implementations,
    averaged / target copies, loading, freezing, pruning, gradient edits, and tensors that are a
    model's input (adversarial examples, Langevin samples) are not reported.

    ## Why is this bad?
    The optimizer, the learning-rate schedule and the checkpointed optimizer state no longer
    describe how the weights evolved: the update rule is hidden in the loop, is not recorded
    with the run, and is easy to get subtly wrong (momentum buffers and weight decay do not
    see the change).

    ## Example
    ```python
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    ```

    ## Use instead
    ```python
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr)
    ...
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    ```

    ## Fix safety
    No automatic fix: replacing a hand-written update by an optimizer, a parametrization or
    pruning changes the training procedure, so the suggested fix is given as a message.
    """

    code = "HL202"
    name = "parameter-updated-in-place"

    VALID = [
        # an optimizer does the update
        "for x, y in loader:\n"
        "    loss = criterion(model(x), y)\n"
        "    optimizer.zero_grad()\n"
        "    loss.backward()\n"
        "    optimizer.step()\n",
        # EMA of a shadow copy
        "import copy\nimport torch\n"
        "ema = copy.deepcopy(model)\n"
        "for x, y in loader:\n"
        "    criterion(model(x), y).backward()\n"
        "    optimizer.step()\n"
        "    with torch.no_grad():\n"
        "        for ema_p, p in zip(ema.parameters(), model.parameters()):\n"
        "            ema_p.mul_(0.999).add_(p, alpha=0.001)\n",
        # scaling inside __init__ is initialisation
        "import torch\nimport torch.nn as nn\n"
        "class ScaledLinear(nn.Linear):\n"
        "    def __init__(self, i, o, scale=1.0):\n"
        "        super().__init__(i, o)\n"
        "        with torch.no_grad():\n"
        "            self.weight.mul_(scale)\n",
        # gradient edits and freezing
        "for x, y in loader:\n"
        "    criterion(model(x), y).backward()\n"
        "    model.emb.weight.grad[0].zero_()\n"
        "    for p in model.encoder.parameters():\n"
        "        p.requires_grad = False\n"
        "    optimizer.step()\n",
        # setup before training: not training code
        "import torch\n"
        "with torch.no_grad():\n"
        "    model.head.weight.mul_(0.001)\n"
        "for x, y in loader:\n"
        "    criterion(model(x), y).backward()\n"
        "    optimizer.step()\n",
        Valid("for p in model.parameters():\n    p -= 0.1 * p.grad\n", path="tests/test_sgd.py"),
    ]
    INVALID = [
        "import torch\n"
        "for x, y in loader:\n"
        "    loss = criterion(model(x), y)\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        for p in model.parameters():\n"
        "            p -= 0.01 * p.grad\n",
        "import torch\n"
        "w = torch.zeros(3, requires_grad=True)\n"
        "for x, y in data:\n"
        "    loss = ((x @ w - y) ** 2).mean()\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        w -= lr * w.grad\n",
        "import torch\n"
        "for x, y in loader:\n"
        "    criterion(model(x), y).backward()\n"
        "    optimizer.step()\n"
        "    with torch.no_grad():\n"
        "        model.item_emb.weight.clamp_(min=0.0)\n"
        "        model.item_emb.weight[0] = 0.0\n",
        "import torch\n"
        "for it in range(iterations):\n"
        "    before = [p.detach().clone() for p in model.parameters()]\n"
        "    adapt(model, task)\n"
        "    with torch.no_grad():\n"
        "        for p, w0 in zip(model.parameters(), before):\n"
        "            p.copy_(w0 + step * (p - w0))\n"
        "def adapt(net, task):\n"
        "    loss = task.loss(net)\n"
        "    loss.backward()\n"
        "    opt.step()\n",
    ]
