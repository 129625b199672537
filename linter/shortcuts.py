"""Switches for the engine's shortcuts.

Each shortcut skips work on an assumption (a rule's declared trigger words, libcst's parser
producing valid nodes, our position arithmetic matching libcst's). They are on by default; the
bench (bench/run.py) runs the whole corpus with each one off and fails on any difference in the
findings. ``HYPERLINT_NO_SHORTCUTS=all`` (or a comma-separated list of names) turns them off.
"""
from __future__ import annotations

import os

PREFILTER = "prefilter"  # skip a file none of whose enabled rules can report (Rule.trigger_words)
FAST_POSITIONS = "fast-positions"  # positions from one light codegen pass, not PositionProvider
UNVALIDATED_PARSE = "unvalidated-parse"  # light, non-validating node constructors during the parse
# editors only: re-parse the top-level statements an edit touched, not the whole buffer
INCREMENTAL_PARSE = "incremental-parse"
NAMES = (PREFILTER, FAST_POSITIONS, UNVALIDATED_PARSE, INCREMENTAL_PARSE)
EDITOR_ONLY = (INCREMENTAL_PARSE,)  # no effect on a `hyperlint check` run
ENVIRONMENT_VARIABLE = "HYPERLINT_NO_SHORTCUTS"

_parsed: dict[str, frozenset[str]] = {}


def disabled_names() -> frozenset[str]:
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    found = _parsed.get(value)
    if found is None:
        parts = {p.strip().lower() for p in value.split(",") if p.strip()}
        found = _parsed[value] = frozenset(NAMES) if parts & {"all", "1", "true", "yes"} else frozenset(parts)
    return found


def enabled(name: str) -> bool:
    return name not in disabled_names()
