"""Robustness (issue 8): hyperlint never imports or executes the code it checks and never opens a
network connection. The CLI runs with an audit hook (PEP 578, installed by a sitecustomize) that
records network use, the import of any module of the checked tree and the execution of any code
compiled from it; the checked files would also leave marker files if they ever ran."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

SITECUSTOMIZE = textwrap.dedent(
    """
    import os, socket, sys

    _LOG = os.environ["HYPERLINT_AUDIT_LOG"]
    _TREE = os.environ["HYPERLINT_AUDIT_TREE"]
    _CHECKED = {"evil", "evil_helper", "pkg", "pkg.module", "notebook_helper"}

    def _record(kind, detail):
        with open(_LOG, "a") as log:
            log.write(f"{kind}\\t{detail}\\n")

    def _hook(event, args):
        if event == "socket.connect":
            sock, address = args
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                _record("network", f"connect {address!r}")
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.sendto"):
            _record("network", f"{event} {args[:2]!r}")
        elif event == "import" and args[0] in _CHECKED:
            _record("import", args[0])
        elif event == "exec":
            filename = getattr(args[0], "co_filename", "")
            if filename.startswith(_TREE):
                _record("exec", filename)
        elif event in ("os.system", "os.posix_spawn", "subprocess.Popen", "os.exec"):
            program = str(args[0])
            if not program.startswith(sys.executable) and "python" not in os.path.basename(program):
                _record("program", f"{event} {args[:2]!r}")

    sys.addaudithook(_hook)
    _record("hook", f"installed in {os.getpid()}")
    """
)

EVIL = textwrap.dedent(
    """
    import pathlib, socket
    pathlib.Path({marker!r}).write_text("evil.py was executed")
    socket.create_connection(("203.0.113.1", 80), timeout=1)  # TEST-NET-3: never routed
    import evil_helper
    import torch
    optimizer = torch.optim.SGD([], lr=0.1)
    """
)
HELPER = "import pathlib\npathlib.Path({marker!r}).write_text('evil_helper was imported')\n"


def _audited_env(tmp_path: Path, tree: Path) -> tuple[dict, Path]:
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "audit.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hook_dir), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "HYPERLINT_AUDIT_LOG": str(log),
        "HYPERLINT_AUDIT_TREE": str(tree),
    }
    return env, log


def _events(log: Path) -> list[tuple[str, str]]:
    if not log.exists():
        return []
    return [tuple(line.split("\t", 1)) for line in log.read_text().splitlines()]


def _tree(tmp_path: Path) -> tuple[Path, list[Path]]:
    tree = tmp_path / "project"
    (tree / "pkg").mkdir(parents=True)
    markers = [tmp_path / f"marker_{i}" for i in range(5)]
    (tree / "evil.py").write_text(EVIL.format(marker=str(markers[0])))
    (tree / "evil_helper.py").write_text(HELPER.format(marker=str(markers[1])))
    (tree / "pkg" / "__init__.py").write_text(HELPER.format(marker=str(markers[2])))
    (tree / "pkg" / "module.py").write_text("from . import *\n" + HELPER.format(marker=str(markers[3])))
    (tree / "conftest.py").write_text(HELPER.format(marker=str(markers[4])))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(f"import pathlib\npathlib.Path({str(markers[0])!r}).write_text('cell ran')"),
        nbformat.v4.new_code_cell("!curl http://203.0.113.1/\nimport notebook_helper\nimport torch\n"
                                  "opt = torch.optim.Adam([], lr=0.01)"),
    ]
    nbformat.write(notebook, str(tree / "analysis.ipynb"))
    return tree, markers


@pytest.mark.parametrize("args", [["check"], ["check", "--fix", "--unsafe-fixes"], ["check", "--diff"]])
def test_checking_never_imports_executes_or_connects(tmp_path, args):
    tree, markers = _tree(tmp_path)
    env, log = _audited_env(tmp_path, tree)
    run = subprocess.run(
        [sys.executable, "-m", "hyperlint", *args, "--no-cache", "."],
        cwd=tree, env=env, capture_output=True, text=True, timeout=180,
    )
    assert run.returncode in (0, 1), run.stderr
    if args == ["check"]:
        assert "HL101" in run.stdout  # the files were really checked
    events = _events(log)
    assert events and events[0][0] == "hook"  # the hook was active in the checking process
    violations = [event for event in events if event[0] != "hook"]
    assert violations == []
    assert [m for m in markers if m.exists()] == []


def test_the_audit_hook_does_see_what_it_looks_for(tmp_path):
    """The test above can fail: the same hook records a connection, an import and an execution."""
    tree, markers = _tree(tmp_path)
    env, log = _audited_env(tmp_path, tree)
    subprocess.run([sys.executable, "evil.py"], cwd=tree, env=env, capture_output=True, timeout=60)
    kinds = {kind for kind, _ in _events(log)}
    assert {"network", "import", "exec"} <= kinds
    assert markers[0].exists() and markers[1].exists()


def test_the_engine_api_imports_nothing_it_checks(tmp_path):
    tree, markers = _tree(tmp_path)
    env, log = _audited_env(tmp_path, tree)
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from hyperlint.testing import make_linter
        linter = make_linter()
        for path in sorted(Path({str(tree)!r}).rglob("*")):
            if path.is_file():
                linter.lint_path(path)
        """
    )
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert [e for e in _events(log) if e[0] != "hook"] == []
    assert [m for m in markers if m.exists()] == []
