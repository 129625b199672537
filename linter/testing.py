"""Helpers for testing rules: lint a snippet, apply its fixes, run a rule's own examples."""
from __future__ import annotations

import textwrap
from pathlib import Path

from hyperlint.engine import Linter
from hyperlint.finding import Finding
from hyperlint.fixes import fix_text
from hyperlint.registry import select_codes
from hyperlint.rule import Invalid, Rule, Valid
from hyperlint.settings import Settings, parse_table


def make_settings(options: dict | None = None, root: Path | None = None) -> Settings:
    return parse_table(dict(options or {}), "<test>", root or Path.cwd(), None)


def make_linter(select: list[str] | tuple[str, ...] = (), options: dict | None = None, ignore=()) -> Linter:
    settings = make_settings(options)
    select = tuple(select) or settings.select
    return Linter(settings, select_codes(select, tuple(settings.ignore) + tuple(ignore), settings.extend_select))


def lint(code: str, select=(), options: dict | None = None, path: str = "train.py") -> list[Finding]:
    """Findings for ``code`` (dedented), as if it were the file ``path``."""
    linter = make_linter(select, options)
    return linter.lint_text(textwrap.dedent(code), path, Path(path)).findings


def fix(code: str, select=(), options: dict | None = None, unsafe: bool = False, path: str = "train.py") -> str:
    linter = make_linter(select, options)

    def run(text: str) -> list[Finding]:
        return linter.lint_text(text, path, Path(path)).findings

    return fix_text(textwrap.dedent(code), run, unsafe).text


def check_examples(rule: type[Rule]) -> None:
    """Every VALID example is clean for the rule; every INVALID one is reported (and fixed as shown)."""
    for example in rule.VALID:
        example = example if isinstance(example, Valid) else Valid(example)
        options = _options(rule, example)
        found = [f for f in lint(example.code, [rule.code], options, example.path) if f.code == rule.code]
        assert not found, f"{rule.code} VALID example reported:\n{example.code}\n{found}"
    for example in rule.INVALID:
        example = example if isinstance(example, Invalid) else Invalid(example)
        options = _options(rule, example)
        found = [f for f in lint(example.code, [rule.code], options, example.path) if f.code == rule.code]
        assert found, f"{rule.code} INVALID example not reported:\n{example.code}"
        for finding in found:
            assert finding.fix is not None and finding.fix.message, f"{rule.code} finding without a suggested fix"
        if example.fixed is not None:
            fixed = fix(example.code, [rule.code], options, unsafe=example.unsafe, path=example.path)
            expected = textwrap.dedent(example.fixed)
            assert fixed == expected, f"{rule.code} fix of\n{example.code}\ngave\n{fixed}\nexpected\n{expected}"


def _options(rule: type[Rule], example: Valid | Invalid) -> dict:
    options = dict(example.settings)
    if example.options:
        options["rules"] = {rule.code: example.options}
    return options
