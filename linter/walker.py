"""One traversal of a libcst tree that serves the engine's fact collectors and every rule.

libcst's own ``visit`` rebuilds every node it passes; this walks the dataclass fields instead,
skips whitespace and punctuation, keeps the parents on its own stack and never recurses (deep
nesting cannot hit Python's recursion limit).
"""
from __future__ import annotations

import dataclasses
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


@lru_cache(maxsize=None)
def child_fields(cls: type) -> tuple[str, ...]:
    return tuple(
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
    )


Handler = Callable[[cst.CSTNode], object]


def walk(
    root: cst.CSTNode,
    stack: list[cst.CSTNode],
    visit: dict[str, list[Handler]],
    leave: dict[str, list[Handler]],
) -> None:
    """Depth-first, in field order; ``stack`` holds the path to the current node (inclusive)."""
    work: list[tuple[bool, cst.CSTNode]] = [(False, root)]
    pop, push = work.pop, work.append
    while work:
        leaving, node = pop()
        name = type(node).__name__
        if leaving:
            for handler in leave.get(name, ()):
                handler(node)
            stack.pop()
            continue
        stack.append(node)
        skip_children = False
        for handler in visit.get(name, ()):
            if handler(node) is False:
                skip_children = True
        push((True, node))
        if skip_children:
            continue
        children: list[cst.CSTNode] = []
        for field_name in child_fields(type(node)):
            value = getattr(node, field_name)
            if isinstance(value, cst.CSTNode):
                children.append(value)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if isinstance(item, cst.CSTNode):
                        children.append(item)
        for child in reversed(children):
            push((False, child))
