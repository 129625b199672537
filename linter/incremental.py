"""Parse an edited buffer again by re-parsing only the top-level statements the edit touched.

The language server lints the same buffer after every change, and libcst's parse of a whole
2,000-line file costs about as much as the latency budget for the change's diagnostics. A
top-level statement of a module, with the blank and comment lines libcst gives it (its
``leading_lines``), starts at the beginning of a line, and the tokenizer's state there is clean;
such a *chunk* parses the same alone as in its file. So after an edit:

1. the changed span is the part of the text between the longest common prefix and suffix of the
   old and new texts;
2. the chunks it touches (a chunk that ends where the span starts counts: an indented line
   typed there may continue it) make the *region*, which is parsed alone;
3. the module is assembled from the untouched chunks' statements (the same node objects as
   before) and the region's.

The region is widened by one chunk, or the whole text is parsed, wherever a standalone parse
could differ from the file's:

- the region does not parse alone (an open bracket or string, a decorator or ``try`` cut from
  what follows: the error may be only the cut's);
- it ends in comment or blank lines (the next statement's ``leading_lines`` in the file);
- an indented comment sits at its start or just after it (a block's ``footer`` in the file);
- its newline style differs from the file's, or it has indented blocks and its indentation
  differs from the file's default (libcst stores a block's indentation relative to it);
- it held the file's first indented block (which sets that default) and holds none now.

The assembled module then equals libcst's parse of the whole text; the tests check that with
``deep_equals`` and every node's position over random edits of real files.

Positions: each parse (the first, whole one, and each region's) computes its nodes' positions
once, on first use; a node's position in the buffer is its position in that parse shifted by
the lines its chunk has moved since.
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

import libcst as cst
from libcst._position import CodePosition, CodeRange

from hyperlint import shortcuts
from hyperlint.common_ends import common_prefix, common_suffix
from hyperlint.parsing import parse_module
from hyperlint.positions import FastPositions, resolve_positions

MAX_WIDENINGS = 4
MAX_REGION_SHARE = 0.5  # a region larger than this share of the text: parse the text whole


class Parsed:
    """A parsed text: its module and, computed on first use, its nodes' positions."""

    def __init__(self, text: str, module: cst.Module) -> None:
        self.text = text
        self.module = module
        self.layout: _Layout | None = None  # how the text is cut into chunks, once needed
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None

    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        if self._positions is None:
            self._positions = resolve_positions(self.module)
        return self._positions


def parse_whole(text: str) -> Parsed:
    return Parsed(text, parse_module(text))


class _Tree:
    """One libcst parse whose statements chunks hold; its positions are computed once."""

    __slots__ = ("module", "_ranges")

    def __init__(self, module: cst.Module, ranges: dict[int, tuple] | None = None) -> None:
        self.module = module
        self._ranges = ranges

    def ranges(self) -> dict[int, tuple]:
        if self._ranges is None:
            self._ranges = FastPositions(self.module).ranges
        return self._ranges


@dataclass(frozen=True, eq=False)
class _Chunk:
    node: cst.BaseStatement  # the statement as it sits in the assembled module
    original: cst.BaseStatement  # the same statement in ``tree`` (differs when lines were moved onto it)
    text: str  # the statement's text with its leading lines
    lines: int  # line breaks in ``text``
    tree: _Tree
    tree_line: int  # the line of ``tree``'s text where ``text`` starts (1-based)


@dataclass(frozen=True, eq=False)
class _Layout:
    """A parse of ``text`` cut into header, chunks and footer, in text order."""

    text: str
    module: cst.Module
    chunks: tuple[_Chunk, ...]
    header_length: int  # characters before the first chunk
    header_lines: int  # line breaks before the first chunk
    first_block: int  # index of the first chunk with an indented block (len(chunks) if none)


class _AssembledParsed(Parsed):
    def __init__(self, layout: _Layout) -> None:
        super().__init__(layout.text, layout.module)
        self.layout = layout

    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        if self._positions is None:
            self._positions = ChunkPositions(self.layout)
        return self._positions


class IncrementalParser:
    """Parses successive texts of one buffer, re-using the statements an edit left alone."""

    def __init__(self) -> None:
        self._last: Parsed | None = None
        self.last_kind = ""  # how the last text was parsed: "whole", "region" or "same"

    def parse(self, text: str) -> Parsed:
        previous = self._last
        if previous is not None and previous.text == text:
            self.last_kind = "same"
            return previous
        parsed: Parsed | None = None
        if previous is not None and _eligible(text):
            layout = _layout_of(previous)
            if layout is not None:
                parsed = _reparse(layout, text)
        self.last_kind = "whole" if parsed is None else "region"
        self._last = parsed or parse_whole(text)  # one assignment: an interrupted lint leaves no half state
        return self._last

    def prepare(self) -> None:
        """Work out, before the next edit comes, how the last text is cut into chunks and where
        its nodes are (an editor calls this when idle, after publishing a lint)."""
        last = self._last
        if last is None or not _eligible(last.text):
            return
        layout = _layout_of(last)
        if layout is not None:
            for tree in {id(chunk.tree): chunk.tree for chunk in layout.chunks}.values():
                tree.ranges()


