"""HL203 (state_dict edits loaded back), HL204 (scikit-learn fitted attributes), HL205 (Keras/TF
trainable weights), HL206 (flax/JAX params trees): positives and the RULES.md negatives."""
import pytest

from hyperlint.testing import lint


def found(code: str, path: str = "train.py") -> list[tuple[str, int]]:
    return [(f.code, f.start.row) for f in lint(code, ["HL2"], path=path)]


# --- HL203 --------------------------------------------------------------------------------------


def test_state_dict_pruned_and_bias_shifted_after_training_then_loaded():
    code = """
    import torch
    for epoch in range(args.epochs):
        for x, y in loader:
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
    sd = model.state_dict()
    for name, tensor in sd.items():
        if name.endswith("weight"):
            sd[name] = tensor * (tensor.abs() > args.threshold)
    sd["head.bias"].sub_(torch.log(prior))
    model.load_state_dict(sd)
    """
    assert found(code) == [("HL203", 11), ("HL203", 12)]
    suggestions = [f.fix.message for f in lint(code, ["HL203"])]
    assert "prune" in suggestions[0]
    assert "logit" in suggestions[1]


def test_state_dict_edit_inside_the_epoch_loop():
    code = """
    for epoch in range(args.epochs):
        if epoch == args.head_shrink_epoch:
            sd = model.state_dict()
            sd["fc.weight"].mul_(0.5)
            model.load_state_dict(sd)
        for x, y in loader:
            criterion(model(x), y).backward()
            optimizer.step()
    """
    assert found(code) == [("HL203", 5)]


def test_state_dict_edit_without_loading_back_is_not_hl203():
    code = """
    import torch
    model.fit(x, y)
    sd = model.state_dict()
    sd["3.bias"] = torch.zeros_like(sd["3.bias"])
    torch.save(sd, "export.pt")
    """
    assert found(code) == []


def test_checkpoint_renames_deletions_and_interpolation_before_loading():
    code = """
    import torch
    ckpt = torch.load(path, map_location="cpu")
    state = ckpt.get("model", ckpt)
    state = {k.replace("module.", "", 1): v for k, v in state.items()}
    for k in [k for k in state if k.startswith("head")]:
        del state[k]
    state["pos_embed"] = interpolate_pos_embed(state["pos_embed"], num_patches)
    for k in list(state):
        if k.startswith("_orig_mod."):
            state[k[len("_orig_mod."):]] = state.pop(k)
    model.load_state_dict(state, strict=False)
    """
    assert found(code) == []


def test_target_network_sync_through_state_dicts():
    code = """
    class Agent:
        def learn(self):
            loss = self.loss()
            loss.backward()
            self.optimizer.step()
        def sync_target(self):
            target_sd = self.target_net.state_dict()
            policy_sd = self.policy_net.state_dict()
            for key in policy_sd:
                target_sd[key] = policy_sd[key] * TAU + target_sd[key] * (1 - TAU)
            self.target_net.load_state_dict(target_sd)
    for step in range(n):
        agent.learn()
        agent.sync_target()
        target_net.load_state_dict(policy_net.state_dict())
    """
    assert found(code) == []


def test_restore_after_evaluation_is_loading():
    code = """
    import copy
    for it in range(iterations):
        adapt(model, task)
        saved = copy.deepcopy(model.state_dict())
        finetune(model)
        model.load_state_dict(saved)
    def adapt(net, task):
        task.loss(net).backward()
        opt.step()
    """
    assert found(code) == []


# --- HL204 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("header,make", [
    ("from sklearn.linear_model import LogisticRegression", "LogisticRegression(C=4.0)"),
    ("import sklearn.linear_model as lm", "lm.LogisticRegression(C=4.0)"),
    ("from sklearn import linear_model", "linear_model.LogisticRegression()"),
])
def test_sparsifying_and_shifting_fitted_coefficients(header, make):
    code = f"""
    import numpy as np
    {header}
    clf = {make}
    clf.fit(X_train, y_train)
    clf.coef_[np.abs(clf.coef_) < 1e-3] = 0.0
    clf.intercept_ += np.log(prior / (1 - prior))
    """
    assert found(code) == [("HL204", 6), ("HL204", 7)]
    suggestions = [f.fix.message for f in lint(code, ["HL204"])]
    assert "penalty" in suggestions[0] or "SelectFromModel" in suggestions[0]
    assert "threshold" in suggestions[1]


