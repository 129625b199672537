"""Where a file's configuration comes from, so a suggested fix can name it (argparse parser,
Hydra config, a dataclass config, click/typer/absl, a loaded dict) — or say there is none."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from hyperlint.facts.names import dotted

if TYPE_CHECKING:
    from hyperlint.context import FileContext

_ADD_ARGUMENT = re.compile(r"""add_argument\(\s*(?:['"]-\w['"]\s*,\s*)?['"](--?[\w-]+)['"]""")
_CLICK_OPTION = re.compile(r"""(?:click|typer)\.(?:option|Option)\(\s*['"](--?[\w-]+)['"]""")
_ABSL_FLAG = re.compile(r"""flags\.DEFINE_\w+\(\s*['"](\w+)['"]""")
_ARGS_HELPER = re.compile(r"^(parse_args|parse_arguments|parse_opts?|get_args|get_arguments|get_parser_args|parse_cli_args)$")
# the same found in the text, for calls made before the traversal has seen the assignment
_PARSER_TEXT = re.compile(r"^[ \t]*(\w+)\s*=\s*(?:[\w.]+\.)?ArgumentParser\(", re.M)
_NAMESPACE_TEXT = re.compile(r"^[ \t]*(\w+)\s*(?:,\s*\w+\s*)?=\s*[\w.]+(?:\(\))?\.parse_(?:known_)?args\(", re.M)


@dataclass
class ConfigSource:
    kind: str  # argparse | hydra | dataclass | click | typer | absl | loaded | none
    parser: str | None = None  # argparse parser variable
    namespace: str | None = None  # the variable holding the parsed arguments / config
    class_name: str | None = None  # dataclass config class
    options: set[str] = field(default_factory=set)  # option dests already defined (lr, batch_size)

    def read(self, name: str) -> str:
        """How code reads the value ``name`` from this configuration."""
        if self.kind in ("argparse", "dataclass", "hydra", "typer") and self.namespace:
            return f"{self.namespace}.{name}"
        if self.kind == "absl":
            return f"FLAGS.{name}"
        if self.kind in ("loaded", "dict") and self.namespace:
            return f'{self.namespace}["{name}"]'
        return f"config.{name}"


def _dest(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def config_source(ctx: "FileContext") -> ConfigSource:
    cached = ctx.cache.get("config_source")
    if cached is None:
        cached = ctx.cache["config_source"] = _detect(ctx)
    return cached


def final_config_source(ctx: "FileContext") -> ConfigSource:
    """The configuration seen from the whole file, after the traversal (``config_source``
    called during the traversal answers from what has been seen so far)."""
    if not ctx.cache.get("config_source_final"):
        ctx.cache["config_source"] = _detect(ctx)
        ctx.cache["config_source_final"] = True
    return ctx.cache["config_source"]


def _detect(ctx: "FileContext") -> ConfigSource:
    text = ctx.source.text
    bindings = ctx.bindings.all + [b for items in ctx.bindings.module_all.values() for b in items]
    parser = namespace = None
    for binding in bindings:
        value = binding.value
        if not isinstance(value, cst.Call):
            if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Call):
                value = value.value
            else:
                continue
        qualified = ctx.qualify(value.func) or ""
        if qualified in ("argparse.ArgumentParser", "transformers.HfArgumentParser") and parser is None:
            parser = binding.name
        elif isinstance(value.func, cst.Attribute) and value.func.attr.value in ("parse_args", "parse_known_args"):
            if namespace is None and (binding.index in (None, 0)):
                namespace = binding.name
        elif isinstance(value.func, cst.Name) and _ARGS_HELPER.match(value.func.value) and namespace is None:
            namespace = binding.name  # args = parse_args(), a helper that builds the parser
    if parser is None and (match := _PARSER_TEXT.search(text)):
        parser = match.group(1)
    if namespace is None and (match := _NAMESPACE_TEXT.search(text)):
        namespace = match.group(1)
    # a parser whose result is never stored but fills a config class of the file (a dataclass
    # exposed on the command line, HfArgumentParser) leaves the config class as the configuration
    if namespace is None and ctx.configs.local_config_classes:
        parser = None
    if parser is not None or namespace is not None:
        options = {_dest(m) for m in _ADD_ARGUMENT.findall(text)}
        return ConfigSource("argparse", parser or "parser", namespace or "args", options=options)
    for function in ctx.configs.hydra_functions:
        params = function.params.params
        name = params[0].name.value if params else "cfg"
        return ConfigSource("hydra", namespace=name)
    instances = {}
    for binding in bindings:
        value = binding.value
        if isinstance(value, cst.Call) and dotted(value.func) in ctx.configs.local_config_classes:
            instances.setdefault(dotted(value.func), binding.name)
    for class_name in sorted(ctx.configs.local_config_classes, key=lambda c: (c not in instances, c)):
        return ConfigSource("dataclass", namespace=instances.get(class_name, "config"), class_name=class_name)
    if "click.option" in text or "@click.command" in text:
        return ConfigSource("click", options={_dest(m) for m in _CLICK_OPTION.findall(text)})
    if "typer." in text and "Option(" in text:
        return ConfigSource("typer", options={_dest(m) for m in _CLICK_OPTION.findall(text)})
    if "DEFINE_" in text and "flags" in text:
        return ConfigSource("absl", namespace="FLAGS", options=set(_ABSL_FLAG.findall(text)))
    for binding in bindings:
        value = binding.value
        if isinstance(value, cst.Call) and (ctx.qualify(value.func) or "") in (
            "yaml.safe_load", "yaml.load", "json.load", "omegaconf.OmegaConf.load", "toml.load", "tomllib.load"
        ):
            return ConfigSource("loaded", namespace=binding.name)
    for binding in bindings:
        value = binding.value
        if binding.kind in ("assign", "annassign") and ctx.configs.is_config_variable_name(binding.name) and (
                isinstance(value, cst.Dict) or isinstance(value, cst.Call) and dotted(value.func) == "dict"):
            return ConfigSource("dict", namespace=binding.name)
    return ConfigSource("none")


def python_type(value: str) -> str:
    try:
        literal = eval(value, {"__builtins__": {}}, {})  # literal text only (already checked)
    except Exception:
        return "float"
    if isinstance(literal, bool):
        return "bool"
    if isinstance(literal, int):
        return "int"
    if isinstance(literal, float):
        return "float"
    if isinstance(literal, str):
        return "str"
    if isinstance(literal, tuple):
        return "tuple"
    if isinstance(literal, list):
        return "list"
    return "float"


def suggestion(ctx: "FileContext", name: str, value: str, variable: str | None = None) -> str:
    """The suggested fix for a hard-coded hyperparameter ``name`` whose value is ``value``."""
    source = config_source(ctx)
    flag = "--" + name.replace("_", "-")
    subject = f"`{variable}`" if variable else "the value"
    kind = python_type(value)
    if source.kind == "argparse":
        if name in source.options:
            return f"The parser already defines `{flag}`: use `{source.read(name)}` instead of the literal."
        type_part = f"type={kind}, " if kind in ("int", "float", "str") else ""
        if kind == "bool":
            return (f"Add `{flag}` to the existing argparse parser (`{source.parser}.add_argument(\"{flag}\", "
                    f"action=argparse.BooleanOptionalAction, default={value})`) and pass `{source.read(name)}`.")
        return (f"Add `{flag}` to the existing argparse parser (`{source.parser}.add_argument(\"{flag}\", "
                f"{type_part}default={value})`) and pass `{source.read(name)}`.")
    if source.kind == "hydra":
        return f"Read `{source.read(name)}` from the Hydra config: add `{name}: {value}` to its YAML and pass `{source.read(name)}`."
    if source.kind == "dataclass":
        return (f"Add a field `{name}: {kind} = {value}` to the `{source.class_name}` config and pass "
                f"`{source.read(name)}`.")
    if source.kind in ("click", "typer"):
        if name in source.options:
            return f"The command already has a `{flag}` option: pass its value instead of the literal."
        return f"Add a `{flag}` {source.kind} option (default {value}) to the command and pass its value in."
    if source.kind == "absl":
        if name in source.options:
            return f"`FLAGS.{name}` is already defined: use it instead of the literal."
        define = {"int": "integer", "str": "string", "bool": "bool"}.get(kind, "float")
        return f"Define `flags.DEFINE_{define}(\"{name}\", {value}, ...)` and pass `FLAGS.{name}`."
    if source.kind == "loaded":
        return f"Put `{name}: {value}` in the loaded config file and read `{source.read(name)}`."
    if source.kind == "dict":
        return f"Add `\"{name}\": {value}` to the `{source.namespace}` config dict and read `{source.read(name)}`."
    return (f"Move {subject} into a config (a dataclass, argparse flag or YAML entry `{name}: {value}`) "
            f"that is logged with the run, and read it from there.")
