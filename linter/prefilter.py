"""Skip what cannot report: rules whose trigger words a file lacks, and files no rule can report in.

A rule may declare ``trigger_words``: words of which a file must contain at least one (as an
identifier, attribute or keyword name, or inside a string or comment) for the rule to report
anything in it. Items are plain words or one of the triggers below, which read the engine's own
data (the catalogue) so they follow it when it grows or is extended from the configuration.
``None`` (the default) claims nothing: the rule always runs.

The engine runs only the rules that may report in a file, and does not even build the libcst
tree of a file in which none may report and no ``noqa`` comment could be unused, once CPython's
own parser (a tenth of libcst's cost) has accepted it, so syntax errors are still reported.
A wrong claim loses findings: bench/run.py compares the whole corpus with this shortcut on and
off (``HYPERLINT_NO_SHORTCUTS=prefilter``), and every rule's INVALID examples run through it.
"""
from __future__ import annotations

import ast
import fnmatch
import re
import warnings
from typing import TYPE_CHECKING, Iterable

from hyperlint import shortcuts

if TYPE_CHECKING:
    from hyperlint.catalogue import Catalogue
    from hyperlint.rule import Rule

_WORD = re.compile(r"[^\W\d]\w*")


def words_of(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text))


class Trigger:
    """A set of words computed from the engine's data; ``matches`` answers for one file."""

    name = "trigger"

    def matches(self, words: frozenset[str], catalogue: "Catalogue") -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.name


class _CataloguedCallable(Trigger):
    """The file names a callable of the hyperparameter catalogue (the last part of its name, an
    alias's or a ``*Regressor`` twin's), or one the configuration adds."""

    name = "CATALOGUED_CALLABLE"

    def __init__(self) -> None:
        self._memo: dict[int, tuple[object, frozenset[str] | None, tuple]] = {}

    def _words(self, catalogue: "Catalogue") -> tuple[frozenset[str] | None, tuple]:
        memo = self._memo.get(id(catalogue))
        if memo is not None and memo[0] is catalogue:
            return memo[1], memo[2]
        names = set(catalogue.slots) | set(getattr(catalogue, "name_aliases", {}))
        names |= set(getattr(catalogue, "params_dict_callables", {}))
        last = {name.rsplit(".", 1)[-1] for name in names}
        # an alias that rewrites part of the last name component would defeat the word test
        rewrites = any(
            prefix.rsplit(".", 1)[-1] != replacement.rsplit(".", 1)[-1]
            for prefix, replacement in getattr(catalogue, "prefix_aliases", ())
        )
        twins = tuple(getattr(catalogue, "twins", ()))
        found: frozenset[str] | None = None if rewrites else frozenset(last)
        self._memo[id(catalogue)] = (catalogue, found, twins)
        return found, twins

    def matches(self, words: frozenset[str], catalogue: "Catalogue") -> bool:
        last, twins = self._words(catalogue)
        if last is None:
            return True
        if not last.isdisjoint(words):
            return True
        for twin, original in twins:
            for word in words:
                if word.endswith(twin) and word[: -len(twin)] + original in last:
                    return True
        return False


class _HyperparameterKeyword(Trigger):
    """The file contains a word the catalogue calls a hyperparameter keyword (``lr``,
    ``batch_size``, ``*_batch_size``, ...)."""

    name = "HYPERPARAMETER_KEYWORD"

    def __init__(self) -> None:
        self._memo: dict[int, tuple[object, frozenset[str] | None, re.Pattern | None]] = {}

    def matches(self, words: frozenset[str], catalogue: "Catalogue") -> bool:
        memo = self._memo.get(id(catalogue))
        if memo is None or memo[0] is not catalogue:
            exact = getattr(catalogue, "_keyword_exact", None)
            patterns = getattr(catalogue, "_keyword_patterns", None)
            if exact is None or patterns is None:
                memo = (catalogue, None, None)
            else:
                combined = "|".join(fnmatch.translate(p) for p in patterns)
                memo = (catalogue, frozenset(exact), re.compile(combined) if combined else None)
            self._memo[id(catalogue)] = memo
        _, exact, pattern = memo
        if exact is None:  # the catalogue changed shape: ask it word by word
            return any(catalogue.is_hyperparameter_keyword(w) for w in words)
        if not exact.isdisjoint(words):
            return True
        return pattern is not None and any(pattern.match(w) for w in words)


CATALOGUED_CALLABLE = _CataloguedCallable()
HYPERPARAMETER_KEYWORD = _HyperparameterKeyword()


def may_report(rule: type["Rule"], words: frozenset[str], catalogue: "Catalogue") -> bool:
    triggers = getattr(rule, "trigger_words", None)
    if triggers is None:
        return True
    for trigger in triggers:
        if isinstance(trigger, str):
            if trigger in words:
                return True
        elif trigger.matches(words, catalogue):
            return True
    return False


def rules_for(rules: Iterable[type["Rule"]], text: str, catalogue: "Catalogue") -> list[type["Rule"]]:
    """The rules that may report in ``text`` (all of them with the shortcut off)."""
    rules = list(rules)
    if not shortcuts.enabled(shortcuts.PREFILTER) or all(getattr(r, "trigger_words", None) is None for r in rules):
        return rules
    words = words_of(text)
    return [r for r in rules if may_report(r, words, catalogue)]


def nothing_to_check(rules: Iterable[type["Rule"]], text: str, catalogue: "Catalogue") -> bool:
    """No rule may report in ``text``, no ``noqa`` comment there can be unused, and CPython
    parses it (so no HL001 is lost): the file need not be parsed by libcst at all."""
    if not shortcuts.enabled(shortcuts.PREFILTER) or rules_for(rules, text, catalogue):
        return False
    return _may_skip(text)


def _may_skip(text: str) -> bool:
    if "noqa" in text.lower():
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<hyperlint>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True
