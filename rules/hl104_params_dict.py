"""HL104: literal values under hyperparameter keys of a params dict passed to xgboost/lightgbm/catboost train/cv."""
from __future__ import annotations

import libcst as cst

from hyperlint.facts.config_sources import suggestion
from hyperlint.rule import Rule
from hyperlint.rules._config_fix import plan_fixes
from hyperlint.rules._hyperparameters import is_literal, literal_text, python_config_file


def _key(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


class HardcodedParamsDict(Rule):
    """
    ## What it does
    Finds literal hyperparameter values in the `params` dict of a gradient-boosting training
    call: `xgb.train(params, ...)`, `xgb.cv`, `lgb.train`, `lgb.cv`, `catboost.train`,
    `catboost.cv`. Each hard-coded value under a hyperparameter key (`eta`, `max_depth`,
    `num_leaves`, `learning_rate`, ...) is reported, whether it is written in the dict literal
    or stored later (`params["eta"] = 0.03`, `params.update(...)`).

    ## Why is this bad?
    The params dict is where a boosted model's hyperparameters live. Hard-coded there, they
    cannot be swept or overridden, and they are not logged with the run.

    ## Example
    ```python
    params = {"objective": "binary:logistic", "eta": 0.03, "max_depth": 6}
    booster = xgb.train(params, dtrain, num_boost_round=args.rounds)
    ```

    ## Use instead
    ```python
    params = {"objective": "binary:logistic", **yaml.safe_load(open(args.config))["xgb"]}
    booster = xgb.train(params, dtrain, num_boost_round=args.rounds)
    ```

    ## Fix safety
    The suggested fix names the file's configuration, or proposes one. `hyperlint extract-config`
    (or `--fix --unsafe-fixes`) moves each value there and reads it back in the dict; that
    changes the script's interface, so it is an unsafe fix. Keys that are run settings (`objective`, `eval_metric`, `nthread`, `seed`, ...) are not
    reported, and neither is a dict bound to a config-like name (`config`, `cfg`, `hparams`).
    """

    code = "HL104"
    name = "hardcoded-params-dict"
    fix_planner = staticmethod(plan_fixes)

    VALID = [
        "import xgboost as xgb\nparams = {'objective': 'binary:logistic', 'eta': args.eta}\n"
        "booster = xgb.train(params, dtrain)\n",
        "import xgboost as xgb\nconfig = {'eta': 0.1}\nbooster = xgb.train(config, dtrain)\n",
        "params = {'eta': 0.1, 'max_depth': 6}\nprint(params)\n",
    ]
    INVALID = [
        "import xgboost as xgb\nparams = {'objective': 'binary:logistic', 'eta': 0.03, 'max_depth': 6}\n"
        "booster = xgb.train(params, dtrain, num_boost_round=args.rounds)\n",
        "import lightgbm as lgb\nbooster = lgb.train({'num_leaves': 63, 'metric': 'auc'}, train_set)\n",
        "import xgboost as xgb\nparams = {'objective': 'binary:logistic'}\nparams['max_depth'] = 6\n"
        "cv = xgb.cv(params, dtrain, nfold=args.folds)\n",
        "from catboost import cv, Pool\nparams = dict(iterations=800, learning_rate=0.05, loss_function='Logloss')\n"
        "cv(Pool(X, y), params)\n",
    ]

    def __init__(self, ctx, options=None) -> None:
        super().__init__(ctx, options)
        # dict name -> later stores of literal values (key, value node, statement)
        self.stores: dict[str, list[tuple[str, cst.BaseExpression]]] = {}
        self.pending: list = []

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            subscript = target.target
            if isinstance(subscript, cst.Subscript) and isinstance(subscript.value, cst.Name) and len(subscript.slice) == 1:
                element = subscript.slice[0].slice
                key = _key(element.value) if isinstance(element, cst.Index) else None
                if key is not None:
                    self.stores.setdefault(subscript.value.value, []).append((key, node.value))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "update" and isinstance(func.value, cst.Name):
            name = func.value.value
            for arg in node.args:
                if arg.keyword is not None:
                    self.stores.setdefault(name, []).append((arg.keyword.value, arg.value))
                elif isinstance(arg.value, cst.Dict):
                    for element in arg.value.elements:
                        if isinstance(element, cst.DictElement) and _key(element.key):
                            self.stores.setdefault(name, []).append((_key(element.key), element.value))
            return
        qualified = self.ctx.qualify(func)
        library = self.ctx.catalogue.params_dict_library(qualified) if qualified else None
        if library is None:
            return
        params = None
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "params":
                params = arg.value
        if params is None:
            positional = [a for a in node.args if a.keyword is None and not a.star]
            if library == "catboost" and len(positional) >= 2 and qualified.endswith("cv"):
                params = positional[1].value  # catboost.cv(pool, params)
            elif positional:
                params = positional[0].value
                if library == "catboost" and not isinstance(params, (cst.Dict, cst.Name)):
                    params = positional[1].value if len(positional) > 1 else None
        if params is None:
            return
        self.pending.append((params, library, qualified, self.ctx.bindings.lookup(params.value) if isinstance(params, cst.Name) else None))

    def finish(self) -> None:
        if python_config_file(self.ctx):
            return
        keys_by_library = self.ctx.catalogue.params_dict_keys
        for params, library, qualified, binding in self.pending:
            keys = keys_by_library.get(library, frozenset())
            entries: list[tuple[str, cst.BaseExpression]] = []
            dict_node = params
            if isinstance(params, cst.Name):
                if binding is None or binding.kind not in ("assign", "annassign"):
                    continue
                if self.ctx.configs.is_config_variable_name(binding.name):
                    continue
                dict_node = binding.value
                entries.extend(self.stores.get(params.value, []))
            entries.extend(_dict_entries(dict_node))
            for key, value in entries:
                if key in keys and is_literal(value):
                    shown = literal_text(self.ctx, value)
                    self.report(
                        value,
                        f"Hard-coded hyperparameter: `{key}` in the params dict passed to `{qualified}` is `{shown}`",
                        suggestion(self.ctx, key, shown),
                        statement=None,
                        data={"kind": "slot", "slot": key, "callee": qualified},
                    )


def _dict_entries(node) -> list[tuple[str, cst.BaseExpression]]:
    out = []
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = _key(element.key)
                if key is not None:
                    out.append((key, element.value))
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        for arg in node.args:
            if arg.keyword is not None:
                out.append((arg.keyword.value, arg.value))
    return out
