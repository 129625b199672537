"""What CI formats say about a rule: its name, summary, documentation and link, for rule codes
and for the codes the engine itself reports (which have no Rule class)."""
from __future__ import annotations

from dataclasses import dataclass

from hyperlint.registry import ENGINE_CODES, all_rules, rule_by_code
from hyperlint.rule import DOCS_URL

_ENGINE_SUMMARIES = {
    "HL001": "The file could not be read, decoded or parsed, so nothing else in it was checked.",
    "HL002": "A `# noqa` directive suppresses nothing (unknown, disabled or unused codes).",
    "HL003": "Checking the file took longer than the per-file time budget.",
    "HL004": "hyperlint failed while checking the file; this is a bug in hyperlint, not in the code.",
}


@dataclass(frozen=True)
class RuleMeta:
    code: str
    name: str
    summary: str
    documentation: str
    url: str
    enabled_by_default: bool
    family: str


def rule_meta(code: str) -> RuleMeta:
    rule = rule_by_code(code)
    if rule is not None:
        return RuleMeta(rule.code, rule.name, rule.summary(), rule.documentation(), rule.url(),
                        rule.enabled_by_default, rule.family())
    summary = _ENGINE_SUMMARIES.get(code, code)
    return RuleMeta(code, ENGINE_CODES.get(code, code.lower()), summary, summary, DOCS_URL.format(code=code),
                    True, code[:3])


def all_rule_meta() -> list[RuleMeta]:
    codes = sorted(set(ENGINE_CODES) | {r.code for r in all_rules()})
    return [rule_meta(code) for code in codes]


def suggestion(finding) -> str:
    """The finding's suggested fix (every finding carries one; empty if it does not)."""
    return finding.fix.message if finding.fix is not None and finding.fix.message else ""
