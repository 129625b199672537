"""The baseline: ``libcst.parse_module`` of every file in a manifest, in this one process.

Run by bench/run.py as ``python bench/bare_parse.py MANIFEST``; the manifest lists one path per
line. Reading and decoding the files is included, as it is in hyperlint's own run.
"""
from __future__ import annotations

import sys
from pathlib import Path

import libcst


def main() -> int:
    paths = Path(sys.argv[1]).read_text("utf-8").splitlines()
    failed = 0
    for name in paths:
        data = Path(name).read_bytes()
        try:
            source: str | bytes = data.decode("utf-8")
        except UnicodeDecodeError:
            source = data  # libcst detects the declared encoding itself
        try:
            libcst.parse_module(source)
        except Exception:  # noqa: BLE001 - a file libcst cannot parse still counts as parsed
            failed += 1
    print(f"parsed {len(paths)} files ({failed} failed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