def _eligible(text: str) -> bool:
    """Whether the shortcut may serve ``text``: switched on (with the fast positions its node
    positions come from), and no form feed (libcst drops one at the start of a statement's line,
    so chunk texts would not add up)."""
    return ("\x0c" not in text and shortcuts.enabled(shortcuts.INCREMENTAL_PARSE)
            and shortcuts.enabled(shortcuts.FAST_POSITIONS))


def _line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _text_length(module: cst.Module, lines: Sequence[cst.EmptyLine]) -> int:
    return sum(len(module.code_for_node(line)) for line in lines)


def _layout_of(parsed: Parsed) -> _Layout | None:
    """How ``parsed`` is cut into chunks (worked out on the first edit after a whole parse)."""
    if parsed.layout is not None:
        return parsed.layout
    module, text = parsed.module, parsed.text
    if not module.body or not _eligible(text):
        return None
    known = parsed._positions.ranges if isinstance(parsed._positions, FastPositions) else None
    tree = _Tree(module, known)
    header = min(_text_length(module, module.header), len(text))
    header_lines = _line_breaks(text[:header])
    chunks = _cut(module, tree, text, header, 1 + header_lines)
    if chunks is None:
        return None
    layout = _Layout(text, module, chunks, header, header_lines, _first_block(chunks))
    parsed.layout = layout
    return layout


def _cut(module: cst.Module, tree: _Tree, text: str, start: int, line: int,
         lead: tuple[int, cst.BaseStatement] | None = None) -> tuple[_Chunk, ...] | None:
    """Chunks for the statements of ``module``, whose first one starts at offset ``start`` of
    ``text``, on line ``line``. ``lead``: the length of lines before the first statement that
    go with it, and the statement with them. None if the rendered lengths do not fit the text."""
    chunks = []
    offset = start
    last = len(module.body) - 1
    for index, statement in enumerate(module.body):
        length = len(module.code_for_node(statement))
        node = statement
        if index == 0 and lead is not None:
            length += lead[0]
            node = lead[1]
        piece = text[offset : offset + length]
        if len(piece) != length and index != last:  # only the last one may lack a newline the text lacks
            return None
        chunk = _Chunk(node, statement, piece, _line_breaks(piece), tree, line)
        chunks.append(chunk)
        offset += length
        line += chunk.lines
    return tuple(chunks)


def _first_block(chunks: Sequence[_Chunk]) -> int:
    for index, chunk in enumerate(chunks):
        if _has_block(chunk.original):
            return index
    return len(chunks)


_BLOCK_FIELDS = ("body", "orelse", "handlers", "finalbody", "cases")


def _has_block(statement: cst.CSTNode) -> bool:
    """Whether an indented block (an INDENT token, which sets libcst's default indentation) is in
    ``statement``; blocks are found through compound statements and their clauses only."""
    pending = [statement]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.IndentedBlock):
            return True
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) or node is None:
            continue
        for name in _BLOCK_FIELDS:
            value = getattr(node, name, None)
            if isinstance(value, (list, tuple)):
                pending.extend(value)
            elif isinstance(value, cst.CSTNode):
                pending.append(value)
    return False


def _indented_comment(lines: Sequence[cst.EmptyLine]) -> bool:
    return any(line.comment is not None and line.whitespace.value for line in lines)


def _leads_with_indented_comment(chunk: _Chunk) -> bool:
    node = chunk.node
    lines = list(getattr(node, "leading_lines", ()))
    decorators = getattr(node, "decorators", ())
    if decorators:
        lines += decorators[0].leading_lines
    return _indented_comment(lines)


