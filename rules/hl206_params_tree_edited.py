"""HL206: a flax/JAX params tree changed by hand."""
from __future__ import annotations

from hyperlint.rules._hl2 import ParameterRule


class ParamsTreeEdited(ParameterRule):
    """
    ## What it does
    Finds hand-written changes of a flax / JAX params tree: a gradient step written with
    `jax.tree_util.tree_map` (`params = tree_map(lambda p, g: p - lr * g, params, grads)`), and
    item writes into the tree (`params["Dense_0"]["kernel"] = ...`) in training code. A params
    tree is recognised by data flow: `model.init(...)`, `state.params`, or the argument
    differentiated by `jax.grad` / `jax.value_and_grad`. `optax.apply_updates` and
    `TrainState.apply_gradients` are the optimizer and are not reported.

    ## Why is this bad?
    An update rule written inline is not part of the optimizer state that is checkpointed and
    configured: learning rate, momentum, weight decay and schedules cannot be changed or
    logged, and restarts silently change the optimisation.

    ## Example
    ```python
    grads = jax.grad(loss_fn)(params, x, y)
    params = jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)
    ```

    ## Use instead
    ```python
    tx = optax.sgd(cfg.learning_rate)
    opt_state = tx.init(params)
    ...
    grads = jax.grad(loss_fn)(params, x, y)
    updates, opt_state = tx.update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)
    ```

    ## Fix safety
    No automatic fix: moving to optax adds optimizer state that has to be created and carried.
    """

    code = "HL206"
    name = "params-tree-edited"

    VALID = [
        "import jax\nimport optax\n"
        "def update(params, opt_state, x, y):\n"
        "    grads = jax.grad(loss_fn)(params, x, y)\n"
        "    updates, opt_state = tx.update(grads, opt_state, params)\n"
        "    return optax.apply_updates(params, updates), opt_state\n",
        # casting the tree is not an update
        "import jax\nimport jax.numpy as jnp\n"
        "params = model.init(rng, x)['params']\n"
        "params = jax.tree_util.tree_map(lambda p: p.astype(jnp.bfloat16), params)\n",
        # editing the tree before training (initialisation / surgery) is not training code
        "import jax\nimport jax.numpy as jnp\n"
        "params = model.init(rng, x)['params']\n"
        "params['head']['bias'] = jnp.zeros_like(params['head']['bias'])\n",
    ]
    INVALID = [
        "import jax\n"
        "def update(params, x, y, lr):\n"
        "    grads = jax.grad(loss_fn)(params, x, y)\n"
        "    return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)\n",
        "import jax\n"
        "import jax.numpy as jnp\n"
        "for step in range(steps):\n"
        "    state = state.apply_gradients(grads=jax.grad(loss_fn)(state.params, batch))\n"
        "    params = state.params\n"
        "    params['head']['kernel'] = jnp.clip(params['head']['kernel'], -1.0, 1.0)\n",
    ]
