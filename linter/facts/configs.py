"""Is this expression a configuration object (RULES.md's HL3 list), or a config constructor?"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from hyperlint.facts.names import dotted

if TYPE_CHECKING:
    from hyperlint.context import FileContext

CONFIG_CLASS_NAME = re.compile(
    r"(Config|Configs|Cfg|Conf|Args|Arguments|Params|HParams|Hparams|HyperParams|Hyperparams|"
    r"Hyperparameters|Settings|Options|Opts|Flags)$"
)
CONFIG_VARIABLE_NAME = re.compile(
    r"^(args|arguments|cfg|cfgs|conf|config|configs|configuration|hparams|hyperparams|hyper_params|hyperparameters|"
    r"hyper_parameters|hps|hp|"
    r"opt|opts|options|flags|settings|params_config|train_args|training_args|train_cfg|train_config|"
    r"model_args|data_args|model_cfg|model_config|run_config|exp_config|experiment_config|wandb_config|"
    r"\w+_config|\w+_cfg|\w+_conf|config_\w+|cfg_\w+|hparams_\w+|\w+_hparams|\w+_args)$",
    re.I,
)
_CONFIG_CALLS = frozenset(
    {
        "hydra.compose",
        "hydra.experimental.compose",
        "omegaconf.OmegaConf.create",
        "omegaconf.OmegaConf.load",
        "omegaconf.OmegaConf.merge",
        "omegaconf.OmegaConf.structured",
        "omegaconf.OmegaConf.from_cli",
        "omegaconf.OmegaConf.from_dotlist",
        "omegaconf.DictConfig",
        "ml_collections.ConfigDict",
        "ml_collections.FrozenConfigDict",
        "ml_collections.config_dict.ConfigDict",
        "ml_collections.config_dict.FrozenConfigDict",
        "yaml.safe_load",
        "yaml.load",
        "yaml.full_load",
        "yaml.unsafe_load",
        "json.load",
        "json.loads",
        "toml.load",
        "toml.loads",
        "tomllib.load",
        "tomllib.loads",
        "tomli.load",
        "tomli.loads",
        "types.SimpleNamespace",
        "argparse.Namespace",
        "easydict.EasyDict",
        "addict.Dict",
        "munch.Munch",
        "munch.munchify",
        "box.Box",
        "dotmap.DotMap",
        "transformers.TrainingArguments",
        "transformers.Seq2SeqTrainingArguments",
        "wandb.config",
        "copy.deepcopy",
        "copy.copy",
        "tyro.cli",
        "pyrallis.parse",
        "simple_parsing.parse",
        "ml_collections.config_flags.DEFINE_config_dict",
        "ml_collections.config_flags.DEFINE_config_file",
        "ml_collections.config_flags.DEFINE_config_dataclass",
        "omegaconf.OmegaConf.to_container",
        "omegaconf.OmegaConf.to_object",
        "dataclasses.asdict",
    }
)
# calls that return a configuration but do not take configuration values as arguments
_CONFIG_CONVERSIONS = frozenset(
    {"copy.deepcopy", "copy.copy", "json.load", "json.loads", "omegaconf.OmegaConf.to_container",
     "omegaconf.OmegaConf.to_object", "dataclasses.asdict"}
)
_DERIVE_CALLS = frozenset({"dataclasses.replace", "attr.evolve", "attrs.evolve", "copy.replace"})
_CONFIG_METHODS = frozenset(
    {
        "parse_args",
        "parse_known_args",
        "parse_args_into_dataclasses",
        "parse_dict",
        "parse_yaml_file",
        "parse_json_file",
        "parse_flags",
    }
)
_CONFIG_ATTRIBUTES = frozenset({"config", "hparams", "cfg", "args", "hparams_initial", "configs", "conf"})
_CONFIG_GLOBALS = frozenset({"FLAGS", "wandb.config", "absl.flags.FLAGS", "tensorflow.compat.v1.flags.FLAGS"})


# a helper that returns the configuration: parse_args(), get_config(), load_config(path)
CONFIG_FUNCTION_NAME = re.compile(
    r"^(parse_args|parse_arguments|parse_opt|parse_opts|parse_config|parse_cfg|get_args|get_arguments|get_config|"
    r"get_cfg|get_opts|get_hparams|load_config|load_cfg|load_yaml_config|read_config|setup_cfg|setup_config|"
    r"make_config|build_config|get_parser_args)$"
)


class ConfigFacts:
    def __init__(self, ctx: "FileContext", extra_names: frozenset[str], extra_classes: frozenset[str]) -> None:
        self.ctx = ctx
        self.extra_names = extra_names
        self.extra_classes = extra_classes
        # classes defined in this file that are config classes (dataclass/attrs/pydantic named so)
        self.local_config_classes: set[str] = set()
        self.hydra_functions: set[cst.FunctionDef] = set()
        # same-file class name -> argument positions/keywords that received configuration somewhere
        self.config_arguments: dict[str, set[int | str]] = {}
        self._returns: dict[str, bool] = {}

    # --- names ---------------------------------------------------------------------------------
    def is_config_class_name(self, name: str) -> bool:
        last = name.rsplit(".", 1)[-1]
        return bool(CONFIG_CLASS_NAME.search(last)) or last in self.extra_classes or name in self.extra_classes

    def is_config_variable_name(self, name: str) -> bool:
        return bool(CONFIG_VARIABLE_NAME.match(name)) or name in self.extra_names

    # --- expressions ---------------------------------------------------------------------------
    def is_config_constructor(self, call: cst.Call) -> bool:
        """A call that builds a configuration object (its arguments are configuration values)."""
        func = call.func
        qualified = self.ctx.qualify(func)
        if qualified in _CONFIG_CALLS and qualified not in _CONFIG_CONVERSIONS:
            return True
        if qualified in _DERIVE_CALLS or isinstance(func, cst.Attribute) and func.attr.value == "_replace":
            return True  # dataclasses.replace(cfg, epochs=1): a derived configuration
        name = dotted(func)
        if name is None:
            return False
        return self.is_config_class_name(name) or name in self.local_config_classes

    def is_config(self, node: cst.BaseExpression, depth: int = 0) -> bool:
        """The expression evaluates to a configuration object (or a part of one)."""
        if depth > 8:
            return False
        if isinstance(node, cst.Name):
            name = node.value
            if name in self.extra_names or name == "FLAGS":
                return True
            binding = self.ctx.bindings.lookup(name)
            if binding is None:
                return self.is_config_variable_name(name) and name not in ("opt", "options")
            return self._binding_is_config(binding, depth)
        if isinstance(node, cst.Attribute):
            qualified = self.ctx.qualify(node)
            if qualified in _CONFIG_GLOBALS or (qualified or "").endswith(".FLAGS"):
                return True
            attr = node.attr.value
            base = node.value
            if isinstance(base, cst.Name) and base.value == "self":
                if attr in _CONFIG_ATTRIBUTES or (self.is_config_variable_name(attr) and attr not in ("opt", "options")):
                    return True
                owner = self.ctx.enclosing_class()
                if owner is not None and self.self_attribute_is_config(owner, attr):
                    return True
            if attr in _CONFIG_ATTRIBUTES:
                if attr == "config":
                    return True  # model.config, run.config, wandb.config
                if attr == "hparams":
                    return True
            return self.is_config(node.value, depth + 1)
        if isinstance(node, cst.Subscript):
            return self.is_config(node.value, depth + 1)
        if isinstance(node, cst.Call):
            return self._call_is_config(node, depth)
        return False

    def _returns_config(self, name: str, depth: int) -> bool:
        """A same-file function (seen so far) returns a configuration: ``return parser.parse_args()``,
        or ``args = parser.parse_args(); ...; return args``."""
        if name in self._returns:
            return self._returns[name]
        self._returns[name] = False  # recursion guard
        found = False
        for frame in self.ctx.training.function_frames.get(name, []):
            function = frame.node
            for value in _return_values(function):
                if isinstance(value, cst.Name):
                    bindings = [b for b in self.ctx.bindings.all
                                if b.name == value.value and b.scope is not None and b.scope.node is function]
                    if any(self._binding_is_config(b, depth + 1) for b in bindings):
                        found = True
                elif self.is_config(value, depth + 1):
                    found = True
        if not self.ctx.training.function_frames.get(name):
            del self._returns[name]  # defined further down: trust the name until the def is seen
            return bool(CONFIG_FUNCTION_NAME.match(name))
        self._returns[name] = found
        return found

    # --- configuration handed to same-file classes ----------------------------------------------
    def on_call(self, call: cst.Call) -> None:
        """Note which arguments of a same-file class's construction are configuration
        (``StepDecay(cfg["params"], ...)``), so ``self.params`` in that class is too."""
        func = call.func
        if not isinstance(func, cst.Name) or func.value not in self.ctx.local_classes:
            return
        position = 0
        for arg in call.args:
            if arg.star:
                break
            key: int | str = arg.keyword.value if arg.keyword is not None else position
            if arg.keyword is None:
                position += 1
            if self.is_config(arg.value):
                self.config_arguments.setdefault(func.value, set()).add(key)

    def self_attribute_is_config(self, owner: cst.ClassDef, attr: str) -> bool:
        """``self.<attr>`` holds a constructor argument that some construction in this file
        passes configuration to (complete only after the traversal)."""
        received = self.config_arguments.get(owner.name.value)
        if not received:
            return False
        body = owner.body.body if isinstance(owner.body, cst.IndentedBlock) else ()
        init = next((f for f in body if isinstance(f, cst.FunctionDef) and f.name.value == "__init__"), None)
        if init is None or not isinstance(init.body, cst.IndentedBlock):
            return False
        params = [p.name.value for p in (*init.params.posonly_params, *init.params.params)][1:]
        for statement in init.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, cst.Assign) or not isinstance(small.value, cst.Name):
                    continue
                for target in small.targets:
                    t = target.target
                    if (isinstance(t, cst.Attribute) and t.attr.value == attr and isinstance(t.value, cst.Name)
                            and t.value.value == "self"):
                        name = small.value.value
                        if name in received or (name in params and params.index(name) in received):
                            return True
        return False

    def _call_is_config(self, call: cst.Call, depth: int) -> bool:
        func = call.func
        qualified = self.ctx.qualify(func)
        if qualified in _CONFIG_CALLS:
            if qualified in ("copy.deepcopy", "copy.copy"):
                return bool(call.args) and self.is_config(call.args[0].value, depth + 1)
            return True
        if isinstance(func, cst.Attribute):
            if func.attr.value in _CONFIG_METHODS:
                return True
            if func.attr.value in ("copy", "deepcopy") and self.is_config(func.value, depth + 1):
                return True
        if isinstance(func, cst.Name):
            if func.value == "vars" and call.args:
                return self.is_config(call.args[0].value, depth + 1)
            if func.value in ("dict", "OrderedDict") and call.args and not call.args[0].keyword:
                return self.is_config(call.args[0].value, depth + 1)
            if func.value in self.ctx.local_functions:
                if self._returns_config(func.value, depth):
                    return True
            elif CONFIG_FUNCTION_NAME.match(func.value):
                return True  # args = parse_args() / cfg = get_config() imported from a helper module
        name = dotted(func)
        if name and (name in self.local_config_classes or self.is_config_class_name(name)):
            return True
        return False

    def _binding_is_config(self, binding, depth: int) -> bool:
        if binding.kind == "param":
            param = binding.statement
            if getattr(param, "star", "") in ("*", "**"):
                return False  # def f(*args, **kwargs): positional/keyword leftovers, not a configuration
            function = binding.scope.node if binding.scope is not None else None
            if function in self.hydra_functions:
                return True
            annotation = getattr(param, "annotation", None)
            if annotation is not None:
                ann = dotted(annotation.annotation) or ""
                if ann.rsplit(".", 1)[-1] in ("DictConfig", "Namespace", "ConfigDict", "TrainingArguments") or self.is_config_class_name(ann):
                    return True
            return self.is_config_variable_name(binding.name) and binding.name not in ("opt", "options")
        if binding.kind in ("for", "with", "import", "def"):
            return False
        value = binding.value
        if value is None:
            return False
        if binding.kind == "unpack":
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
                method = value.func.attr.value
                if method == "parse_known_args":
                    return binding.index == 0
                if method in _CONFIG_METHODS:
                    return True
            if isinstance(value, (cst.Tuple, cst.List)) and binding.index is not None:
                elements = value.elements
                if binding.index < len(elements):
                    return self.is_config(elements[binding.index].value, depth + 1)
            return False
        if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Call):
            func = value.value.func
            if isinstance(func, cst.Attribute) and func.attr.value == "parse_known_args":
                return True
        if isinstance(value, (cst.Dict, cst.DictComp)) or (
            isinstance(value, cst.Call) and dotted(value.func) == "dict"
        ):
            return self.is_config_variable_name(binding.name)
        return self.is_config(value, depth + 1)


def _return_values(function: cst.FunctionDef) -> list[cst.BaseExpression]:
    """The expressions a function returns (not those of functions nested in it)."""
    values: list[cst.BaseExpression] = []
    pending: list[cst.CSTNode] = [function.body]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Return):
            if node.value is not None:
                values.append(node.value)
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, (cst.BaseSuite, cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.Else,
                             cst.ExceptHandler, cst.Finally)):
            pending.extend(node.children)
    return values