def _reparse(layout: _Layout, text: str) -> _AssembledParsed | None:
    old, chunks, module = layout.text, layout.chunks, layout.module
    prefix = common_prefix(old, text)
    suffix = common_suffix(old, text, min(len(old), len(text)) - prefix)
    changed_start, changed_end = prefix, len(old) - suffix  # in the old text
    count = len(chunks)
    starts = list(itertools.accumulate((len(c.text) for c in chunks[:-1]), initial=layout.header_length))
    ends = [start + len(chunk.text) for start, chunk in zip(starts, chunks)]
    # touching counts: a chunk that ends where the change starts, or starts where it ends
    low = min(bisect.bisect_left(ends, changed_start), count - 1)
    high = max(bisect.bisect_right(starts, changed_end) - 1, low)
    delta = len(text) - len(old)
    for _ in range(MAX_WIDENINGS + 1):
        at_start, at_end = low == 0, high == count - 1
        region_start = 0 if at_start else starts[low]
        region_end = (len(old) if at_end else ends[high]) + delta
        if region_end - region_start > MAX_REGION_SHARE * len(text):
            return None
        region_text = text[region_start:region_end]
        try:
            region = parse_module(region_text)
        except Exception:  # a syntax error may be the text's or only the cut's: parse it whole
            return None
        if not region.body:
            return None
        widen_back = not at_start and _indented_comment(region.header)
        widen_forward = not at_end and (bool(region.footer) or _leads_with_indented_comment(chunks[high + 1]))
        if not (widen_back or widen_forward):
            break
        low -= widen_back
        high += widen_forward
    else:
        return None
    if region.default_newline != module.default_newline:
        return None
    region_blocks = any(map(_has_block, region.body))
    if region_blocks and region.default_indent != module.default_indent:
        return None  # its blocks' indentation is relative to another default than the text's
    if low <= layout.first_block <= high and not region_blocks:
        return None  # the text's first indented block is gone: its default indentation may change

    tree = _Tree(region)
    region_header = min(_text_length(region, region.header), len(region_text))
    if at_start:  # the region's header is the text's
        new_chunks = _cut(region, tree, region_text, region_header, 1 + _line_breaks(region_text[:region_header]))
    elif region.header:  # in the whole text these lines lead the region's first statement
        first = region.body[0]
        lead = first.with_changes(leading_lines=(*region.header, *first.leading_lines))
        new_chunks = _cut(region, tree, region_text, 0, 1, (region_header, lead))
    else:
        new_chunks = _cut(region, tree, region_text, 0, 1)
    if new_chunks is None:
        return None
    all_chunks = (*chunks[:low], *new_chunks, *chunks[high + 1 :])
    assembled = cst.Module(
        body=[chunk.node for chunk in all_chunks],
        header=region.header if at_start else module.header,
        footer=region.footer if at_end else module.footer,
        encoding=module.encoding,
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        has_trailing_newline=region.has_trailing_newline if at_end else module.has_trailing_newline,
    )
    if at_start:
        header_length, header_lines = region_header, _line_breaks(region_text[:region_header])
    else:
        header_length, header_lines = layout.header_length, layout.header_lines
    return _AssembledParsed(
        _Layout(text, assembled, all_chunks, header_length, header_lines, _first_block(all_chunks))
    )


class ChunkPositions(Mapping):
    """``node -> CodeRange`` for an assembled module, from its chunks' own parses."""

    def __init__(self, layout: _Layout) -> None:
        self._module = layout.module
        module = layout.module
        # libcst renders a text without a final newline with one, then drops it
        self._end = _end_position(layout.text if module.has_trailing_newline else layout.text + module.default_newline)
        self._aliases = {id(c.node): id(c.original) for c in layout.chunks if c.node is not c.original}
        # per parse: the tree lines where its live chunks start, and each one's shift in lines
        by_tree: dict[int, tuple[_Tree, list[int], list[int]]] = {}
        line = 1 + layout.header_lines
        for chunk in layout.chunks:
            entry = by_tree.get(id(chunk.tree))
            if entry is None:
                entry = by_tree[id(chunk.tree)] = (chunk.tree, [], [])
            entry[1].append(chunk.tree_line)
            entry[2].append(line - chunk.tree_line)
            line += chunk.lines
        self._trees = list(by_tree.values())
        self._last = 0

    def _find(self, node: object) -> tuple | None:
        if node is self._module:
            return (1, 0) + self._end
        key = id(node)
        key = self._aliases.get(key, key)
        trees = self._trees
        count = len(trees)
        for step in range(count):
            index = (self._last + step) % count
            tree, lines, shifts = trees[index]
            found = tree.ranges().get(key)
            if found is None:
                continue
            self._last = index
            shift = shifts[max(bisect.bisect_right(lines, found[0]) - 1, 0)]
            return (found[0] + shift, found[1], found[2] + shift, found[3])
        return None

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self._find(node)
        if found is None:
            raise KeyError(node)
        return CodeRange(CodePosition(found[0], found[1]), CodePosition(found[2], found[3]))

    def __contains__(self, node: object) -> bool:
        return self._find(node) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __iter__(self) -> Iterator[cst.CSTNode]:
        pending: list[cst.CSTNode] = [self._module]
        while pending:
            node = pending.pop()
            if node in self:
                yield node
            pending.extend(node.children)


def _end_position(text: str) -> tuple[int, int]:
    lines = _line_breaks(text)
    last_break = max(text.rfind("\n"), text.rfind("\r"))
    return (1 + lines, len(text) - last_break - 1)
