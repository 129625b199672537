"""Where code sits among a file's statements: the innermost statement around an offset range,
the functions and classes whose bodies hold it, the block it is in. Built from statements only
(cheap) with the positions the engine already resolved, for planning edits after a lint."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterator, Mapping

import libcst as cst
from libcst.metadata import CodeRange

from hyperlint.source import SourceText

_SCOPES = (cst.FunctionDef, cst.ClassDef)
_WORD = re.compile(r"(?<![\w.])[^\W\d]\w*")


@dataclass(frozen=True, eq=False)
class Entry:
    node: cst.CSTNode  # a SimpleStatementLine or a compound statement
    start: int
    end: int
    depth: int
    parents: tuple["Entry", ...]  # enclosing compound statements, outermost first
    block: cst.CSTNode  # the Module or IndentedBlock whose body holds the statement
    block_start: int
    block_end: int

    @property
    def top(self) -> "Entry":
        return self.parents[0] if self.parents else self

    def contains(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end


class CodeIndex:
    def __init__(self, module: cst.Module, source: SourceText, positions: Mapping[cst.CSTNode, CodeRange]) -> None:
        self.module = module
        self.source = source
        self.positions = positions
        self.entries: list[Entry] = []
        self._by_node: dict[int, Entry] = {}
        self._body_ranges: dict[int, tuple[int, int]] = {}
        self._tokens: dict[str, list[int]] | None = None
        self._walk(module, module.body, (), 0, len(source.text))
        self._sorted = sorted(self.entries, key=lambda e: (e.start, -e.end))
        self._starts = [e.start for e in self._sorted]
        self._words: dict[str, list[int]] | None = None

    # --- building ---------------------------------------------------------------------------
    def offsets(self, node: cst.CSTNode) -> tuple[int, int]:
        where = self.positions[node]
        return (self.source.offset(where.start.line, where.start.column),
                self.source.offset(where.end.line, where.end.column))

    def offsets_with_parens(self, node: cst.CSTNode) -> tuple[int, int]:
        """The node's range with its own parentheses (positions leave them out)."""
        start, end = self.offsets(node)
        text = self.source.text
        for _ in getattr(node, "lpar", ()):
            before = text.rfind("(", 0, start)
            after = text.find(")", end)
            if before < 0 or after < 0 or text[before + 1:start].strip() or text[end:after].strip():
                break
            start, end = before, after + 1
        return start, end

    def _walk(self, block, statements, parents: tuple[Entry, ...], block_start: int, block_end: int) -> None:
        for statement in statements:
            if statement not in self.positions:
                continue
            start, end = self.offsets(statement)
            entry = Entry(statement, start, end, len(parents), parents, block, block_start, block_end)
            self.entries.append(entry)
            self._by_node[id(statement)] = entry
            if isinstance(statement, cst.BaseCompoundStatement):
                for child in _child_blocks(statement):
                    if isinstance(child, cst.IndentedBlock) and child in self.positions:
                        child_start, child_end = self.offsets(child)
                        if isinstance(statement, _SCOPES) and child is statement.body:
                            self._body_ranges[id(statement)] = (child_start, child_end)
                        self._walk(child, child.body, parents + (entry,), child_start, child_end)
                    elif isinstance(child, cst.SimpleStatementSuite) and child in self.positions:
                        if isinstance(statement, _SCOPES) and child is statement.body:
                            self._body_ranges[id(statement)] = self.offsets(child)

    # --- queries ------------------------------------------------------------------------------
    def entry(self, statement: cst.CSTNode) -> Entry | None:
        return self._by_node.get(id(statement))

    def statement_at(self, start: int, end: int | None = None) -> Entry | None:
        """The innermost statement whose range holds [start, end): statements nest or are apart,
        so it is the last-starting one (at or before ``start``) that reaches ``end``."""
        end = start if end is None else end
        position = bisect.bisect_right(self._starts, start)
        for i in range(position - 1, -1, -1):
            entry = self._sorted[i]
            if end <= entry.end:
                return entry
            if entry.depth == 0:
                return None  # a top-level statement that ends before: nothing around the range
        return None

    def scopes_at(self, start: int, end: int | None = None) -> list[cst.FunctionDef | cst.ClassDef]:
        """Functions and classes whose *body* holds [start, end), outermost first (a decorator
        or a parameter default runs in the scope around the function, so it does not count)."""
        end = start if end is None else end
        entry = self.statement_at(start, end)
        if entry is None:
            return []
        chain = list(entry.parents) + [entry]
        out = []
        for item in chain:
            body = self._body_ranges.get(id(item.node))
            if body is not None and body[0] <= start and end <= body[1]:
                out.append(item.node)
        return out

    def functions(self) -> Iterator[Entry]:
        for entry in self.entries:
            if isinstance(entry.node, cst.FunctionDef):
                yield entry

    def line_indent(self, offset: int) -> str:
        row = self.source.position(offset).row
        line = self.source.line(row)
        return line[: len(line) - len(line.lstrip())]

    def line_start(self, offset: int) -> int:
        return self.source.offset(self.source.position(offset).row, 0)

    def next_line_start(self, offset: int) -> int:
        """The start of the line after the one holding ``offset`` (end of text if none)."""
        row = self.source.position(offset).row
        starts = self.source.line_starts
        return starts[row] if row < len(starts) else len(self.source.text)

    def name_tokens(self, name: str) -> list[int] | None:
        """Offsets of the NAME tokens ``name`` in the code (not strings or comments; names
        inside f-strings only on Pythons that tokenize them); None if the text does not tokenize."""
        if self._tokens is None:
            import io
            import tokenize

            tokens: dict[str, list[int]] = {}
            try:
                for token in tokenize.generate_tokens(io.StringIO(self.source.text).readline):
                    if token.type == tokenize.NAME:
                        tokens.setdefault(token.string, []).append(self.source.offset(token.start[0], token.start[1]))
            except (tokenize.TokenError, SyntaxError, IndentationError):
                return None
            self._tokens = tokens
        return self._tokens.get(name, [])

    def occurrences(self, name: str) -> list[int]:
        """Offsets where the identifier ``name`` appears in the text (code, strings or comments),
        not after a dot."""
        if self._words is None:
            words: dict[str, list[int]] = {}
            for match in _WORD.finditer(self.source.text):
                words.setdefault(match.group(), []).append(match.start())
            self._words = words
        return self._words.get(name, [])


