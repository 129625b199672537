"""The language server's stdio stream, read byte for byte as a strict client (an editor) reads
it: nothing but LSP frames on stdout, whatever prints; the server ends when its client goes."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

SERVER = [sys.executable, "-m", "hyperlint", "server"]
TIMEOUT = 60
SGD = "import torch\n\nmodel = torch.nn.Linear(4, 2)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"



NOISY_SITECUSTOMIZE = '''
import os, sys
import hyperlint.editor as editor

_lint = editor.DocumentLinter.lint

def noisy_lint(self, *args, **kwargs):
    print("stray print from a rule")  # what a careless plugin or library might do
    os.write(1, b"stray bytes on file descriptor 1\\n")
    return _lint(self, *args, **kwargs)

editor.DocumentLinter.lint = noisy_lint

import hyperlint.lsp_positions as positions  # used by the server process itself

_init = positions.LineIndex.__init__

def noisy_init(self, *args, **kwargs):
    print("stray print in the server process")
    os.write(1, b"stray bytes from the server process\\n")
    _init(self, *args, **kwargs)

positions.LineIndex.__init__ = noisy_init
'''


@pytest.fixture
def noisy_env(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("noisy")
    (folder / "sitecustomize.py").write_text(NOISY_SITECUSTOMIZE)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}


def _read_frame(stream) -> dict | None:
    """One message from the server's stdout, parsed strictly as an editor does: anything that
    is not a `Header: value` line before the blank line is a protocol error."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        if line == b"\r\n":
            break
        assert re.fullmatch(rb"[A-Za-z-]+: [^\r\n]+\r\n", line), f"not an LSP header: {line!r}"
        name, value = line.decode("ascii").split(": ", 1)
        if name.lower() == "content-length":
            length = int(value)
    assert length is not None
    return json.loads(stream.read(length))


def _frame(message: dict) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_stray_output_never_corrupts_the_protocol(noisy_env: dict, tmp_path: Path):
    uri = (tmp_path / "train.py").as_uri()
    process = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=noisy_env)
    watchdog = threading.Timer(TIMEOUT, process.kill)
    watchdog.start()
    try:
        process.stdin.write(
            _frame({"id": 1, "method": "initialize",
                    "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}})
            + _frame({"method": "initialized", "params": {}})
            + _frame({"method": "textDocument/didOpen", "params": {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": SGD}}})
        )
        process.stdin.flush()
        while True:
            message = _read_frame(process.stdout)
            assert message is not None, process.stderr.read().decode()
            if message.get("method") == "textDocument/publishDiagnostics":
                break
        assert [d["code"] for d in message["params"]["diagnostics"]] == ["HL101"]
        process.stdin.write(_frame({"id": 2, "method": "shutdown"}) + _frame({"method": "exit"}))
        process.stdin.flush()
        while _read_frame(process.stdout) is not None:
            pass
        assert process.wait() == 0
        # the noise went to stderr
        noise = process.stderr.read()
        assert b"stray bytes on file descriptor 1" in noise and b"stray bytes from the server process" in noise
    finally:
        watchdog.cancel()
        process.kill()



def _children(pid: int) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return {int(line) for line in out.split()}


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status  # a zombie has ended


def test_server_ends_when_the_client_goes_away(tmp_path: Path):
    """An editor that crashes never sends `exit`: end of input must end the server and its lint
    worker, not leave them running."""
    process = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        process.stdin.write(
            _frame({"id": 1, "method": "initialize",
                    "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}})
            + _frame({"method": "initialized", "params": {}})
            + _frame({"method": "textDocument/didOpen", "params": {"textDocument": {
                "uri": (tmp_path / "train.py").as_uri(), "languageId": "python", "version": 1, "text": SGD}}})
        )
        process.stdin.flush()
        assert _read_frame(process.stdout)["id"] == 1
        while (message := _read_frame(process.stdout)) is not None:
            if message.get("method") == "textDocument/publishDiagnostics":
                break  # the lint worker has run
        workers = _children(process.pid)
        assert workers, "the lint worker runs in a child process"
        process.stdin.close()
        process.wait(TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_running(pid) for pid in workers)
    finally:
        process.kill()
