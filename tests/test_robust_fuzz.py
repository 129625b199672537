"""Robustness (issue 8): property and fuzz tests. Real training scripts (examples/ and the dev set)
mutated line by line and character by character, and generated training code, must never make an
exception escape the engine or a rule crash (HL004); every automatic fix, alone, must leave code
that parses and touch nothing outside its own edits; fixing must reach a fixed point.

The budget is bounded (``max_examples``, no deadline); in CI the examples are derandomized so a
run is reproducible, and no example database is kept (what the fuzzing found is in FOUND below).
``HYPOTHESIS_PROFILE=fuzz-long FUZZ_EXAMPLES=3000`` explores much more."""
from __future__ import annotations

import ast
import os
import re
import warnings
from functools import lru_cache
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hyperlint.fixes import apply_edits, applicable, fix_text
from hyperlint.source import SourceText
from hyperlint.testing import make_linter

ROOT = Path(__file__).resolve().parents[1]
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("fuzz", max_examples=25, deadline=None, suppress_health_check=_HEALTH, database=None,
                          derandomize=bool(os.environ.get("CI")))
settings.register_profile("fuzz-long", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1500")), deadline=None,
                          suppress_health_check=_HEALTH, database=None)
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "")
FUZZ = settings.get_profile(_PROFILE if _PROFILE.startswith("fuzz") else "fuzz")


@lru_cache(maxsize=1)
def corpus() -> tuple[str, ...]:
    files = sorted((ROOT / "examples").rglob("*.py"))
    dev = ROOT.parent / "shared" / "eval" / "dev" / "files"
    if dev.is_dir():
        files += sorted(dev.rglob("*.py"))
    texts = tuple(path.read_text(encoding="utf-8") for path in files)
    assert texts, "no real code to mutate"
    return texts


@lru_cache(maxsize=1)
def linter():
    return make_linter(options={"per-file-timeout": 120})


def lint(text: str, name: str = "train.py"):
    return linter().lint_source(SourceText(text), name, Path(name))


def parses_with_cpython(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# --- strategies -------------------------------------------------------------------------------
SNIPPETS = ["(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "\n", "\r\n", "\r", " ", "    ", "\t", "\\", "#",
            "'", '"', '"""', "f'", "0.1", "lr=", "1e-3", "lambda", "yield", "await ", "async ", "match ", "case ",
            "*", "**", "@", ";", "\x0c", "\ufeff", "é", "\u2028", "noqa", "# noqa: HL101", "# hyperlint: noqa",
            "del ", "global x", "nonlocal x", "return", "if x:", "else:", "try:", "except:", "with x:", "for x in y:"]


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(corpus()))
    for _ in range(draw(st.integers(1, 6))):
        lines = text.splitlines(keepends=True) or [""]
        kind = draw(st.sampled_from(["delete_line", "duplicate_line", "swap_lines", "delete_chars", "insert",
                                     "indent", "dedent", "number", "truncate"]))
        row = draw(st.integers(0, len(lines) - 1))
        if kind == "delete_line":
            del lines[row]
        elif kind == "duplicate_line":
            lines.insert(row, lines[row])
        elif kind == "swap_lines" and row + 1 < len(lines):
            lines[row], lines[row + 1] = lines[row + 1], lines[row]
        elif kind == "indent":
            lines[row] = draw(st.sampled_from(["    ", "\t", " "])) + lines[row]
        elif kind == "dedent":
            lines[row] = lines[row].lstrip(" \t")
        text = "".join(lines)
        if kind in ("delete_chars", "insert", "number", "truncate") and text:
            at = draw(st.integers(0, len(text)))
            if kind == "delete_chars":
                text = text[:at] + text[at + draw(st.integers(1, 12)):]
            elif kind == "insert":
                text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[at:]
            elif kind == "number":
                numbers = list(re.finditer(r"\b\d+(\.\d+)?(e-?\d+)?\b", text))
                if numbers:
                    match = draw(st.sampled_from(numbers))
                    replacement = draw(st.sampled_from(["0", "1", "0.0", "-1", "1e9", "10**10", "True", "x", "(1)"]))
                    text = text[: match.start()] + replacement + text[match.end():]
            else:
                text = text[:at]
    return text


NAME = st.sampled_from(["model", "net", "opt", "optimizer", "args", "cfg", "config", "lr", "p", "x", "batch",
                        "loss", "epoch", "step", "params", "sd", "clf", "trainer", "state", "self.lr", "hparams"])
