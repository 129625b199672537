"""Guards around checking one file: the time budget, libcst's native parser, recursion limits.

libcst's parser is native code that holds the GIL: it cannot be interrupted, it takes time that
grows much faster than the input on long left-recursive chains (``a.b.c...``, ``x[1][1]...``,
``1 + 1 + ...`` over thousands of terms) and on deep bracket nesting, and past about 1,500
nested brackets it overflows the C stack and kills the process. A cheap screen
(:func:`parse_risk`, linear, C-level string operations only) picks the files with such shapes;
those are checked in a forked child that is killed when the file's budget runs out. Everything
else is checked in-process under the budget of :mod:`hyperlint.budget`.

libcst's metadata and code generation recurse once per nesting level; a file that is valid
Python can exceed Python's recursion limit there (a 3,000-term sum). Such a file is checked
again in a thread with a large stack and a raised recursion limit.
"""
from __future__ import annotations

import array
import ast
import itertools
import operator
import os
import pickle
import select
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from operator import methodcaller
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from hyperlint.budget import FILE_TIMEOUT, FileTimeout, current_budget, time_budget
from hyperlint.finding import Applicability, Finding, Fix, Position

if TYPE_CHECKING:
    from hyperlint.engine import Linter, LintResult
    from hyperlint.source import SourceText

# --- the screen ---------------------------------------------------------------------------------
MAX_SAFE_DEPTH = 100  # bracket nesting checked in-process (CPython itself refuses more than 200)
CPYTHON_MAX_DEPTH = 200
MAX_SAFE_LINE = 1000  # characters in one physical line
MAX_SAFE_RUN = 40  # consecutive lines that continue an operator chain

# brackets and newlines kept, as steps of the nesting depth: +1, -1 and 0 (signed bytes); UTF-8 puts
# no ASCII byte inside a multi-byte character, so working on the encoded bytes is exact
_KEPT = b"()[]{}\n"
_DROPPED = bytes(sorted(set(range(256)) - set(_KEPT)))
_STEPS = bytes.maketrans(b"([{)]}\n", b"\x01\x01\x01\xff\xff\xff\x00")
_CHAIN_START = methodcaller("startswith", ("+", "-", "*", "/", "%", "@", "|", "&", "^", "~", ".", ")(", "]["))
_CHAIN_END = methodcaller("endswith", ("+", "-", "*", "/", "%", "@", "|", "&", "^", "\\", ".", " and", " or", "("))

NESTING, LONG_LINE, CHAIN = "nesting", "long line", "operator chain"


def bracket_shape(text: str) -> tuple[int, int, bool]:
    """The deepest bracket nesting, the most consecutive lines inside brackets, and whether the
    brackets ever close more than they opened. Brackets in strings and comments count too: this
    is a screen, run on every file, so it is C-level byte operations only."""
    if "\r" in text:  # CRLF or lone CR line endings: count every line once
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    steps = array.array("b", text.encode("utf-8", "surrogatepass").translate(_STEPS, _DROPPED))
    depths = list(itertools.accumulate(steps))
    if not depths:
        return 0, 0, False
    at_newlines = bytes(map(bool, itertools.compress(depths, map(operator.not_, steps))))
    return max(depths), max(map(len, at_newlines.split(b"\x00"))), min(depths) < 0


def bracket_depth(text: str) -> int:
    return bracket_shape(text)[0]


def parse_risk(text: str) -> str | None:
    """Why libcst's parser could crash or run for long on ``text``, or None (nearly every file)."""
    deepest, span, unbalanced = bracket_shape(text)
    if deepest > MAX_SAFE_DEPTH:
        return NESTING
    lines = text.splitlines()
    if max(map(len, lines), default=0) > MAX_SAFE_LINE:
        return LONG_LINE
    # a statement runs over many lines only inside brackets or after backslashes
    if span > MAX_SAFE_RUN or unbalanced or text.count("\\\n") + text.count("\\\r") > MAX_SAFE_RUN:
        flags = bytes(map(operator.or_, map(_CHAIN_START, map(str.lstrip, lines)),
                                             map(_CHAIN_END, map(str.rstrip, lines))))
        if max(map(len, flags.split(b"\x00")), default=0) > MAX_SAFE_RUN:
            return CHAIN
    return None


