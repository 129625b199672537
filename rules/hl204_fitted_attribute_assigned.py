"""HL204: a fitted scikit-learn attribute assigned by hand."""
from __future__ import annotations

from hyperlint.rules._hl2 import ParameterRule


class FittedAttributeAssigned(ParameterRule):
    """
    ## What it does
    Finds assignments to the fitted attributes of a scikit-learn estimator — `coef_`,
    `intercept_`, `coefs_`, `intercepts_`, `components_`, `cluster_centers_` or any other
    `name_` set by `fit` — outside the estimator's own code: `clf.coef_[mask] = 0`,
    `clf.intercept_ += shift`, `ridge.coef_ = np.where(...)`. Estimators are recognised by data
    flow (constructed from `sklearn.*`, `search.best_estimator_`, `pipe.named_steps[...]`).
    Bookkeeping attributes (`classes_`, `n_features_in_`, ...), restoring saved values and an
    estimator assigning its own attributes in its `fit` are not reported.

    ## Why is this bad?
    The exported model no longer is what `fit` produced from the configured hyperparameters:
    the edit is invisible in `get_params()`, is lost on refit, and breaks the link between the
    logged configuration and the model's behaviour.

    ## Example
    ```python
    clf = LogisticRegression(C=cfg.C).fit(X, y)
    clf.coef_[np.abs(clf.coef_) < 1e-3] = 0.0
    clf.intercept_ += np.log(prior / (1 - prior))
    ```

    ## Use instead
    ```python
    clf = LogisticRegression(C=cfg.C, penalty="l1", solver="liblinear").fit(X, y)
    # adjust the decision threshold on the predictions instead of the intercept
    pred = clf.predict_proba(X_new)[:, 1] > cfg.threshold
    # to continue from given coefficients: SGDClassifier().fit(X, y, coef_init=..., intercept_init=...)
    ```

    ## Fix safety
    No automatic fix: the right replacement (a penalty, `SelectFromModel`, a threshold, or a
    warm start with `coef_init=`) depends on why the attribute was edited.
    """

    code = "HL204"
    name = "fitted-attribute-assigned"

    VALID = [
        # warm start through the estimator's own arguments
        "from sklearn.linear_model import SGDClassifier\n"
        "online = SGDClassifier(loss='log_loss')\n"
        "online.fit(X, y, coef_init=clf.coef_, intercept_init=clf.intercept_)\n",
        # reading fitted attributes
        "import numpy as np\n"
        "order = np.argsort(clf.coef_[0])\n",
        # an estimator's own fit sets its attributes
        "import numpy as np\n"
        "from sklearn.base import BaseEstimator\n"
        "class Ridge(BaseEstimator):\n"
        "    def fit(self, X, y):\n"
        "        self.coef_ = np.linalg.solve(X.T @ X + self.alpha, X.T @ y)\n"
        "        return self\n",
        # bookkeeping attributes
        "from sklearn.preprocessing import LabelEncoder\n"
        "import numpy as np\n"
        "le = LabelEncoder()\n"
        "le.classes_ = np.load('classes.npy')\n",
    ]
    INVALID = [
        "from sklearn.linear_model import LogisticRegression\n"
        "import numpy as np\n"
        "clf = LogisticRegression(C=4.0)\n"
        "clf.fit(X, y)\n"
        "clf.coef_[np.abs(clf.coef_) < 1e-3] = 0.0\n",
        "from sklearn.linear_model import LogisticRegression\n"
        "clf = LogisticRegression().fit(X, y)\n"
        "clf.intercept_ += shift\n",
        "import numpy as np\n"
        "search.fit(X, y)\n"
        "ridge = search.best_estimator_.named_steps['ridge']\n"
        "ridge.coef_ = np.where(np.abs(ridge.coef_) < 1e-3, 0.0, ridge.coef_)\n",
    ]