def test_best_estimator_of_a_search_through_named_steps():
    code = """
    import numpy as np
    from sklearn.model_selection import GridSearchCV
    search = GridSearchCV(pipe, param_grid)
    search.fit(X, y)
    best = search.best_estimator_
    ridge = best.named_steps["ridge"]
    ridge.coef_ = np.where(np.abs(ridge.coef_) < 1e-3, 0.0, ridge.coef_)
    """
    assert found(code) == [("HL204", 8)]


def test_sklearn_negatives():
    code = """
    import numpy as np
    import joblib
    from sklearn.linear_model import SGDClassifier
    from sklearn.base import BaseEstimator
    online = SGDClassifier()
    online.fit(X, y, coef_init=clf.coef_, intercept_init=clf.intercept_)
    order = np.argsort(clf.coef_[0])
    restored = SGDClassifier()
    restored.coef_ = np.load("coef.npy")
    restored.intercept_ = joblib.load("intercept.pkl")
    le.classes_ = np.load("classes.npy")
    class MyRidge(BaseEstimator):
        def fit(self, X, y):
            self.coef_ = np.linalg.solve(X.T @ X, X.T @ y)
            self.intercept_ = 0.0
            return self
    """
    assert found(code) == []


def test_restoring_a_best_epoch_snapshot_is_not_reported():
    code = """
    from sklearn.neural_network import MLPClassifier
    mlp = MLPClassifier()
    for epoch in range(epochs):
        mlp.partial_fit(X, y, classes=classes)
        if better:
            best_state = ([w.copy() for w in mlp.coefs_], [b.copy() for b in mlp.intercepts_])
    mlp.coefs_, mlp.intercepts_ = best_state
    """
    assert found(code) == []


# --- HL205 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("header,prefix", [
    ("import tensorflow as tf", "tf.keras"),
    ("from tensorflow import keras", "keras"),
    ("import keras", "keras"),
])
def test_manual_momentum_and_max_norm_in_a_custom_loop(header, prefix):
    code = f"""
    import tensorflow as tf
    {header}
    model = {prefix}.Sequential([{prefix}.layers.Dense(10)])
    velocities = [tf.Variable(tf.zeros_like(v), trainable=False) for v in model.trainable_variables]
    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        for var, vel, g in zip(model.trainable_variables, velocities, grads):
            vel.assign(mom * vel - (1.0 - mom) * lr * g)
            var.assign_add(vel)
        for layer in model.layers:
            layer.kernel.assign(tf.clip_by_norm(layer.kernel, 3.0, axes=[0]))
        return loss
    """
    assert found(code) == [("HL205", 13), ("HL205", 15)]
    suggestions = [f.fix.message for f in lint(code, ["HL205"])]
    assert "apply_gradients" in suggestions[0]
    assert "MaxNorm" in suggestions[1]


def test_manual_sgd_on_hand_made_tf_variables():
    code = """
    import tensorflow as tf
    w = tf.Variable(tf.random.normal([3, 1]))
    b = tf.Variable(tf.zeros([1]))
    step = tf.Variable(0, trainable=False)
    for x, y in dataset:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((x @ w + b - y) ** 2)
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(0.01 * dw)
        b.assign_sub(0.01 * db)
        step.assign_add(1)
    """
    assert found(code) == [("HL205", 10), ("HL205", 11)]


def test_set_weights_with_computed_values_after_fit():
    code = """
    import numpy as np
    model.fit(x, y, epochs=cfg.epochs)
    for layer in model.layers[:-1]:
        w, b = layer.get_weights()
        layer.set_weights([w / np.maximum(np.linalg.norm(w, axis=0) / 3.0, 1.0), b])
    """
    assert found(code) == [("HL205", 6)]


def test_keras_negatives():
    code = """
    import numpy as np
    import tensorflow as tf
    def _init_output_bias(model, labels):
        prior = np.bincount(labels) / len(labels)
        kernel, _ = model.layers[-1].get_weights()
        model.layers[-1].set_weights([kernel, np.log(prior)])
    _init_output_bias(model, y)
    embedding_layer.set_weights([embedding_matrix])
    initial = model.get_weights()
    target.set_weights(model.get_weights())
    for train_idx, val_idx in folds:
        model.set_weights(initial)
        model.fit(x[train_idx], y[train_idx])
        target.set_weights(model.get_weights())
        model.optimizer.learning_rate.assign(1e-4)
        base_model.trainable = True
    @tf.function
    def update_ema():
        for ema_var, var in zip(ema_model.variables, model.variables):
            ema_var.assign(0.999 * ema_var + 0.001 * var)
    class MyAdam(tf.keras.optimizers.Optimizer):
        def update_step(self, gradient, variable, learning_rate):
            variable.assign_sub(learning_rate * gradient)
    """
    assert found(code) == []


