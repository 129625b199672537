"""--jobs: a process pool gives exactly the findings of a single process."""
from __future__ import annotations

from pathlib import Path

from perf_support import findings_json, run, write_project

from hyperlint.parallel import POOL_MIN_BYTES, Task, _chunks, check_files
from hyperlint.runner import lint_file_safely
from hyperlint.testing import make_linter


def test_jobs_give_the_findings_of_one_process(tmp_path):
    project = write_project(tmp_path / "p")
    assert sum(p.stat().st_size for p in project.glob("*.py")) >= POOL_MIN_BYTES  # the pool really runs
    single = findings_json("--jobs", "1", "--no-cache", cwd=project)
    parallel = findings_json("--jobs", "2", "--no-cache", cwd=project)
    default = findings_json("--no-cache", cwd=project)
    assert single == parallel == default
    codes = {f["code"] for f in single}
    assert {"HL001", "HL002", "HL101"} <= codes


def test_the_pool_in_process_matches_and_keeps_the_order(tmp_path, monkeypatch):
    project = write_project(tmp_path / "p", files=6, filler=5)
    monkeypatch.chdir(project)
    monkeypatch.setattr("hyperlint.parallel.POOL_MIN_BYTES", 0)
    linter = make_linter()
    paths = sorted(Path(".").glob("*.py"))
    task = Task(lint_one=lint_file_safely)
    alone = check_files(linter, paths, task, jobs=1)
    pooled = check_files(linter, paths, task, jobs=2)
    assert [o.path for o in pooled] == [str(p) for p in paths]
    assert [o.findings for o in pooled] == [o.findings for o in alone]
    assert [o.error for o in pooled] == [o.error for o in alone]
    # files without findings carry no source text back from the workers
    assert all((o.source is None) == (not o.findings) for o in pooled)


def test_chunks_start_with_the_largest_files_and_cover_every_file():
    misses = [(i, Path(f"f{i}.py"), size) for i, size in enumerate([10, 5000, 20, 3000, 1, 1, 1, 800])]
    chunks = _chunks(misses, jobs=2)
    assert chunks[0][0][0] == 1  # the 5000-byte file goes first
    assert sorted(i for chunk in chunks for i, _ in chunk) == list(range(8))


def test_jobs_must_be_positive(tmp_path):
    result = run("check", ".", "--jobs", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "--jobs" in result.stderr


def test_fix_with_jobs_writes_every_file(tmp_path):
    project = write_project(tmp_path / "p")
    noisy = project / "train_00.py"
    assert "# noqa: HL101" in noisy.read_text()
    result = run("check", ".", "--fix", "--jobs", "2", "--no-cache", "--select", "HL002", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    assert "# noqa" not in noisy.read_text()
    assert [f["code"] for f in findings_json("--select", "HL002", "--no-cache", cwd=project)] == ["HL001"]


def _lint_or_crash(linter, path, fix=False, unsafe=False, diff=False):
    """A lint_one for the pool that kills its worker process on crash.py."""
    import os

    if path.name == "crash.py":
        os._exit(3)
    return lint_file_safely(linter, path, fix, unsafe, diff)


def test_a_dying_worker_costs_only_its_file(tmp_path, monkeypatch):
    project = write_project(tmp_path / "p", files=5, filler=5)
    (project / "crash.py").write_text("x = 1\n")
    monkeypatch.chdir(project)
    monkeypatch.setattr("hyperlint.parallel.POOL_MIN_BYTES", 0)
    linter = make_linter()
    paths = sorted(Path(".").glob("*.py"))
    alone = check_files(linter, [p for p in paths if p.name != "crash.py"], Task(lint_one=lint_file_safely), jobs=1)
    pooled = check_files(linter, paths, Task(lint_one=_lint_or_crash), jobs=2)
    by_path = {o.path: o for o in pooled}
    assert [f.code for f in by_path["crash.py"].findings] == ["HL004"]
    assert [o.findings for o in pooled if o.path != "crash.py"] == [o.findings for o in alone]
