"""The value of a hard-coded literal, its type, and how to write it as a CLI flag, a dataclass
field or a dict entry."""
from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass

_ALLOWED = (ast.Expression, ast.Constant, ast.UnaryOp, ast.BinOp, ast.Tuple, ast.List, ast.Load, ast.USub, ast.UAdd,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.Call, ast.Name)
_SCALARS = {bool: "bool", int: "int", float: "float", str: "str"}
_KEYWORD_NAMES = {"lambda": "reg_lambda"}  # xgboost's alias for its L2 term


class NotALiteral(ValueError):
    pass


def literal_value(text: str) -> object:
    """Evaluate literal text (``3e-4 * 8``, ``(0.9, 0.999)``, ``int(1e4)``); NotALiteral otherwise."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise NotALiteral(str(exc)) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise NotALiteral(type(node).__name__)
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in ("int", "float") and len(node.args) == 1
                    and not node.keywords):
                raise NotALiteral("call")
        elif isinstance(node, ast.Name) and node.id not in ("int", "float"):
            raise NotALiteral(node.id)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            if not (isinstance(exponent, ast.Constant) and isinstance(exponent.value, (int, float))
                    and abs(exponent.value) <= 64) and not (
                    isinstance(exponent, ast.UnaryOp) and isinstance(exponent.operand, ast.Constant)
                    and isinstance(exponent.operand.value, (int, float)) and abs(exponent.operand.value) <= 64):
                raise NotALiteral("large power")
        elif isinstance(node, ast.Constant) and isinstance(node.value, (bytes, complex, type(None), type(...))):
            raise NotALiteral("constant")
    try:
        return eval(compile(tree, "<literal>", "eval"), {"__builtins__": {}, "int": int, "float": float}, {})
    except Exception as exc:  # ZeroDivisionError, OverflowError, ...
        raise NotALiteral(str(exc)) from None


@dataclass(frozen=True)
class ValueType:
    kind: str  # bool | int | float | str | tuple | list
    element: str | None = None  # for tuple/list: int | float | str
    length: int = 0

    @property
    def sequence(self) -> bool:
        return self.kind in ("tuple", "list")

    def annotation(self) -> str:
        """The type of a config-class field holding the value (lists are stored as tuples)."""
        if self.kind == "tuple":
            return f"tuple[{', '.join([self.element] * self.length)}]"
        if self.kind == "list":
            return f"tuple[{self.element}, ...]"
        return self.kind


def value_type(value: object) -> ValueType | None:
    """The type of a literal value, or None when configuration cannot hold it simply
    (nested sequences, empty ones, mixed strings and numbers)."""
    scalar = _SCALARS.get(type(value))
    if scalar is not None:
        return ValueType(scalar)
    if isinstance(value, (tuple, list)) and value:
        kinds = {_SCALARS.get(type(item)) for item in value}
        if None in kinds or "bool" in kinds:
            return None
        if kinds == {"int", "float"}:
            element = "float"
        elif len(kinds) == 1:
            element = kinds.pop()
        else:
            return None
        return ValueType("tuple" if isinstance(value, tuple) else "list", element, len(value))
    return None


def value_key(value: object) -> tuple:
    """Equal literals (same type, same value) share a field."""
    return (type(value).__name__, repr(value))


def default_text(text: str, value: object) -> str:
    """How the default is written: the literal as it was, on one line."""
    text = text.strip()
    if "\n" in text or "\r" in text or "#" in text:
        return repr(value)
    return text


def as_tuple_text(text: str, value: object) -> str:
    """A list literal's default for a (frozen) config class: the same items as a tuple."""
    if isinstance(value, list):
        return repr(tuple(value))
    return text


def identifier(name: str) -> str:
    """A valid, non-keyword Python identifier made from ``name``."""
    name = re.sub(r"\W", "_", name).strip("_") or "value"
    if name[0].isdigit():
        name = "n_" + name
    if keyword.iskeyword(name) or name == "_":
        name = _KEYWORD_NAMES.get(name, name + "_value")
    return name


def snake(name: str) -> str:
    """``StepLR`` -> ``step_lr``, ``RandomForestClassifier`` -> ``random_forest_classifier``."""
    name = name.rsplit(".", 1)[-1]
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return identifier(name.lower())


def python_string(text: str, quote: str = '"') -> str:
    """A string literal for ``text``."""
    escaped = text.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", " ")
    return f"{quote}{escaped}{quote}"
