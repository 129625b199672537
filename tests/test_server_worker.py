"""The language server's lint worker: a child process that survives what would kill it, and
whose useless work can be interrupted without losing it."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from hyperlint.lint_worker import LintWorker, WorkerFailed, WorkerInterrupted

SGD = "import torch\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
BLOCK = '''
def train_{i}(model, loader, args):
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    for epoch in range(args.epochs):
        for data, target in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(data), target)
            loss.backward()
            optimizer.step()
    return model
'''
BIG = "import torch\nimport torch.nn.functional as F\n" + "".join(BLOCK.format(i=i) for i in range(700))


@pytest.fixture
def worker():
    worker = LintWorker()
    yield worker
    worker.close()


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def test_lints_in_a_child_and_survives_a_parser_crash(worker: LintWorker, tmp_path: Path):
    assert codes(worker.call("lint", SGD, tmp_path / "train.py")) == ["HL101"]
    try:  # the engine may catch this itself (HL001); if not, the child dies, not the caller
        result = worker.call("lint", "x = " + "(" * 5000 + "\n", tmp_path / "train.py")
        assert codes(result) in (["HL001"], ["HL004"])
    except WorkerFailed as exc:
        assert "crashed" in str(exc)
    assert codes(worker.call("lint", SGD, tmp_path / "train.py")) == ["HL101"]


def test_an_interrupted_lint_keeps_the_worker(worker: LintWorker, tmp_path: Path):
    worker.call("lint", SGD, tmp_path / "train.py")  # started, imports done
    pid = worker._process.pid
    outcomes = []
    for _ in range(3):  # a signal sent before the child has the request is ignored: try again
        box: dict = {}

        def run() -> None:
            try:
                box["result"] = worker.call("lint", BIG, tmp_path / "train.py", tag="doc")
            except WorkerInterrupted:
                box["interrupted"] = True

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.3)
        assert not worker.interrupt("other-doc")  # only the named document's request
        worker.interrupt("doc")
        thread.join(120)
        outcomes.append(box.get("interrupted", False))
        if outcomes[-1]:
            break
    assert any(outcomes)
    assert worker._process.pid == pid  # the same warm child answers the next request
    assert codes(worker.call("lint", SGD, tmp_path / "train.py")) == ["HL101"]
    assert not worker.interrupt("doc")  # nothing under way
