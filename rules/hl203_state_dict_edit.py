"""HL203: a model's state_dict edited and loaded back."""
from __future__ import annotations

from hyperlint.rules._hl2 import ParameterRule


class StateDictEditedAndLoaded(ParameterRule):
    """
    ## What it does
    Finds edits of the values of a model's own `state_dict()` — `sd[k] = <computed>`,
    `sd[k].mul_(...)`, `v.sub_(...)` while iterating `sd.items()` — followed by
    `model.load_state_dict(sd)`, in training code (in or after training). Loading a
    checkpoint, renaming or deleting its keys, reshaping or interpolating an entry before
    loading, and target-network / EMA syncs (`target.load_state_dict(policy.state_dict())`,
    Polyak averages of a target's state dict) are not reported.

    ## Why is this bad?
    Loading hand-edited values into the model that is being trained (or evaluated as its
    result) changes the learned weights outside the optimizer, in a way no config records;
    the reported metrics then describe a model that training did not produce.

    ## Example
    ```python
    sd = model.state_dict()
    for name, tensor in sd.items():
        if name.endswith("weight"):
            sd[name] = tensor * (tensor.abs() > threshold)
    model.load_state_dict(sd)
    ```

    ## Use instead
    ```python
    import torch.nn.utils.prune as prune

    prune.global_unstructured(
        [(m, "weight") for m in model.modules() if isinstance(m, nn.Linear)],
        pruning_method=prune.L1Unstructured, amount=cfg.prune_amount,
    )
    ```

    ## Fix safety
    No automatic fix: the right replacement (pruning, a parametrization, an optimizer step, or
    saving the edited dict as a separate checkpoint) depends on intent.
    """

    code = "HL203"
    name = "state-dict-edited-and-loaded"

    VALID = [
        # checkpoint conversion before loading
        "import torch\n"
        "def load_backbone(model, path):\n"
        "    sd = torch.load(path, map_location='cpu')\n"
        "    sd = {k.replace('module.', ''): v for k, v in sd.items()}\n"
        "    del sd['fc.weight']\n"
        "    sd['pos_embed'] = resize_pos_embed(sd['pos_embed'], 24)\n"
        "    model.load_state_dict(sd, strict=False)\n",
        # Polyak update of a target network through its state dict
        "def sync_target(self):\n"
        "    target_sd = self.target_net.state_dict()\n"
        "    policy_sd = self.policy_net.state_dict()\n"
        "    for key in policy_sd:\n"
        "        target_sd[key] = policy_sd[key] * TAU + target_sd[key] * (1 - TAU)\n"
        "    self.target_net.load_state_dict(target_sd)\n",
        # hard target update
        "for step in range(n_steps):\n"
        "    loss = agent.loss(batch)\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
        "    target_net.load_state_dict(policy_net.state_dict())\n",
        # averaging saved checkpoints is loading
        "import torch\n"
        "states = [torch.load(p) for p in paths]\n"
        "soup = {k: sum(s[k] for s in states) / len(states) for k in states[0]}\n"
        "model.load_state_dict(soup)\n",
    ]
    INVALID = [
        "for epoch in range(args.epochs):\n"
        "    if epoch == args.head_shrink_epoch:\n"
        "        sd = model.state_dict()\n"
        "        sd['fc.weight'].mul_(0.5)\n"
        "        model.load_state_dict(sd)\n"
        "    for x, y in loader:\n"
        "        criterion(model(x), y).backward()\n"
        "        optimizer.step()\n",
        "model.fit(x, y)\n"
        "sd = model.state_dict()\n"
        "for name, tensor in sd.items():\n"
        "    sd[name] = tensor * (tensor.abs() > 1e-3)\n"
        "model.load_state_dict(sd)\n",
    ]
