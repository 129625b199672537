"""A child process that lints for the language server.

The parser is native code: on some buffers (thousands of nested brackets) it can crash the
process it runs in, and a pathological buffer could take very long. Linting in a child keeps the
server alive through both; the child is restarted on the next request.
"""
from __future__ import annotations

import multiprocessing
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


def _serve(connection) -> None:
    from hyperlint.editor import DocumentLinter

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when the child ends
    linter = DocumentLinter()
    while True:
        try:
            method, args = connection.recv()
        except (EOFError, OSError):  # the server is gone
            return
        try:
            reply: tuple[str, Any] = ("ok", getattr(linter, method)(*args))
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}")
        connection.send(reply)


class LintWorker:
    """Calls ``DocumentLinter`` methods in a child process; one request at a time."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._connection = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._discard()
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child,), name="hyperlint-lint-worker", daemon=True)
        process.start()
        child.close()
        self._process, self._connection = process, parent

    def _discard(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(5)
        self._process = self._connection = None

    def call(self, method: str, *args: Any) -> Any:
        with self._lock:
            self._ensure_started()
            connection, process = self._connection, self._process
            try:
                connection.send((method, args))
                if not connection.poll(self.timeout):
                    self._discard()
                    raise WorkerFailed(f"it took longer than {self.timeout:g} s and was stopped")
                status, value = connection.recv()
            except (EOFError, OSError, BrokenPipeError):
                process.join(5)
                code = process.exitcode
                self._discard()
                raise WorkerFailed(_describe_exit(code)) from None
        if status != "ok":
            raise WorkerFailed(value)
        return value

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
