"""Equivalence of two shortcuts, node by node, for every ``step``-th file of a manifest: the tree
built with light constructors (parsing.py) must equal libcst's own (``deep_equals``), and the
position of every node from hyperlint's light codegen pass (positions.py) must equal libcst's
``PositionProvider``. Run by bench/run.py; prints one JSON line, exit 1 on any difference. (The
findings comparison alone covers only the nodes that get reported.)
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import libcst
from libcst.metadata import MetadataWrapper, PositionProvider

from hyperlint.parsing import parse_module
from hyperlint.positions import FastPositions


def main() -> int:
    paths = Path(sys.argv[1]).read_text("utf-8").splitlines()[:: int(sys.argv[2])]
    files = nodes = 0
    differences: list[str] = []
    for name in paths:
        try:
            text = Path(name).read_bytes().decode("utf-8")
            module = libcst.parse_module(text)
        except Exception:  # noqa: BLE001 - not parsable: nothing to compare
            continue
        if not parse_module(text).deep_equals(module):
            differences.append(f"{name}: the light constructors built a different tree")
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        fast = FastPositions(module)
        files += 1
        if len(fast) != len(expected):
            differences.append(f"{name}: {len(fast)} ranges, libcst has {len(expected)}")
        for node, code_range in expected.items():
            nodes += 1
            if node not in fast or fast[node] != code_range:
                differences.append(f"{name}: {type(node).__name__} at {code_range}")
    print(json.dumps({"files": files, "nodes": nodes, "differences": len(differences), "examples": differences[:5]}))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
