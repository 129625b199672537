"""A progress bar on stderr, for long interactive runs only.

It draws nothing unless stderr is a terminal, and nothing during the first ``delay`` seconds, so
short runs, pipes, CI logs and machine-readable output never see it. It redraws at most ten
times a second and erases itself when the run ends.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from typing import TextIO

DELAY_SECONDS = 2.0
DELAY_VARIABLE = "HYPERLINT_PROGRESS_DELAY"  # seconds before drawing (tests set 0)


def _default_delay() -> float:
    try:
        return max(float(os.environ.get(DELAY_VARIABLE, DELAY_SECONDS)), 0.0)
    except ValueError:
        return DELAY_SECONDS
_REDRAW_SECONDS = 0.1


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, delay: float | None = None,
                 enabled: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.done = 0
        self.delay = _default_delay() if delay is None else delay
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False
        try:
            interactive = self.stream.isatty()
        except (AttributeError, ValueError):
            interactive = False
        self.enabled = enabled and interactive and total > 0

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.delay or now - self._last_draw < _REDRAW_SECONDS:
            return
        self._last_draw = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        width = max(shutil.get_terminal_size((80, 20)).columns - 40, 10)
        filled = int(width * self.done / self.total) if self.total else width
        elapsed = now - self.started
        line = f"\rChecking [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} files {elapsed:4.0f}s"
        try:
            self.stream.write(line)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False
            return
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            try:
                width = shutil.get_terminal_size((80, 20)).columns
                self.stream.write("\r" + " " * (width - 1) + "\r")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._drawn = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
