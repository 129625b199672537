"""HL205: Keras/TF trainable weights written outside an optimizer."""
from __future__ import annotations

from hyperlint.rules._hl2 import ParameterRule


class TrainableVariableAssigned(ParameterRule):
    """
    ## What it does
    Finds writes into Keras / TensorFlow trainable weights outside an optimizer, in training
    code: `var.assign(...)`, `var.assign_add(...)`, `var.assign_sub(...)` on elements of
    `model.trainable_variables` / `trainable_weights`, on `layer.kernel` / `layer.bias`, or on a
    `tf.Variable` that is differentiated with `tape.gradient`; and `layer.set_weights(...)` with
    computed values. Initialisation (`build`, `*init*` helpers), optimizer subclasses, EMA and
    target-network copies (`target.set_weights(source.get_weights())`) and restoring saved
    weights are not reported.

    ## Why is this bad?
    The optimizer and its configuration no longer describe how the weights change: a
    hand-written momentum step, clipping or renormalisation hides part of the training
    procedure in the loop, where it is not logged and easily diverges from the paper or the
    config it claims to follow.

    ## Example
    ```python
    grads = tape.gradient(loss, model.trainable_variables)
    for var, g in zip(model.trainable_variables, grads):
        var.assign_sub(lr * g)
    for layer in hidden_layers:
        layer.kernel.assign(tf.clip_by_norm(layer.kernel, 3.0, axes=[0]))
    ```

    ## Use instead
    ```python
    optimizer = keras.optimizers.SGD(learning_rate=cfg.lr, momentum=cfg.momentum)
    layer = keras.layers.Dense(units, kernel_constraint=keras.constraints.MaxNorm(cfg.max_norm))
    ...
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    ```

    ## Fix safety
    No automatic fix: a constraint or an optimizer changes when and how the update is applied.
    """

    code = "HL205"
    name = "trainable-variable-assigned"

    VALID = [
        # target network copy
        "import tensorflow as tf\n"
        "target = tf.keras.models.clone_model(model)\n"
        "target.set_weights(model.get_weights())\n",
        # restoring saved weights between folds
        "initial = model.get_weights()\n"
        "for train_idx, val_idx in folds:\n"
        "    model.set_weights(initial)\n"
        "    model.fit(x[train_idx], y[train_idx])\n",
        # EMA of a generator
        "import tensorflow as tf\n"
        "@tf.function\n"
        "def update_ema():\n"
        "    for ema_var, var in zip(ema_generator.variables, generator.variables):\n"
        "        ema_var.assign(0.999 * ema_var + 0.001 * var)\n",
        # non-trainable counters and optimizer state
        "import tensorflow as tf\n"
        "step = tf.Variable(0, trainable=False)\n"
        "for x, y in ds:\n"
        "    model.train_on_batch(x, y)\n"
        "    step.assign_add(1)\n",
    ]
    INVALID = [
        "import tensorflow as tf\n"
        "@tf.function\n"
        "def critic_step(real):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = critic_loss(real)\n"
        "    grads = tape.gradient(loss, critic.trainable_variables)\n"
        "    opt.apply_gradients(zip(grads, critic.trainable_variables))\n"
        "    for var in critic.trainable_variables:\n"
        "        var.assign(tf.clip_by_value(var, -0.01, 0.01))\n",
        "import tensorflow as tf\n"
        "def train_step(x, y):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = loss_fn(y, model(x))\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    for var, g in zip(model.trainable_variables, grads):\n"
        "        var.assign_sub(0.01 * g)\n",
        "import numpy as np\n"
        "model.fit(x, y, epochs=cfg.epochs)\n"
        "for layer in hidden_layers:\n"
        "    w, b = layer.get_weights()\n"
        "    layer.set_weights([w / np.maximum(np.linalg.norm(w, axis=0) / 3.0, 1.0), b])\n",
    ]
