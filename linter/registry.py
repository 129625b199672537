"""Finding the rules and choosing which run (Ruff's select / ignore / extend-select)."""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Iterable

from hyperlint.rule import Rule

# codes the engine itself reports
ENGINE_CODES = {
    "HL001": "parse-error",
    "HL002": "unused-noqa",
    "HL003": "file-timeout",
    "HL004": "internal-error",
}
# a file that could not be read, parsed, checked in time or checked at all is reported whatever the
# selection (like Ruff's syntax errors); only an explicit --ignore of the code silences it
ALWAYS_REPORTED = ("HL001", "HL003", "HL004")


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    import hyperlint.rules as package

    found: dict[str, type[Rule]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"hyperlint.rules.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and getattr(value, "code", None):
                if value.__module__ != module.__name__:
                    continue
                if value.code in found and found[value.code] is not value:
                    raise RuntimeError(f"two rules share the code {value.code}")
                found[value.code] = value
    return tuple(sorted(found.values(), key=lambda r: r.code))


def rule_by_code(code: str) -> type[Rule] | None:
    for rule in all_rules():
        if rule.code == code.upper() or rule.name == code:
            return rule
    return None


def known_codes() -> set[str]:
    return {r.code for r in all_rules()} | set(ENGINE_CODES)


def _matches(code: str, selector: str) -> bool:
    selector = selector.upper()
    return selector == "ALL" or code.startswith(selector)


def validate_selectors(selectors: Iterable[str]) -> list[str]:
    """Selectors that match no known code (to report as errors)."""
    codes = known_codes()
    return [s for s in selectors if not any(_matches(c, s) for c in codes)]


def select_codes(select: Iterable[str], ignore: Iterable[str], extend_select: Iterable[str] = ()) -> set[str]:
    """The codes that run. A rule that is off by default runs only when named by its full code."""
    select = list(select)
    enabled: set[str] = set()
    for rule in all_rules():
        selectors = [s for s in (select or []) + list(extend_select)]
        if select:
            chosen = any(_matches(rule.code, s) for s in selectors)
        else:
            chosen = rule.enabled_by_default or any(_matches(rule.code, s) for s in extend_select)
        if chosen and not rule.enabled_by_default:
            chosen = any(s.upper() == rule.code for s in selectors)
        if chosen:
            enabled.add(rule.code)
    for code in ENGINE_CODES:
        if not select or any(_matches(code, s) for s in select + list(extend_select)) or code in ALWAYS_REPORTED:
            enabled.add(code)
    for code in list(enabled):
        # more specific ignore beats less specific select, like Ruff
        for selector in ignore:
            if _matches(code, selector):
                enabled.discard(code)
    return enabled
