"""The per-file time budget (``per-file-timeout``): one pathological file must not stall a run.

The budget is CPU time, so that a loaded machine (other jobs, more workers than cores) does not
turn slow into "timed out". In the main thread of a POSIX process it is an interval timer
(``ITIMER_PROF``, ``SIGPROF``) whose handler raises :class:`FileTimeout` at the next bytecode,
wherever the checking is: arming and disarming it costs two system calls per file and nothing per
node. Native code (libcst's parser)
cannot be interrupted this way; :mod:`hyperlint.parse_guard` runs the files that could keep it
busy in a child process that is killed when the budget runs out. Elsewhere (other threads,
Windows) the budget is only checked at the points that call :func:`check_budget`.
"""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

FILE_TIMEOUT = "HL003"


class FileTimeout(BaseException):
    """The file's time budget ran out. A BaseException, so that a rule's ``except Exception``
    cannot swallow it."""


class Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = _clock() + seconds
        self.closed = False

    def remaining(self) -> float:
        """CPU seconds left (a child process or thread waited for gets as many wall-clock seconds)."""
        return max(0.0, self.end - _clock())

    def expired(self) -> bool:
        return _clock() >= self.end


_local = threading.local()
_clock = time.process_time  # CPU time of the process, the clock ITIMER_PROF counts
_SIGNAL = getattr(signal, "SIGPROF", None)
_TIMER = getattr(signal, "ITIMER_PROF", None)


def current_budget() -> Budget | None:
    budget = getattr(_local, "budget", None)
    return None if budget is None or budget.closed else budget


def check_budget() -> None:
    """Raise FileTimeout if the current file's budget has run out (for threads without a timer)."""
    budget = current_budget()
    if budget is not None and budget.expired():
        raise FileTimeout()


def _on_alarm(signum, frame) -> None:
    budget = getattr(_local, "budget", None)
    if budget is not None and not budget.closed:
        raise FileTimeout()


def _can_use_timer() -> bool:
    return _TIMER is not None and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_budget(seconds: float | None) -> Iterator[Budget | None]:
    """Bound the time of the block; nested uses run under the outermost budget."""
    outer = current_budget()
    if outer is not None or not seconds or seconds <= 0:
        yield outer
        return
    budget = Budget(seconds)
    timer = _can_use_timer()
    if timer:
        try:
            previous_handler = signal.signal(_SIGNAL, _on_alarm)
        except (ValueError, OSError):  # e.g. a subinterpreter: only the cooperative checks remain
            timer = False
    _local.budget = budget
    if timer:
        previous_delay, _ = signal.setitimer(_TIMER, seconds)
    try:
        yield budget
    finally:
        budget.closed = True  # from here on a late alarm is ignored
        if timer:
            signal.setitimer(_TIMER, 0)
            signal.signal(_SIGNAL, previous_handler)
            if previous_delay:  # someone else's timer was running: give back what is left of it
                left = previous_delay - (_clock() - (budget.end - seconds))
                signal.setitimer(_TIMER, max(left, 0.001))
        _local.budget = None
