"""``libcst.parse_module`` without re-validating what the parser built.

Every libcst node validates itself on construction (``CSTNode.__post_init__``); that is there for
trees built by hand, and libcst's own comment on it says it could be skipped when parsing. It is
about a tenth of the parse. The check is switched off only around the parse, and only while this
is the process's one thread (so a language-server thread building nodes is never affected).
``HYPERLINT_NO_SHORTCUTS=unvalidated-parse`` keeps libcst's validation.
"""
from __future__ import annotations

import threading

import libcst as cst
from libcst._nodes.base import CSTNode

from hyperlint import shortcuts


def _skip_validation(self) -> None:
    return None


def parse_module(text: str) -> cst.Module:
    if not shortcuts.enabled(shortcuts.UNVALIDATED_PARSE) or threading.active_count() != 1:
        return cst.parse_module(text)
    original = CSTNode.__dict__["__post_init__"]
    CSTNode.__post_init__ = _skip_validation
    try:
        return cst.parse_module(text)
    finally:
        CSTNode.__post_init__ = original