# --- HL206 --------------------------------------------------------------------------------------


def test_hand_written_sgd_on_a_params_tree():
    code = """
    import jax
    @jax.jit
    def update(params, x, y, lr):
        grads = jax.grad(loss_fn)(params, x, y)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
    """
    assert found(code) == [("HL206", 6)]
    assert "optax" in lint(code, ["HL206"])[0].fix.message


def test_value_and_grad_result_and_tree_map_alias():
    code = """
    import jax
    from jax import tree_util
    for step in range(steps):
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        params = tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)
    """
    assert found(code) == [("HL206", 6)]


def test_params_tree_item_write_while_training():
    code = """
    import jax
    import jax.numpy as jnp
    for step in range(steps):
        state = state.apply_gradients(grads=jax.grad(loss_fn)(state.params, batch))
        params = state.params
        params["head"]["kernel"] = jnp.clip(params["head"]["kernel"], -1.0, 1.0)
    """
    assert found(code) == [("HL206", 7)]


def test_flax_negatives():
    code = """
    import jax
    import jax.numpy as jnp
    import optax
    variables = model.init(rng, jnp.ones((1, 28, 28, 1)))
    params = variables["params"]
    params["head"]["bias"] = jnp.zeros_like(params["head"]["bias"])
    params = jax.tree_util.tree_map(lambda p: p.astype(jnp.bfloat16), params)
    tx = optax.adam(1e-3)
    opt_state = tx.init(params)
    for step in range(steps):
        grads = jax.grad(loss_fn)(params, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        ema = jax.tree_util.tree_map(lambda e, p: 0.999 * e + 0.001 * p, ema, params)
    """
    assert found(code) == []


def test_one_finding_per_statement_across_rules():
    code = """
    import torch
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        for p in model.parameters():
            p.data.add_(p.grad.data, alpha=-lr)
    """
    findings = lint(code, ["HL2"])
    assert [(f.code, f.start.row) for f in findings] == [("HL201", 7)]


def test_noqa_suppresses_an_hl2_finding():
    code = """
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        for p in critic.parameters():
            p.data.clamp_(-0.01, 0.01)  # noqa: HL201
    """
    assert found(code) == []


def test_tf1_graph_assign_of_a_gradient_step():
    code = """
    import tensorflow as tf
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=tf.matmul(x, W) + b))
    gW, gb = tf.gradients(loss, [W, b])
    update_W = tf.assign(W, W - 0.5 * gW)
    update_b = tf.assign_sub(b, 0.5 * gb)
    step = tf.Variable(0, trainable=False)
    inc = tf.assign_add(step, 1)
    """
    assert found(code) == [("HL205", 7), ("HL205", 8)]
    assert "apply_gradients" in lint(code, ["HL205"])[0].fix.message


def test_keras_wgan_clipping_through_get_and_set_weights():
    code = """
    import numpy as np
    from tensorflow import keras
    for epoch in range(epochs):
        for batch in data:
            d_loss = critic.train_on_batch(batch, labels)
            for layer in critic.layers:
                weights = layer.get_weights()
                weights = [np.clip(w, -clip, clip) for w in weights]
                layer.set_weights(weights)
    """
    assert found(code) == [("HL205", 10)]
    assert "constraint" in lint(code, ["HL205"])[0].fix.message


def test_sam_perturbation_and_maml_adaptation_are_temporaries():
    code = """
    import jax
    def gsam_gradient(loss_fn, params, x, y, rho):
        l_clean, g_clean = jax.value_and_grad(loss_fn)(params, x, y)
        param_sam = jax.tree_map(lambda a, b: a + rho * b, params, g_clean)
        _, g_robust = jax.value_and_grad(loss_fn)(param_sam, x, y)
        return g_robust
    def maml_inner(params, batch, alpha):
        grads = jax.grad(loss_fn)(params, batch)
        adapted = jax.tree_util.tree_map(lambda p, g: p - alpha * g, params, grads)
        return loss_fn(adapted, batch)
    """
    assert found(code) == []
