"""The progress bar: on a terminal's stderr after the delay only, never in machine formats."""
from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time

from perf_support import run, write_project

from hyperlint.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_drawn_on_a_stream_that_is_not_a_terminal():
    stream = io.StringIO()
    with Progress(10, stream=stream, delay=0) as bar:
        for _ in range(10):
            bar.advance()
    assert stream.getvalue() == ""


def test_nothing_is_drawn_before_the_delay():
    stream = _Terminal()
    with Progress(10, stream=stream, delay=60) as bar:
        for _ in range(10):
            bar.advance()
    assert stream.getvalue() == ""


def test_a_terminal_sees_the_bar_after_the_delay_and_it_is_erased():
    stream = _Terminal()
    bar = Progress(4, stream=stream, delay=0)
    bar.advance(2)
    assert "2/4 files" in stream.getvalue()
    bar.close()
    assert stream.getvalue().endswith("\r")


def test_disabled_bar_draws_nothing_on_a_terminal():
    stream = _Terminal()
    with Progress(4, stream=stream, delay=0, enabled=False) as bar:
        bar.advance(4)
    assert stream.getvalue() == ""


def test_cli_stderr_has_no_bar_when_it_is_not_a_terminal(tmp_path):
    project = write_project(tmp_path / "p", files=3, filler=3)
    result = run("check", ".", "--no-cache", cwd=project, env={"HYPERLINT_PROGRESS_DELAY": "0"})
    assert result.returncode == 1
    assert "\r" not in result.stderr and "files" not in result.stderr


def _stderr_on_a_terminal(project, *args: str) -> str:
    """Run the CLI with stderr on a pseudo-terminal (stdout to a file); return what stderr got."""
    main, secondary = pty.openpty()
    env = dict(os.environ, HYPERLINT_PROGRESS_DELAY="0")
    with open(project.parent / "stdout.txt", "wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "hyperlint", "check", ".", "--no-cache", "--jobs", "1", *args],
            cwd=project, stdout=stdout, stderr=secondary, stdin=subprocess.DEVNULL, env=env,
        )
    os.close(secondary)
    received = b""
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            received += chunk
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=60)
        os.close(main)
    return received.decode("utf-8", "replace")


def test_cli_draws_the_bar_on_a_terminal_in_text_format(tmp_path):
    project = write_project(tmp_path / "p", files=3, filler=3)
    assert "files" in _stderr_on_a_terminal(project)


def test_cli_draws_no_bar_on_a_terminal_in_machine_formats(tmp_path):
    project = write_project(tmp_path / "p", files=3, filler=3)
    for output_format in ("json", "json-lines", "sarif"):
        assert "files" not in _stderr_on_a_terminal(project, "--output-format", output_format)
    assert "files" not in _stderr_on_a_terminal(project, "--quiet")
