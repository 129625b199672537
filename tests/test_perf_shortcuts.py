"""The engine's shortcuts change nothing: positions, the unvalidated parse, the prefilter."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider
from perf_support import findings_json, write_project

from hyperlint import incremental, prefilter, shortcuts
from hyperlint.parsing import parse_module
from hyperlint.positions import FastPositions, resolve_positions
from hyperlint.rule import Rule
from hyperlint.testing import make_linter

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO.parent / "shared" / "eval" / "dev" / "files"

TRICKY = [
    "x = 1",  # no trailing newline
    "x = (\n    1 +  # comment\n    2\n)\n",
    "@decorator(arg)\n@other\nasync def f(a, /, b=2, *c, d, **e) -> int:\n    '''doc'''\n    return await g(a)\n",
    "class A(B, metaclass=M):\n\n    x: int = 3\n    def m(self): pass\n",
    "try:\n    pass\nexcept (A, B) as e:\n    raise\nelse:\n    x = 1\nfinally:\n    y = 2\n",
    "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\n",
    "for i in range(3):\n    continue\nelse:\n    pass\nwhile x: break\n",
    "with open(p) as f, ctx() as (a, b):\n    data = [i for i in f if i]\n",
    "match command:\n    case [x, y, *rest] if x:\n        pass\n    case {'k': v}:\n        pass\n",
    "x = 1\r\ny = f'{x!r:>{width}}'\r\n",
    "x = 1\ry = 2\r",
    "\ufeffx = 'é' \\\n    + 'ü'\n",
    "x = 1\x0c\ny = lambda a, *, b=1: (a, b)\n",
    "import a.b as c, d\nfrom .e import (f as g, h)\nfrom . import *\n",
    "def f():\n    global x\n    nonlocal_ = 1\n    del x[0], y.z\n    assert x, 'msg'\n    yield from g()\n",
]


def _same_positions(code: str) -> None:
    module = cst.parse_module(code)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    fast = FastPositions(module)
    assert len(fast) == len(expected)
    for node, code_range in expected.items():
        assert node in fast
        assert fast[node] == code_range, (type(node).__name__, code_range, fast[node])


@pytest.mark.parametrize("code", TRICKY, ids=range(len(TRICKY)))
def test_fast_positions_equal_libcst_positions(code):
    _same_positions(code)


def test_fast_positions_equal_libcst_positions_on_real_files():
    files = sorted((REPO / "linter").glob("*.py"))[:12] + sorted(DEV_SET.glob("*.py"))[:12]
    for path in files:
        _same_positions(path.read_text("utf-8"))


def test_positions_come_from_libcst_with_the_shortcut_off(monkeypatch):
    module = cst.parse_module("x = 1\n")
    assert isinstance(resolve_positions(module), FastPositions)
    monkeypatch.setenv(shortcuts.ENVIRONMENT_VARIABLE, "fast-positions")
    assert not isinstance(resolve_positions(module), FastPositions)
    monkeypatch.setenv(shortcuts.ENVIRONMENT_VARIABLE, "all")
    assert not shortcuts.enabled(shortcuts.PREFILTER)


@pytest.mark.parametrize("code", TRICKY, ids=range(len(TRICKY)))
def test_unvalidated_parse_builds_the_same_tree(code):
    assert parse_module(code).deep_equals(cst.parse_module(code))


def test_light_constructors_take_exactly_libcst_parameters_and_defaults():
    import dataclasses
    import inspect

    from hyperlint.parsing import _light_constructors

    constructors = _light_constructors()
    assert len(constructors) > 200  # every concrete node class
    for cls, original, light in constructors:
        expected, got = inspect.signature(original).parameters, inspect.signature(light).parameters
        assert list(expected) == list(got), cls.__name__
        for name, parameter in expected.items():
            if parameter.default is dataclasses._HAS_DEFAULT_FACTORY:
                assert got[name].default is dataclasses.MISSING, (cls.__name__, name)
            else:
                assert got[name].default is parameter.default, (cls.__name__, name)


def _validated_nodes_while_parsing(code: str) -> int:
    base = cst._nodes.base.CSTNode
    real = base.__dict__["__post_init__"]
    seen = []

    def spy(self):
        seen.append(type(self))
        return real(self)

    base.__post_init__ = spy
    try:
        parse_module(code)
    finally:
        base.__post_init__ = real
    return len(seen)


def test_validation_is_skipped_only_inside_a_single_threaded_parse():
    assert _validated_nodes_while_parsing("x = 1\n") == 0
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")  # validation is back after the parse
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert _validated_nodes_while_parsing("x = 1\n") > 0  # another thread might build nodes
    finally:
        release.set()
        other.join()


# --- the prefilter --------------------------------------------------------------------------
class _Frobnicate(Rule):
    """A test rule: every call of ``frobnicate``."""

    code = "HL999"
    name = "frobnicate"
    trigger_words = ("frobnicate",)

    def visit_Call(self, node):
        if isinstance(node.func, cst.Name) and node.func.value == "frobnicate":
            self.report(node, "frobnicate called", "do not")


class _Anywhere(_Frobnicate):
    trigger_words = None


def _linter(*rules):
    linter = make_linter(["HL001", "HL002"])
    linter.rules = list(rules)
    linter.enabled = set(linter.enabled) | {r.code for r in rules}
    return linter


def _count_parses(monkeypatch) -> list:
    calls = []

    def counting(text):
        calls.append(text)
        return parse_module(text)

    monkeypatch.setattr(incremental, "parse_module", counting)  # the engine parses through it
    return calls


def test_a_file_without_trigger_words_is_not_parsed(monkeypatch):
    parses = _count_parses(monkeypatch)
    linter = _linter(_Frobnicate)
    assert linter.lint_text("x = compute(1)\n", "a.py").findings == []
    assert parses == []
    found = linter.lint_text("frobnicate(1)\n", "a.py").findings
    assert [f.code for f in found] == ["HL999"] and len(parses) == 1


def test_the_prefilter_keeps_syntax_errors_and_noqa_comments(monkeypatch):
    linter = _linter(_Frobnicate)
    assert [f.code for f in linter.lint_text("def f(:\n", "a.py").findings] == ["HL001"]
    assert [f.code for f in linter.lint_text("x = 1  # noqa: HL999\n", "a.py").findings] == ["HL002"]


def test_a_rule_without_trigger_words_always_runs(monkeypatch):
    parses = _count_parses(monkeypatch)
    linter = _linter(_Frobnicate, _Anywhere)
    assert linter.lint_text("x = 1\n", "a.py").findings == []
    assert len(parses) == 1


def test_the_prefilter_switched_off_parses_everything(monkeypatch):
    parses = _count_parses(monkeypatch)
    monkeypatch.setenv(shortcuts.ENVIRONMENT_VARIABLE, "prefilter")
    assert _linter(_Frobnicate).lint_text("x = 1\n", "a.py").findings == []
    assert len(parses) == 1


def test_catalogue_and_keyword_triggers():
    catalogue = make_linter().catalogue
    words = prefilter.words_of
    assert prefilter.CATALOGUED_CALLABLE.matches(words("from torch.optim import Adam as A\nA(p)"), catalogue)
    assert prefilter.CATALOGUED_CALLABLE.matches(words("from sklearn.ensemble import RandomForestRegressor"), catalogue)
    assert not prefilter.CATALOGUED_CALLABLE.matches(words("import os\nos.path.join(a, b)\n"), catalogue)
    assert prefilter.HYPERPARAMETER_KEYWORD.matches(words("run(model, eval_batch_size=8)"), catalogue)
    assert prefilter.HYPERPARAMETER_KEYWORD.matches(words("fit(lr=1)"), catalogue)
    assert not prefilter.HYPERPARAMETER_KEYWORD.matches(words("print(total)"), catalogue)


def test_every_shortcut_off_gives_the_same_findings(tmp_path):
    project = write_project(tmp_path / "p", files=3, filler=3)
    for source in sorted(DEV_SET.glob("*.py"))[:20] + sorted((REPO / "examples").glob("*.py")):
        shutil.copy(source, project / f"dev_{source.name}")
    with_shortcuts = findings_json("--no-cache", cwd=project)
    assert with_shortcuts
    without = findings_json("--no-cache", "--no-shortcuts", cwd=project)
    assert json.dumps(with_shortcuts, sort_keys=True) == json.dumps(without, sort_keys=True)
    for name in shortcuts.NAMES:
        one_off = findings_json("--no-cache", cwd=project, env={shortcuts.ENVIRONMENT_VARIABLE: name})
        assert one_off == with_shortcuts, name
