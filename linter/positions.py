"""Node positions for the files that have findings, at a fraction of ``PositionProvider``'s cost.

libcst's PositionProvider renders the module once and records, for every node, a frozen
``CodeRange`` through a generator-based context manager and a regex split of every token; that
costs about twice the parse. This renders it once with plain integers, keyed by ``id(node)``,
following the same rules (syntactic ranges where a node records one, hoisted start/end nodes,
whitespace-inclusive ranges otherwise), and builds ``CodeRange`` objects only for the nodes
looked up. ``HYPERLINT_NO_SHORTCUTS=fast-positions`` goes back to libcst's provider.
"""
from __future__ import annotations

from typing import Iterator, Mapping

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange
from libcst.metadata import MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import NEWLINE_RE

from hyperlint import shortcuts

_Range = tuple  # (start line, start column, end line, end column); lines 1-based, columns 0-based


class _Record:
    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: "_OffsetState", node, start_node, end_node) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.start = (self.state.line, self.state.column)

    def __exit__(self, *exc) -> bool:
        state = self.state
        ranges = state.ranges
        if self.start_node is not None:
            start = ranges[id(self.start_node)][:2]
        else:
            start = self.start
        if self.end_node is not None:
            end = ranges[id(self.end_node)][2:]
        else:
            end = (state.line, state.column)
        ranges[id(self.node)] = start + end
        return False


class _OffsetState(CodegenState):
    __slots__ = ("line", "column", "pending", "ranges")

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.column = 0
        self.pending: list[tuple[int, int]] = []
        self.ranges: dict[int, _Range] = {}

    def _advance(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            segments = NEWLINE_RE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self._advance(value)

    def before_codegen(self, node) -> None:
        self.pending.append((self.line, self.column))

    def after_codegen(self, node) -> None:
        start = self.pending.pop()
        key = id(node)
        if key not in self.ranges:
            self.ranges[key] = start + (self.line, self.column)

    def record_syntactic_position(self, node, *, start_node=None, end_node=None) -> _Record:
        return _Record(self, node, start_node, end_node)


class FastPositions(Mapping):
    """``node -> CodeRange`` like ``MetadataWrapper.resolve(PositionProvider)``, for one tree."""

    def __init__(self, module: cst.Module) -> None:
        self._module = module  # keeps the nodes, hence their ids, alive
        state = _OffsetState(module)
        module._codegen(state)
        self._ranges = state.ranges
        self._nodes: dict[int, cst.CSTNode] | None = None

    @property
    def ranges(self) -> dict[int, _Range]:
        """``id(node) -> (start line, start column, end line, end column)`` for every node."""
        return self._ranges

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self._ranges[id(node)]
        return CodeRange(CodePosition(found[0], found[1]), CodePosition(found[2], found[3]))

    def __contains__(self, node: object) -> bool:
        return id(node) in self._ranges

    def __len__(self) -> int:
        return len(self._ranges)

    def __iter__(self) -> Iterator[cst.CSTNode]:
        if self._nodes is None:
            import libcst as _cst

            nodes: dict[int, _cst.CSTNode] = {}
            pending: list[_cst.CSTNode] = [self._module]
            while pending:
                node = pending.pop()
                nodes[id(node)] = node
                pending.extend(node.children)
            self._nodes = nodes
        return (self._nodes[key] for key in self._ranges if key in self._nodes)


def resolve_positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    if shortcuts.enabled(shortcuts.FAST_POSITIONS):
        return FastPositions(module)
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
