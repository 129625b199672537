"""Robustness (issue 8): what the file system can do to a run — symlink loops, FIFOs and devices
named .py, unreadable files and folders, files deleted or changed during the run."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import hyperlint.runner as runner
from hyperlint.registry import select_codes
from hyperlint.settings import Settings

TRAIN = "import torch\noptimizer = torch.optim.SGD([], lr=0.1)\n"
FIXABLE = "import os\nx = 1  # noqa: HL101\n"  # HL002, with a safe fix

posix_only = pytest.mark.skipif(os.name != "posix", reason="symlinks, FIFOs and permissions as on POSIX")


def hyperlint(folder: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hyperlint", "check", "--output-format", "concise", "--no-cache", *args],
        cwd=folder, capture_output=True, text=True, timeout=120, **kwargs,
    )


def findings_by_file(stdout: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        if ": HL" in line:
            out.setdefault(line.split(":", 1)[0], []).append(line)
    return out


@posix_only
def test_symlink_loops_are_reported_and_never_followed(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "a.py").symlink_to("b.py")
    (tmp_path / "b.py").symlink_to("a.py")
    (tmp_path / "self.py").symlink_to("self.py")
    (tmp_path / "dangling.py").symlink_to("nowhere.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..", target_is_directory=True)  # a folder loop
    (tmp_path / "sub" / "again").symlink_to(tmp_path / "sub", target_is_directory=True)
    run = hyperlint(tmp_path, ".")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    found = findings_by_file(run.stdout)
    assert set(found) == {"train.py", "a.py", "b.py", "self.py", "dangling.py"}
    for name in ("a.py", "b.py", "self.py"):
        assert "HL001" in found[name][0] and "symbolic links" in found[name][0]
    assert "No such file" in found["dangling.py"][0]
    assert len(found["train.py"]) == 1  # checked once, not again through sub/up

    explicit = hyperlint(tmp_path, "self.py", "a.py", "train.py")
    assert explicit.returncode == 1 and "Traceback" not in explicit.stderr
    assert set(findings_by_file(explicit.stdout)) == {"self.py", "a.py", "train.py"}


@posix_only
@pytest.mark.parametrize("name", ["pipe.py", "pipe.ipynb"])
def test_a_fifo_named_py_is_refused_not_waited_on(tmp_path, name):
    os.mkfifo(tmp_path / name)  # reading it would block for ever: no writer ever comes
    (tmp_path / "train.py").write_text(TRAIN)
    run = hyperlint(tmp_path, ".")
    assert run.returncode == 1, run.stderr
    found = findings_by_file(run.stdout)
    assert "not a regular file (a FIFO)" in found[name][0]
    assert "HL101" in found["train.py"][0]


@posix_only
def test_a_symlink_to_a_device_is_refused_not_read(tmp_path):
    (tmp_path / "zero.py").symlink_to("/dev/zero")  # reading it would never end
    (tmp_path / "null.py").symlink_to("/dev/null")
    run = hyperlint(tmp_path, ".")
    assert run.returncode == 1, run.stderr
    found = findings_by_file(run.stdout)
    assert "not a regular file" in found["zero.py"][0] and "not a regular file" in found["null.py"][0]


def _nobody() -> tuple[int, int] | None:
    try:
        import pwd

        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except (ImportError, KeyError):
        return None


@posix_only
def test_unreadable_files_and_folders(tmp_path):
    """chmod 000 does not stop root: as root, the run is made with the effective user `nobody`
    (seteuid, in this process, after a first run has imported everything it needs from folders
    `nobody` may not read); as any other user it runs as that user."""
    as_root = os.geteuid() == 0
    nobody = _nobody()
    if as_root and nobody is None:
        pytest.skip("running as root and there is no `nobody` user to drop to")
    base = Path(tempfile.mkdtemp(prefix="hyperlint-perm-")) if as_root else tmp_path
    try:
        os.chmod(base, 0o755)
        for name in ("train.py", "secret.py", "zz_after.py"):
            (base / name).write_text(TRAIN)
        (base / "locked").mkdir()
        (base / "locked" / "inner.py").write_text(TRAIN)
        _run_check([base])  # warm-up with every permission: imports, caches
        os.chmod(base / "secret.py", 0)
        os.chmod(base / "locked", 0)
        if as_root:
            os.seteuid(nobody[0])
        try:
            outcomes = _run_check([base])
        finally:
            if as_root:
                os.seteuid(0)
        found = {Path(o.path).name: [(f.code, f.message) for f in o.findings] for o in outcomes}
        assert found["secret.py"] == [("HL001", "cannot read file: Permission denied")]
        assert found["locked"] == [("HL001", "cannot read folder: Permission denied")]
        assert [code for code, _ in found["train.py"]] == ["HL101"]
        assert [code for code, _ in found["zz_after.py"]] == ["HL101"]
        assert "inner.py" not in found
    finally:
        os.chmod(base / "locked", 0o755)
        if as_root:
            shutil.rmtree(base, ignore_errors=True)


def _run_check(paths, **kwargs):
    settings = Settings(root=Path(paths[0]) if Path(paths[0]).is_dir() else Path(paths[0]).parent)
    return runner.run_check(list(paths), settings, select_codes((), ()), **kwargs)


def test_a_file_deleted_during_the_run(tmp_path, monkeypatch):
    files = [tmp_path / f"f{i}.py" for i in range(3)]
    for path in files:
        path.write_text(TRAIN)
    real_discover = runner.discover

    def discover_then_delete(paths, settings, *args, **kwargs):
        found = list(real_discover(paths, settings, *args, **kwargs))
        files[1].unlink()  # gone between discovery and checking
        yield from found

    monkeypatch.setattr(runner, "discover", discover_then_delete)
    outcomes = _run_check([tmp_path])
    codes = {Path(o.path).name: [f.code for f in o.findings] for o in outcomes}
    assert codes == {"f0.py": ["HL101"], "f1.py": ["HL001"], "f2.py": ["HL101"]}
    deleted = next(o for o in outcomes if o.path.endswith("f1.py"))
    assert "No such file" in deleted.findings[0].message


@pytest.mark.parametrize("change", ["delete", "rewrite"])
def test_a_file_deleted_or_changed_while_being_fixed_is_not_written(tmp_path, monkeypatch, change):
    path = tmp_path / "train.py"
    path.write_text(FIXABLE)
    real_fix_text = runner.fix_text

    def fix_then_interfere(*args, **kwargs):
        outcome = real_fix_text(*args, **kwargs)
        if change == "delete":
            path.unlink()
        else:
            path.write_text(FIXABLE + "# edited meanwhile\n")
        return outcome

    monkeypatch.setattr(runner, "fix_text", fix_then_interfere)
    [outcome] = _run_check([path], fix=True)
    assert outcome.error is not None
    if change == "delete":
        assert not path.exists()  # not re-created
    else:
        assert path.read_text() == FIXABLE + "# edited meanwhile\n"  # the other edit is kept
    assert not list(tmp_path.glob(".*hyperlint-tmp"))


def test_a_path_that_does_not_exist(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN)
    run = hyperlint(tmp_path, "missing.py", "train.py")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    found = findings_by_file(run.stdout)
    assert "missing.py" in found and "HL101" in found["train.py"][0]
