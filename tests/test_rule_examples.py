"""Every rule's own VALID/INVALID examples (the ones `hyperlint rule CODE` documents) hold."""
import pytest

from hyperlint.registry import all_rules
from hyperlint.testing import check_examples

RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_examples(rule):
    assert rule.VALID and rule.INVALID, f"{rule.code} needs VALID and INVALID examples"
    check_examples(rule)


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_documentation_has_ruff_sections(rule):
    doc = rule.documentation()
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert section in doc, f"{rule.code} docstring lacks {section!r}"
    assert rule.name and rule.name == rule.name.lower() and " " not in rule.name