VALUE = st.one_of(
    st.integers(-3, 100_000).map(str),
    st.floats(1e-7, 10, allow_nan=False).map(repr),
    st.sampled_from(["True", "None", "'adam'", "1e-3", "3e-4", "0.9", "(0.9, 0.999)", "args.lr", "cfg.lr",
                     "2 ** 10", "-0.5", "[0.1, 0.2]", "{'lr': 0.1}", "lr * 0.1", "int(1e4)", "...", "f'{x}'"]),
)
SIMPLE = [
    "import torch", "import torch.nn as nn", "from torch import optim", "from torch.optim import Adam as A",
    "import numpy as np", "from sklearn.linear_model import LogisticRegression", "import argparse", "import wandb",
    "from omegaconf import OmegaConf", "import xgboost as xgb", "import tensorflow as tf", "import optax",
    "import lightning as L", "from transformers import TrainingArguments, Trainer",
    "{n} = {v}", "{n} = torch.optim.SGD(model.parameters(), lr={v}, momentum={v})",
    "{n} = optim.Adam(model.parameters(), lr={m})", "{n} = A(net.parameters(), {v})",
    "{n} = torch.optim.lr_scheduler.StepLR(opt, step_size={v}, gamma={v})",
    "{n}.data = {n}.data * {v}", "{n}.data.mul_({v})", "{n}.add_({m}, alpha={v})", "model.weight[0] = {v}",
    "optimizer.param_groups[0]['lr'] = {v}", "optimizer.param_groups[0]['lr'] *= {v}", "g['lr'] = {v}",
    "parser = argparse.ArgumentParser()", "parser.add_argument('--lr', type=float, default={v})",
    "args = parser.parse_args()", "{n}.lr = {v}", "setattr({n}, 'lr', {v})", "{n}['lr'] = {v}",
    "wandb.config.lr = {v}", "wandb.config.update({{'lr': {v}}})", "cfg = OmegaConf.load('c.yaml')",
    "loss.backward()", "optimizer.step()", "opt.step()", "optimizer.zero_grad()", "loss = model(batch).sum()",
    "clf = LogisticRegression(C={v}, max_iter={v})", "clf.coef_ = {v}", "clf.fit(X, y)",
    "params = {{'eta': {v}, 'max_depth': {v}}}", "bst = xgb.train(params, dtrain, num_boost_round={v})",
    "sd = model.state_dict()", "sd['weight'] = sd['weight'] * {v}", "model.load_state_dict(sd)",
    "{n}.assign({v})", "model.set_weights({v})", "tx = optax.adam({v})",
    "trainer = L.Trainer(max_epochs={v})", "targs = TrainingArguments('out', learning_rate={v})",
    "x = {n} if {n} else {v}  # noqa: HL101", "y = {v}  # noqa", "z = {v}  # noqa: HL999, HL101",
    "del {n}", "{n} += {v}", "{n}, {m} = {v}, {v}", "print(f'{{{n}}} {{{m}!r:>{{10}}}}')", "pass",
    "{n} = lambda x={v}: x * {v}", "{n} = [{v} for _ in range({v})]", "({n} := {v})", "{n}: float = {v}",
    "exec(open('cfg.py').read())", "globals().update(vars(args))", "model.apply(init_weights)",
]
COMPOUND = [
    "def train({n}={v}, *args, **kwargs):", "async def step({n}):", "for epoch in range({v}):",
    "for batch in loader:", "for p in model.parameters():", "for g in optimizer.param_groups:",
    "while {n} < {v}:", "if {n}:", "with torch.no_grad():", "class Model(nn.Module):",
    "class Config:", "class Callback(L.Callback):", "try:", "match {n}:",
]


@st.composite
def block(draw, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 6 if depth else 12))):
        fill = {"n": draw(NAME), "m": draw(NAME), "v": draw(VALUE)}
        if depth < 4 and draw(st.integers(0, 3)) == 0:
            header = draw(st.sampled_from(COMPOUND)).format(**fill)
            if header.startswith("class Config"):
                lines.append("@dataclass")
            inner = draw(block(depth + 1))
            if header.startswith("match"):
                lines += [header, f"    case {fill['v']} | None:"] + ["        " + line for line in inner]
                continue
            lines += [header] + ["    " + line for line in inner]
            if header == "try:":
                lines += ["except Exception:", "    pass"]
        else:
            lines.append(draw(st.sampled_from(SIMPLE)).format(**fill))
    return lines


@st.composite
def generated(draw) -> str:
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return newline.join(["import torch", "from dataclasses import dataclass", *draw(block())]) + newline


