"""Robustness (issue 8): fixes are written atomically (temp file + rename, permissions kept), so an
interrupted run leaves every file either as it was or as fixed, never half written."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hyperlint.runner as runner
from hyperlint.atomic import write_atomic
from hyperlint.registry import select_codes
from hyperlint.settings import Settings

# an unused `# noqa` (HL002) has a safe automatic fix: removing it
ORIGINAL = b"import os\n" + b"".join(b"value_%d = %d  # noqa: HL101\n" % (i, i) for i in range(40))
FIXED = ORIGINAL.replace(b"  # noqa: HL101", b"")
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and signals")


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".hyperlint-tmp")]


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755, 0o444])
def test_write_atomic_replaces_content_and_keeps_permissions(tmp_path, mode):
    path = tmp_path / "train.py"
    path.write_bytes(ORIGINAL)
    os.chmod(path, mode)
    write_atomic(path, FIXED)
    assert path.read_bytes() == FIXED
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert leftovers(tmp_path) == []


@posix_only
def test_write_atomic_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real.py"
    target.write_bytes(ORIGINAL)
    link = tmp_path / "link.py"
    link.symlink_to("real.py")
    write_atomic(link, FIXED)
    assert link.is_symlink() and target.read_bytes() == FIXED


@pytest.mark.parametrize("failing", ["fsync", "replace", "chmod", "write"])
def test_a_failure_while_writing_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "train.py"
    path.write_bytes(ORIGINAL)

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "write":
        real_fdopen = os.fdopen

        class Half:
            def __init__(self, handle):
                self.handle = handle

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.handle.close()

            def write(self, data):
                self.handle.write(data[: len(data) // 2])
                boom()

        monkeypatch.setattr(os, "fdopen", lambda *a, **k: Half(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError):
        write_atomic(path, FIXED)
    monkeypatch.undo()
    assert path.read_bytes() == ORIGINAL
    assert leftovers(tmp_path) == []


def test_the_runner_reports_a_failed_write_and_goes_on(tmp_path, monkeypatch):
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_bytes(ORIGINAL)
    real_replace = os.replace

    def replace_fails_for_a(source, target, *args, **kwargs):
        if Path(target).name == "a.py":
            raise OSError(13, "Permission denied")
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace_fails_for_a)
    outcomes = runner.run_check([tmp_path], Settings(root=tmp_path), select_codes((), ()), fix=True)
    by_name = {Path(o.path).name: o for o in outcomes}
    assert (tmp_path / "a.py").read_bytes() == ORIGINAL
    assert "cannot write" in by_name["a.py"].error
    assert (tmp_path / "b.py").read_bytes() == FIXED
    assert leftovers(tmp_path) == []


@posix_only
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT])
def test_an_interrupted_fix_run_leaves_every_file_old_or_new(tmp_path, signum):
    files = [tmp_path / f"module_{i:03d}.py" for i in range(150)]
    for path in files:
        path.write_bytes(ORIGINAL)
    process = subprocess.Popen(
        [sys.executable, "-m", "hyperlint", "check", "--fix", "--no-cache", "-q", "."],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if any(path.read_bytes() != ORIGINAL for path in files[:5]):
                break  # the run has started writing: interrupt it now
            time.sleep(0.005)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    contents = [path.read_bytes() for path in files]
    assert all(content in (ORIGINAL, FIXED) for content in contents)
    assert contents.count(FIXED) >= 1
    assert contents.count(ORIGINAL) >= 1, "the run finished before it could be interrupted"
    if signum == signal.SIGINT:
        assert process.returncode == 130 and b"Traceback" not in stderr
        assert leftovers(tmp_path) == []
