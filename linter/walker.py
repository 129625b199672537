"""One traversal of a libcst tree that serves the engine's fact collectors and every rule.

libcst's own ``visit`` rebuilds every node it passes; this walks the dataclass fields instead,
skips whitespace and punctuation, keeps the parents on its own stack and never recurses (deep
nesting cannot hit Python's recursion limit). Leaves that no handler asks for (names, numbers,
strings, ``pass``) are not even pushed: no handler can observe them.
"""
from __future__ import annotations

import dataclasses
import typing
from functools import lru_cache
from typing import Callable

import libcst as cst

_SKIPPED_FIELDS = frozenset(
    {
        "lpar", "rpar", "leading_lines", "lines_after_decorators", "header", "footer", "semicolon",
        "comma", "newline", "dot", "equal", "colon", "star", "arrow", "lbracket", "rbracket", "lbrace",
        "rbrace", "operator", "relative", "at", "trailing_whitespace", "asynchronous", "default_indent",
        "default_newline", "encoding", "has_trailing_newline", "indent", "footer", "walrus", "whitespace",
    }
)
_TEXT_TYPES = (str, typing.Optional[str], bool)


@lru_cache(maxsize=None)
def child_fields(cls: type) -> tuple[str, ...]:
    return tuple(
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
    )


@lru_cache(maxsize=None)
def node_fields(cls: type) -> tuple[str, ...]:
    """``child_fields`` without the ones that only ever hold text (``Name.value``), in reverse
    order (the order the walker pushes them)."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation libcst cannot resolve: keep every field
        hints = {}
    return tuple(reversed([f for f in child_fields(cls) if hints.get(f) not in _TEXT_TYPES]))


Handler = Callable[[cst.CSTNode], object]

_LEAVE = object()  # marks, on the work list, the end of the node on top of ``stack``
_IGNORE, _NODE, _SEQUENCE = 0, 1, 2


def walk(
    root: cst.CSTNode,
    stack: list[cst.CSTNode],
    visit: dict[str, list[Handler]],
    leave: dict[str, list[Handler]],
) -> None:
    """Depth-first, in field order; ``stack`` holds the path to the current node (inclusive).

    A visit handler that returns ``False`` skips the node's children (its leave handlers still run).
    """
    # per node type: (visit handlers, leave handlers, fields), and what a field value is
    plans: dict[type, tuple] = {}
    kinds: dict[type, int] = {type(None): _IGNORE, str: _IGNORE, list: _SEQUENCE, tuple: _SEQUENCE}

    def kind_of(cls: type) -> int:
        if isinstance(cls, type) and issubclass(cls, cst.CSTNode):
            name = cls.__name__
            has_children = bool(node_fields(cls))
            kind = _NODE if has_children or name in visit or name in leave else _IGNORE
        else:
            kind = _IGNORE  # MaybeSentinel and other markers
        kinds[cls] = kind
        return kind

    def plan_of(cls: type) -> tuple:
        name = cls.__name__
        plan = plans[cls] = (visit.get(name) or None, leave.get(name) or None, node_fields(cls))
        return plan

    work: list = [root]
    pop, push = work.pop, work.append
    stack_push, stack_pop = stack.append, stack.pop
    while work:
        node = pop()
        if node is _LEAVE:
            node = stack[-1]
            handlers = plans[type(node)][1]
            if handlers is not None:
                for handler in handlers:
                    handler(node)
            stack_pop()
            continue
        cls = type(node)
        plan = plans.get(cls) or plan_of(cls)
        stack_push(node)
        push(_LEAVE)
        handlers = plan[0]
        if handlers is not None:
            skip_children = False
            for handler in handlers:
                if handler(node) is False:
                    skip_children = True
            if skip_children:
                continue
        for field_name in plan[2]:
            value = getattr(node, field_name)
            kind = kinds.get(type(value))
            if kind is None:
                kind = kind_of(type(value))
            if kind == _NODE:
                push(value)
            elif kind == _SEQUENCE:
                for item in reversed(value):
                    item_kind = kinds.get(type(item))
                    if item_kind is None:
                        item_kind = kind_of(type(item))
                    if item_kind == _NODE:
                        push(item)