def cpython_syntax_error(text: str) -> tuple[str, int, int] | None:
    """CPython's verdict (its parser is bounded and safe on any input): message, row, column."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as error:
        return f"{type(error).__name__}: {error.msg}", error.lineno or 1, error.offset or 1
    except (RecursionError, MemoryError):
        return "SyntaxError: too complex for Python's parser (nesting too deep)", 1, 1
    except ValueError as error:  # e.g. NUL bytes
        return f"SyntaxError: {error}", 1, 1
    return None


# --- a child process for risky files ------------------------------------------------------------
@dataclass
class Isolated:
    status: str  # "ok", "timeout", "crashed", "error" (the child could not answer), "unavailable"
    value: Any = None


CPU_POLL_SECONDS = 0.1
WALL_CLOCK_FACTOR = 3


def _cpu_seconds(pid: int, wall: float) -> float:
    """CPU time a child has used (Linux /proc), or the wall-clock time where that is unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, ValueError, IndexError):
        return wall


def run_isolated(work: Callable[[], Any], timeout: float | None) -> Isolated:
    """``work()`` in a forked child, its result pickled back; killed after ``timeout`` seconds of
    its CPU time (at most ``WALL_CLOCK_FACTOR`` times as long in wall-clock time)."""
    if not hasattr(os, "fork"):
        return Isolated("unavailable")
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with other threads alive (3.12+)
        pid = os.fork()
    if pid == 0:  # the child: answer and leave without running any of the parent's cleanup
        status = 1
        try:
            os.close(read_end)
            try:
                payload = pickle.dumps(("ok", work()), pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # noqa: BLE001 - everything must reach the parent
                payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    chunks: list[bytes] = []
    finished = timed_out = False
    try:
        # ``timeout`` is the child's CPU time where /proc tells it (a busy machine does not count
        # against the file), with a wall-clock cap for a child that waits instead of computing
        started = time.monotonic()
        cap = None if timeout is None else started + WALL_CLOCK_FACTOR * timeout + 1.0
        while True:
            wait = None if timeout is None else min(CPU_POLL_SECONDS, max(cap - time.monotonic(), 0.0))
            ready, _, _ = select.select([read_end], [], [], wait)
            if not ready:
                if time.monotonic() >= cap or _cpu_seconds(pid, time.monotonic() - started) >= timeout:
                    timed_out = True
                    break
                continue
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
    finally:  # also when the budget's alarm interrupts the wait
        os.close(read_end)
        if not finished:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, wait_status = os.waitpid(pid, 0)
    if timed_out:
        return Isolated("timeout")
    if os.WIFSIGNALED(wait_status):
        return Isolated("crashed", signal.Signals(os.WTERMSIG(wait_status)).name)
    try:
        status, value = pickle.loads(b"".join(chunks))
    except Exception as exc:  # noqa: BLE001 - no answer or a truncated one
        return Isolated("crashed", f"no answer ({type(exc).__name__}, exit status {os.waitstatus_to_exitcode(wait_status)})")
    return Isolated(status, value)


# --- a big stack for deep trees -----------------------------------------------------------------
DEEP_STACK_BYTES = 512 * 1024 * 1024  # address space only: pages are used as the recursion needs them
DEEP_RECURSION_LIMIT = 200_000
_deep_lock = threading.Lock()


def call_with_deep_stack(work: Callable[[], Any], timeout: float | None) -> Any:
    """``work()`` in a thread with a large stack and a raised recursion limit."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    with _deep_lock:  # the recursion limit is per interpreter: one deep check at a time
        previous_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous_limit, DEEP_RECURSION_LIMIT))
        try:
            previous_size = threading.stack_size(DEEP_STACK_BYTES)
            try:
                thread = threading.Thread(target=target, name="hyperlint-deep-stack", daemon=True)
                thread.start()
            finally:
                threading.stack_size(previous_size)
            thread.join(timeout)
        finally:
            # a thread left running past the budget meets the normal limit again and stops soon
            sys.setrecursionlimit(previous_limit)
    if thread.is_alive():
        raise FileTimeout()
    if "error" in box:
        raise box["error"]
    return box["value"]


# --- checking one file under all the guards -----------------------------------------------------
def lint_guarded(linter: "Linter", source: "SourceText", display: str, path: Path, parser=None) -> "LintResult":
    try:
        with time_budget(linter.settings.per_file_timeout):
            return _lint(linter, source, display, path, parser)
    except FileTimeout:
        return timeout_result(linter, source, display)


def _lint(linter: "Linter", source: "SourceText", display: str, path: Path, parser=None) -> "LintResult":
    def check() -> "LintResult":
        return _with_deep_stack_retry(linter, source, display, path, parser)

    risk = parse_risk(source.text)
    if risk is None:
        return check()
    if risk == NESTING and bracket_depth(source.text) > CPYTHON_MAX_DEPTH:
        rejected = cpython_syntax_error(source.text)
        if rejected is not None:
            return parse_error_result(linter, source, display, *rejected)
    budget = current_budget()
    outcome = run_isolated(check, budget.remaining() if budget else None)
    if outcome.status == "ok":
        return outcome.value
    if outcome.status == "timeout":
        raise FileTimeout()
    if outcome.status == "crashed":
        rejected = cpython_syntax_error(source.text)
        if rejected is not None:
            return parse_error_result(linter, source, display, *rejected)
        return internal_error_result(
            linter, source, display,
            f"libcst's parser crashed on this file ({outcome.value}; the file has a {risk} that is too much for it)",
        )
    return check()  # no fork on this system, or the child could not send its answer


def _with_deep_stack_retry(linter: "Linter", source: "SourceText", display: str, path: Path,
                           parser=None) -> "LintResult":
    def work() -> "LintResult":
        return linter._lint_source_unguarded(source, display, path, parser)

    try:
        return work()
    except RecursionError:
        pass
    budget = current_budget()
    try:
        return call_with_deep_stack(work, budget.remaining() if budget else None)
    except RecursionError:
        rejected = cpython_syntax_error(source.text)
        message, row, column = rejected or ("cannot check: the file nests too deeply for hyperlint", 1, 1)
        return parse_error_result(linter, source, display, message, row, column)


# --- results for files that could not be checked -----------------------------------------------
def parse_error_result(linter: "Linter", source, display: str, message: str, row: int, column: int) -> "LintResult":
    from hyperlint.engine import LintResult

    return LintResult(display, [linter._error_finding(display, message, row, column)], source, error=message)


def timeout_result(linter: "Linter", source, display: str) -> "LintResult":
    from hyperlint.engine import LintResult

    seconds = linter.settings.per_file_timeout
    message = f"checking this file took more than {seconds:g} s of CPU time (per-file-timeout) and was stopped"
    fix = Fix("Raise `per-file-timeout` in [tool.hyperlint], or exclude this file (generated code?).",
              Applicability.DISPLAY_ONLY)
    finding = Finding(FILE_TIMEOUT, message, display, Position(1, 1), Position(1, 1), fix, 1)
    findings = [finding] if _reported(linter, FILE_TIMEOUT) else []
    return LintResult(display, findings, source, error=message)


def internal_error_result(linter: "Linter", source, display: str, message: str) -> "LintResult":
    from hyperlint.engine import INTERNAL_ERROR, LintResult

    fix = Fix("This is a bug or a limit of hyperlint, not necessarily in your code; please report it.",
              Applicability.DISPLAY_ONLY)
    finding = Finding(INTERNAL_ERROR, f"internal error: {message}", display, Position(1, 1), Position(1, 1), fix, 1)
    findings = [finding] if _reported(linter, INTERNAL_ERROR) else []
    return LintResult(display, findings, source, error=message)


def _reported(linter: "Linter", code: str) -> bool:
    enabled = getattr(linter, "enabled", None)
    return enabled is None or code in enabled
