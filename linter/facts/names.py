"""Qualified names through imports and aliases, from a light import table.

Full libcst scope analysis costs ~9x the parse; rules only need "what does ``optim.Adam`` refer
to", which an alias table built from the file's import statements answers.
"""
from __future__ import annotations

import libcst as cst

_NAME, _ATTRIBUTE = cst.Name, cst.Attribute


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    # type() instead of isinstance(): libcst node classes are ABCs, whose isinstance is slow,
    # and Name/Attribute have no subclasses
    if type(node) is _NAME:
        return node.value
    parts: list[str] = []
    while type(node) is _ATTRIBUTE:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is _NAME:
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def module_name(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    return dotted(node) or ""


class ImportTable:
    """Local name -> fully qualified name, for every import seen in the file."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
            else:
                head = full.split(".")[0]
                self.aliases[head] = head

    def add_import_from(self, node: cst.ImportFrom) -> None:
        if node.relative:
            base = "." * len(node.relative) + module_name(node.module)
        else:
            base = module_name(node.module)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = module_name(alias.name)
            full = f"{base}.{name}" if base else name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
            else:
                self.aliases[name] = full

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a Name/Attribute chain whose head was imported."""
        head = node
        while type(head) is _ATTRIBUTE:
            head = head.value
        if type(head) is not _NAME:
            return None
        target = self.aliases.get(head.value)
        if target is None:  # most names were not imported: answer before building the dotted name
            return None
        rest = dotted(node).partition(".")[2]
        return f"{target}.{rest}" if rest else target

    def qualify_or_dotted(self, node: cst.BaseExpression) -> str | None:
        return self.qualify(node) or dotted(node)

    def imports_module(self, prefix: str) -> bool:
        return any(v == prefix or v.startswith(prefix + ".") for v in self.aliases.values())
