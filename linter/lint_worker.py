"""A child process that lints for the language server.

The parser is native code: on some buffers (thousands of nested brackets) it can crash the
process it runs in, and a pathological buffer could take very long. Linting in a child keeps the
server alive through both; the child is restarted on the next request.

A lint that has become useless (the buffer changed again) can be interrupted: the server names
the request in a shared value and sends SIGINT; the child stops that request at its next Python
bytecode and stays up, caches warm, for the next one.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import threading
from pathlib import Path
from typing import Any

from hyperlint.engine import INTERNAL_ERROR, LintResult
from hyperlint.finding import Applicability, Finding, Fix, Position
from hyperlint.source import SourceText

TIMEOUT = 30.0  # seconds one request may take before the child is stopped


class WorkerFailed(Exception):
    """The child died or was stopped while handling a request."""


class WorkerInterrupted(Exception):
    """The request was interrupted on the server's demand (its answer was no longer wanted)."""


class _Interrupted(BaseException):
    """Raised inside the child; a BaseException so that no ``except Exception`` swallows it."""


def _serve(connection, cancelled) -> None:
    from hyperlint.editor import DocumentLinter

    current: list[int | None] = [None]  # the request under way

    def on_interrupt(signum, frame) -> None:
        # only the request the server named: a late signal must not hit the next request
        if current[0] is not None and cancelled.value == current[0]:
            current[0] = None
            raise _Interrupted()

    signal.signal(signal.SIGINT, on_interrupt)
    linter = DocumentLinter()
    while True:
        try:
            request, method, args = connection.recv()
        except (EOFError, OSError):  # the server is gone
            return
        try:
            current[0] = request
            value = getattr(linter, method)(*args)
            current[0] = None
            reply: tuple[str, Any] = ("ok", value)
        except _Interrupted:
            reply = ("interrupted", None)
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}")
        finally:
            current[0] = None
        connection.send(reply)


class LintWorker:
    """Calls ``DocumentLinter`` methods in a child process; one request at a time."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._connection = None
        self._cancelled = None  # shared with the child: the id of the request to interrupt
        self._requests = itertools.count(1)
        self._running: tuple[int, str | None, int] | None = None  # (request, tag, child pid)
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._discard()
        parent, child = self._context.Pipe()
        cancelled = self._context.Value("q", 0, lock=False)
        process = self._context.Process(target=_serve, args=(child, cancelled), name="hyperlint-lint-worker",
                                        daemon=True)
        process.start()
        child.close()
        self._process, self._connection, self._cancelled = process, parent, cancelled

    def _discard(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(5)
        self._process = self._connection = None

    def call(self, method: str, *args: Any, tag: str | None = None) -> Any:
        """``DocumentLinter.<method>(*args)`` in the child; ``tag`` lets :meth:`interrupt` find it."""
        with self._lock:
            self._ensure_started()
            connection, process = self._connection, self._process
            request = next(self._requests)
            self._running = (request, tag, process.pid)
            try:
                connection.send((request, method, args))
                if not connection.poll(self.timeout):
                    self._discard()
                    raise WorkerFailed(f"it took longer than {self.timeout:g} s and was stopped")
                status, value = connection.recv()
            except (EOFError, OSError, BrokenPipeError):
                process.join(5)
                code = process.exitcode
                self._discard()
                raise WorkerFailed(_describe_exit(code)) from None
            finally:
                self._running = None
        if status == "interrupted":
            raise WorkerInterrupted()
        if status != "ok":
            raise WorkerFailed(value)
        return value

    def interrupt(self, tag: str) -> bool:
        """Stop the request under way if it carries ``tag`` (from any thread); True if signalled."""
        running, cancelled = self._running, self._cancelled
        if running is None or running[1] != tag or cancelled is None:
            return False
        request, _, pid = running
        cancelled.value = request
        try:
            os.kill(pid, signal.SIGINT)
        except OSError:
            return False
        return True

    def close(self) -> None:
        with self._lock:
            self._discard()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the parser crashed ({name})"
    return f"the checking process ended unexpectedly (exit code {code})"


def failure_result(text: str, path: Path, reason: str) -> LintResult:
    """What the editor shows when the child could not check a buffer."""
    message = f"internal error: hyperlint could not check this buffer: {reason}"
    if "crashed" in reason:
        message += " (very deeply nested code is a known trigger)"
    fix = Fix("This is a bug in hyperlint, not necessarily in your code; edit the code and it is checked again.",
              Applicability.DISPLAY_ONLY)
    finding = Finding(INTERNAL_ERROR, message, str(path), Position(1, 1), Position(1, 1), fix, 1)
    return LintResult(str(path), [finding], SourceText(text), error=message)
