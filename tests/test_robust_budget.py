"""Robustness (issue 8): the per-file time budget (HL003), the guard around libcst's native parser,
the deep-stack retry, and internal errors (HL004, exit 2)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import hyperlint.parse_guard as guard
from hyperlint.budget import FileTimeout, check_budget, current_budget, time_budget
from hyperlint.rule import Rule
from hyperlint.testing import make_linter

TRAIN = "import torch\noptimizer = torch.optim.SGD([], lr=0.1)\n"
posix_only = pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGPROF"), reason="POSIX only")


# --- the budget itself ------------------------------------------------------------------------
@posix_only
def test_budget_interrupts_python_code_and_restores_the_timer_handler():
    before = signal.getsignal(signal.SIGPROF)
    with pytest.raises(FileTimeout):
        with time_budget(0.2):
            while True:
                pass
    assert signal.getsignal(signal.SIGPROF) is before
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    assert current_budget() is None


@posix_only
def test_a_timer_armed_by_someone_else_is_given_back():
    fired = []
    previous = signal.signal(signal.SIGPROF, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_PROF, 5.0)
        with time_budget(1.0):
            pass
        left, _ = signal.getitimer(signal.ITIMER_PROF)
        assert 3.0 < left <= 5.1  # (timer granularity)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def test_nested_budgets_run_under_the_outer_one():
    with time_budget(30) as outer:
        with time_budget(0.001) as inner:
            assert inner is outer
            end = time.process_time() + 0.01
            while time.process_time() < end:
                pass
            check_budget()  # the outer budget has not run out


def test_waiting_is_not_spending_the_budget():
    with time_budget(0.05):
        time.sleep(0.2)  # a loaded machine: wall-clock time passes, this file's CPU time does not
        check_budget()


def test_check_budget_in_a_thread_without_a_timer():
    errors = []

    def work():
        with time_budget(0.05):
            end = time.process_time() + 0.1
            while time.process_time() < end:  # the budget is CPU time: spend some
                pass
            try:
                check_budget()
            except FileTimeout:
                errors.append("timeout")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == ["timeout"]


# --- a rule that never ends, a rule that crashes ------------------------------------------------
class _Endless(Rule):
    code = "HL998"
    name = "endless"

    def visit_Call(self, node):
        while True:
            pass


class _Crashing(Rule):
    code = "HL997"
    name = "crashing"

    def visit_Call(self, node):
        raise ZeroDivisionError("a rule bug")


def _linter_with(rule, **options):
    linter = make_linter(options=options or None)
    linter.rules = [*linter.rules, rule]
    linter.enabled = {*linter.enabled, rule.code}
    return linter


@posix_only
def test_a_rule_that_never_ends_costs_its_file_an_hl003_and_nothing_else():
    linter = _linter_with(_Endless, **{"per-file-timeout": 0.5})
    result = linter.lint_text(TRAIN, "slow.py", Path("slow.py"))
    assert [f.code for f in result.findings] == ["HL003"]
    assert "per-file-timeout" in result.findings[0].message
    after = make_linter().lint_text(TRAIN, "next.py", Path("next.py"))  # the next file is unaffected
    assert [f.code for f in after.findings] == ["HL101"]


def test_a_rule_that_crashes_is_hl004_naming_the_exception():
    result = _linter_with(_Crashing).lint_text(TRAIN, "x.py", Path("x.py"))
    assert [f.code for f in result.findings] == ["HL004"]
    assert "ZeroDivisionError" in result.findings[0].message


WRAPPER = textwrap.dedent(
    """
    import sys
    import hyperlint.engine, hyperlint.registry
    sys.path.insert(0, {tests!r})
    from test_robust_budget import _Crashing
    original = hyperlint.registry.all_rules()
    hyperlint.registry.all_rules = hyperlint.engine.all_rules = lambda: (*original, _Crashing)
    from hyperlint.cli import main
    sys.argv = ["hyperlint", "check", "--no-cache", *sys.argv[1:]]
    main()
    """
)


@pytest.mark.parametrize("extra", [[], ["--exit-zero"], ["--output-format", "json"]])
def test_an_internal_error_makes_the_exit_code_2_and_the_run_goes_on(tmp_path, extra):
    (tmp_path / "a.py").write_text(TRAIN)
    (tmp_path / "b.py").write_text("x = 1\n")
    run = subprocess.run(
        [sys.executable, "-c", WRAPPER.format(tests=str(Path(__file__).parent)), *extra, "a.py", "b.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "HL004" in run.stdout and "ZeroDivisionError" in run.stdout
    assert "Traceback" not in run.stderr


# --- libcst's parser: slow and crashing shapes ------------------------------------------------------
def _subscript_chain(n: int) -> str:
    return "x = a" + "[1]" * n + "\n"  # libcst's parser takes minutes on this (cubic in n)


@posix_only
def test_a_file_that_stalls_the_parser_is_hl003_and_the_run_goes_on(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.hyperlint]\nper-file-timeout = 2\n")
    (tmp_path / "generated.py").write_text(_subscript_chain(20_000))
    (tmp_path / "train.py").write_text(TRAIN)
    run = subprocess.run(
        [sys.executable, "-m", "hyperlint", "check", "--no-cache", "--output-format", "concise", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 1, run.stderr
    lines = [line for line in run.stdout.splitlines() if ": HL" in line]
    assert any(line.startswith("generated.py:1:1: HL003") and "2 s" in line for line in lines), lines
    assert any(line.startswith("train.py:") and "HL101" in line for line in lines), lines


def test_the_screen_flags_each_risky_shape():
    assert guard.parse_risk("x = " + "[" * 150 + "]" * 150) == guard.NESTING
    assert guard.parse_risk(_subscript_chain(400)) == guard.LONG_LINE
    assert guard.parse_risk("x = (a\n" + "    .b()\n" * 60 + ")\n") == guard.CHAIN
    assert guard.parse_risk("x = (1 +\n" + "    1 +\n" * 60 + "    1)\n") == guard.CHAIN
    assert guard.parse_risk("x = (1\n" + "    + 1\n" * 60 + ")\n") == guard.CHAIN


def test_the_screen_passes_ordinary_code():
    root = Path(__file__).resolve().parents[1]
    files = sorted((root / "examples").rglob("*.py")) + sorted((root / "linter").rglob("*.py"))
    dev = root.parent / "shared" / "eval" / "dev" / "files"
    files += sorted(dev.rglob("*.py")) if dev.is_dir() else []
    flagged = [f for f in files if guard.parse_risk(f.read_text(encoding="utf-8")) is not None]
    assert len(files) > 20 and flagged == []


def _segfault() -> None:
    import faulthandler

    faulthandler.disable()  # pytest's faulthandler would print the child's stack
    os.kill(os.getpid(), signal.SIGSEGV)


@posix_only
def test_isolated_work_answers_times_out_crashes_and_fails():
    assert guard.run_isolated(lambda: {"answer": 42}, 30) == guard.Isolated("ok", {"answer": 42})
    assert guard.run_isolated(lambda: time.sleep(60), 0.5).status == "timeout"
    crashed = guard.run_isolated(_segfault, 30)
    assert crashed == guard.Isolated("crashed", "SIGSEGV")
    failed = guard.run_isolated(lambda: 1 / 0, 30)
    assert failed.status == "error" and "ZeroDivisionError" in failed.value
    unpicklable = guard.run_isolated(lambda: threading.Lock(), 30)
    assert unpicklable.status == "error"
    big = guard.run_isolated(lambda: "x" * 5_000_000, 30)  # more than a pipe holds
    assert big.status == "ok" and len(big.value) == 5_000_000


@posix_only
def test_a_parser_crash_on_code_cpython_accepts_is_an_internal_error(monkeypatch):
    monkeypatch.setattr(guard, "run_isolated", lambda work, timeout: guard.Isolated("crashed", "SIGSEGV"))
    text = "x = " + "(" * 150 + "1" + ")" * 150 + "\n"  # valid for CPython, screened as risky
    result = make_linter().lint_text(text, "x.py", Path("x.py"))
    assert [f.code for f in result.findings] == ["HL004"]
    assert "crashed" in result.findings[0].message and "SIGSEGV" in result.findings[0].message


@posix_only
def test_risky_files_checked_in_the_child_give_the_same_findings():
    text = TRAIN + "x = (a\n" + "    .b()\n" * 60 + ")\n"
    assert guard.parse_risk(text) == guard.CHAIN
    result = make_linter().lint_text(text, "x.py", Path("x.py"))
    assert [(f.code, f.start.row) for f in result.findings] == [("HL101", 2)]


def test_the_deep_stack_runs_deep_recursion_and_restores_the_limit():
    def depth(n):
        return 0 if n == 0 else 1 + depth(n - 1)

    limit = sys.getrecursionlimit()
    assert guard.call_with_deep_stack(lambda: depth(50_000), 60) == 50_000
    assert sys.getrecursionlimit() == limit
    with pytest.raises(ValueError):
        guard.call_with_deep_stack(lambda: int("x"), 60)
