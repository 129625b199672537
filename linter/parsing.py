"""``libcst.parse_module`` with light node constructors while its own parser builds the tree.

libcst's parser builds every node through the node class's dataclass ``__init__``: for a frozen
dataclass that is one ``object.__setattr__`` per field, then ``__post_init__``, which validates
the node. Validation is there for trees built by hand (libcst's own comment on it says it could
be skipped when parsing), and the parser's nodes are valid by construction. During the parse,
each node class gets a constructor generated from its own dataclass fields (same parameters,
same defaults) that stores the fields directly and validates nothing: the parse is about a fifth
cheaper. The original constructors are back as soon as the parse returns, and nothing is
swapped unless this is the process's one thread (a language-server thread building nodes by
hand is never affected). ``HYPERLINT_NO_SHORTCUTS=unvalidated-parse`` keeps libcst's own.
"""
from __future__ import annotations

import dataclasses
import threading
from functools import lru_cache

import libcst as cst
from libcst._nodes.base import CSTNode

from hyperlint import shortcuts


@lru_cache(maxsize=1)
def _light_constructors() -> tuple[tuple[type, object, object], ...]:
    """(node class, libcst's __init__, light __init__) for every concrete node class."""
    found: list[tuple[type, object, object]] = []
    seen: set[type] = set()
    pending = [CSTNode]
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        original = cls.__dict__.get("__init__")
        if original is None or not dataclasses.is_dataclass(cls) or getattr(cls, "__abstractmethods__", None):
            continue
        code = getattr(original, "__code__", None)
        if code is None or code.co_filename != "<string>":
            continue  # not the constructor dataclasses generated: leave it alone
        light = _light_init(cls)
        if light is not None:
            found.append((cls, original, light))
    return tuple(found)


def _light_init(cls: type):
    """An ``__init__`` with the dataclass's parameters and defaults that only stores the fields."""
    names: dict[str, object] = {"_hl_missing": dataclasses.MISSING, "_hl_set": object.__setattr__}
    parameters: list[str] = []
    body: list[str] = []
    for number, spec in enumerate(dataclasses.fields(cls)):
        name = spec.name
        if getattr(spec, "kw_only", False) is True or not name.isidentifier() or name.startswith("_hl_"):
            return None  # not used by libcst; keep its constructor rather than guess
        if spec.init:
            value = name
            if spec.default is not dataclasses.MISSING:
                names[f"_hl_d{number}"] = spec.default
                parameters.append(f"{name}=_hl_d{number}")
            elif spec.default_factory is not dataclasses.MISSING:
                names[f"_hl_f{number}"] = spec.default_factory
                parameters.append(f"{name}=_hl_missing")
                body.append(f"    if {name} is _hl_missing: {name} = _hl_f{number}()")
            else:
                parameters.append(name)
        elif spec.default is not dataclasses.MISSING:
            names[f"_hl_d{number}"] = spec.default
            value = f"_hl_d{number}"
        elif spec.default_factory is not dataclasses.MISSING:
            names[f"_hl_f{number}"] = spec.default_factory
            value = f"_hl_f{number}()"
        else:
            continue
        descriptor = getattr(cls, name, None)
        if type(descriptor).__name__ == "member_descriptor":  # a slot: set it directly
            names[f"_hl_s{number}"] = descriptor.__set__
            body.append(f"    _hl_s{number}(self, {value})")
        else:
            body.append(f"    _hl_set(self, {name!r}, {value})")
    source = f"def __init__(self{''.join(', ' + p for p in parameters)}):\n" + ("\n".join(body) or "    pass") + "\n"
    try:
        exec(compile(source, f"<hyperlint: light __init__ of {cls.__name__}>", "exec"), names)
    except SyntaxError:
        return None
    return names["__init__"]


def parse_module(text: str) -> cst.Module:
    if not shortcuts.enabled(shortcuts.UNVALIDATED_PARSE) or threading.active_count() != 1:
        return cst.parse_module(text)
    constructors = _light_constructors()
    for cls, _, light in constructors:
        cls.__init__ = light
    try:
        return cst.parse_module(text)
    finally:
        for cls, original, _ in constructors:
            cls.__init__ = original