# --- properties -------------------------------------------------------------------------------
def check_findings(text: str):
    result = lint(text)
    internal = [f.message for f in result.findings if f.code == "HL004"]
    assert not internal, f"a rule crashed (HL004): {internal}"
    rows = len(SourceText(text).line_starts)
    for finding in result.findings:
        assert re.fullmatch(r"HL\d{3}", finding.code)
        assert 1 <= finding.start.row <= rows and 1 <= finding.end.row <= rows, finding
        assert finding.start <= finding.end and 0 <= finding.start_offset <= finding.end_offset <= len(text)
        assert finding.fix is not None and finding.fix.message
    return result


def check_each_fix(text: str, findings) -> None:
    """Each automatic fix, applied alone: edits inside the text and apart, nothing changed outside
    them, code that still parses (with CPython too, if it did before), line endings kept."""
    cpython_before = parses_with_cpython(text)
    crlf_only = "\r\n" in text and "\n" not in text.replace("\r\n", "")
    for finding in findings:
        if not applicable(finding, unsafe=True):
            continue
        edits = sorted(finding.fix.edits, key=lambda e: (e.start, e.end))
        for edit in edits:
            assert 0 <= edit.start <= edit.end <= len(text), (finding.code, edit)
        for first, second in zip(edits, edits[1:]):
            assert first.end <= second.start, f"{finding.code}: overlapping edits {first} {second}"
        fixed, accepted = apply_edits(text, [finding])
        assert accepted == [finding]
        low, high = edits[0].start, edits[-1].end
        assert fixed[:low] == text[:low], f"{finding.code} changed text before its edits"
        assert fixed[len(fixed) - (len(text) - high):] == text[high:], f"{finding.code} changed text after its edits"
        try:
            cst.parse_module(fixed)
        except cst.ParserSyntaxError as exc:
            raise AssertionError(f"{finding.code} fix breaks the code: {exc.message}\n--- fixed:\n{fixed}") from None
        if cpython_before:
            assert parses_with_cpython(fixed), f"{finding.code} fix makes code Python cannot compile:\n{fixed}"
        if crlf_only:
            assert "\n" not in fixed.replace("\r\n", ""), f"{finding.code} fix mixes line endings"


def check_fixed_point(text: str) -> None:
    outcome = fix_text(text, lambda t: lint(t).findings, unsafe=True)
    assert outcome.error is None, outcome.error
    if outcome.changed:
        cst.parse_module(outcome.text)
        again = fix_text(outcome.text, lambda t: lint(t).findings, unsafe=True)
        assert not again.changed, f"fixing is not at a fixed point: a second run fixed {dict(again.fixed)}"


@FUZZ
@given(mutated())
def test_mutated_real_code_never_crashes(text):
    result = check_findings(text)
    check_each_fix(text, result.findings)


@FUZZ
@given(generated())
def test_generated_training_code_never_crashes_and_fixes_are_sound(text):
    result = check_findings(text)
    check_each_fix(text, result.findings)


@FUZZ
@given(st.one_of(generated(), mutated()))
def test_fixing_reaches_a_fixed_point(text):
    check_fixed_point(text)


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data):
    result = linter().lint_bytes(data, "noise.py", Path("noise.py"))
    assert all(f.code in ("HL001", "HL002", "HL003") or f.code[2] in "123" for f in result.findings)
    assert not [f for f in result.findings if f.code == "HL004"]


@pytest.mark.parametrize("text", corpus(), ids=lambda t: str(len(t)))
def test_every_real_file_is_clean_of_internal_errors_and_its_fixes_are_sound(text):
    result = check_findings(text)
    check_each_fix(text, result.findings)


# inputs the fuzzing found; each stays as a regression test
FOUND = {
    # HL201's fix indented `with torch.no_grad():` from the IndentedBlocks above the statement and
    # missed a `match` statement's own indentation: the statement moved out of its function
    "hl201-in-match-case": (
        "import torch\n"
        "def train(model=0):\n"
        "    match model:\n"
        "        case 0 | None:\n"
        "            def inner(model=0):\n"
        "                for p in model.parameters():\n"
        "                    pass\n"
        "                p.data.mul_(0)\n"
        "                return p\n"
    ),
}


KNOWN_BUGS: dict[str, str] = {}  # name -> why it still fails (an xfail until the rule is fixed)


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_BUGS[name]))
                                  if name in KNOWN_BUGS else name for name in sorted(FOUND)])
def test_inputs_the_fuzzing_found(name):
    text = FOUND[name]
    result = check_findings(text)
    check_each_fix(text, result.findings)
    check_fixed_point(text)