def _child_blocks(statement: cst.BaseCompoundStatement) -> Iterator[cst.BaseSuite]:
    body = getattr(statement, "body", None)
    if isinstance(body, cst.BaseSuite):
        yield body
    orelse = getattr(statement, "orelse", None)
    while orelse is not None:
        if isinstance(orelse, cst.If):  # elif: its blocks belong to the same statement
            yield orelse.body
            orelse = orelse.orelse
        else:
            yield orelse.body
            orelse = None
    for handler in getattr(statement, "handlers", ()) or ():
        yield handler.body
    final = getattr(statement, "finalbody", None)
    if final is not None:
        yield final.body
    for case in getattr(statement, "cases", ()) or ():
        yield case.body


def header_parts(statement: cst.CSTNode) -> list[cst.CSTNode]:
    """The parts of a statement that run where the statement is (not its nested blocks)."""
    if isinstance(statement, cst.SimpleStatementLine):
        return [statement]
    if isinstance(statement, cst.If):
        parts: list[cst.CSTNode] = [statement.test]
        orelse = statement.orelse
        while isinstance(orelse, cst.If):
            parts.append(orelse.test)
            orelse = orelse.orelse
        return parts
    if isinstance(statement, (cst.For,)):
        return [statement.target, statement.iter]
    if isinstance(statement, cst.While):
        return [statement.test]
    if isinstance(statement, cst.With):
        return list(statement.items)
    if isinstance(statement, cst.FunctionDef):
        return [*statement.decorators, statement.params, *([statement.returns] if statement.returns else [])]
    if isinstance(statement, cst.ClassDef):
        return [*statement.decorators, *statement.bases, *statement.keywords]
    if isinstance(statement, (cst.Try, cst.TryStar)):
        parts = []
        for handler in statement.handlers:
            parts += [p for p in (handler.type, handler.name) if p is not None]
        return parts
    if isinstance(statement, cst.Match):
        parts = [statement.subject]
        for case in statement.cases:
            parts += [p for p in (case.pattern, case.guard) if p is not None]
        return parts
    return []


@dataclass(frozen=True)
class NameUse:
    node: cst.Name
    role: str  # load | call | store | global | attr | keyword | param | def | import
    call: cst.Call | None = None  # for role "call": the call whose callee the name is
    quote: str | None = None  # the quote of the innermost f-string around it


_TARGET_WRAPPERS = (cst.Element, cst.StarredElement, cst.Tuple, cst.List)


class _NameFinder(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.stack: list[cst.CSTNode] = []
        self.found: list[NameUse] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.stack.append(node)
        if isinstance(node, cst.Name) and node.value == self.name:
            self.found.append(self._use(node))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()

    def _use(self, node: cst.Name) -> NameUse:
        quote = next((n.start.lstrip("rRbBfFuU") for n in reversed(self.stack) if isinstance(n, cst.FormattedString)), None)
        parent = self.stack[-2] if len(self.stack) > 1 else None
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return NameUse(node, "attr")
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return NameUse(node, "keyword")
        if isinstance(parent, cst.Param) and parent.name is node:
            return NameUse(node, "param")
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef)) and parent.name is node:
            return NameUse(node, "def")
        if isinstance(parent, (cst.ImportAlias, cst.AsName)) and not self._is_with_or_except_target(parent):
            return NameUse(node, "import")
        if isinstance(parent, cst.NameItem):
            return NameUse(node, "global")
        if isinstance(parent, cst.Call) and parent.func is node:
            return NameUse(node, "call", call=parent, quote=quote)
        if self._is_store(node):
            return NameUse(node, "store")
        return NameUse(node, "load", quote=quote)

    def _is_with_or_except_target(self, asname: cst.CSTNode) -> bool:
        owner = self.stack[-3] if len(self.stack) > 2 else None
        return isinstance(owner, (cst.WithItem, cst.ExceptHandler, cst.ExceptStarHandler))

    def _is_store(self, node: cst.Name) -> bool:
        child: cst.CSTNode = node
        for ancestor in reversed(self.stack[:-1]):
            if isinstance(ancestor, _TARGET_WRAPPERS):
                child = ancestor
                continue
            if isinstance(ancestor, (cst.AssignTarget, cst.Del)):
                return ancestor.target is child
            if isinstance(ancestor, (cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr)):
                return ancestor.target is child
            if isinstance(ancestor, cst.AsName):
                return True
            return False
        return False


def find_names(parts: list[cst.CSTNode], name: str) -> list[NameUse]:
    """Every occurrence of the identifier ``name`` in ``parts``, with its role."""
    finder = _NameFinder(name)
    for part in parts:
        part.visit(finder)
        finder.stack.clear()
    return finder.found
