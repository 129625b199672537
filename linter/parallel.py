"""Checking many files: the cache first, then the files that missed it, in a process pool.

The main process reads each file once to look it up in the cache (nothing to parse on a warm
run). The misses are sorted largest first and cut into chunks, so the big files start early and
the workers finish together; each worker builds its own ``Linter`` from the settings and codes
and returns slim outcomes (no source text for files without findings). A worker that dies takes
only the file it was checking with it: the rest is re-run one file at a time.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from hyperlint.cache import FindingsCache
from hyperlint.finding import Applicability, Finding, Fix, Position
from hyperlint.fixes import applicable
from hyperlint.source import DecodeError, SourceText, read_source_file

if TYPE_CHECKING:
    from hyperlint.engine import Linter
    from hyperlint.progress import Progress
    from hyperlint.runner import FileOutcome

INTERNAL_ERROR = "HL004"
# below this much source, starting worker processes costs more than it saves
POOL_MIN_BYTES = 256 * 1024
CHUNK_MAX_FILES = 32


def default_jobs() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


@dataclass(frozen=True)
class Task:
    """What to do with every file of a run (the same in every worker).

    ``lint_one(linter, path, fix, unsafe, diff) -> FileOutcome`` checks one file; it must be a
    module-level function (it is sent to the workers by name). By default ``runner.lint_file``.
    """

    fix: bool = False
    unsafe: bool = False
    diff: bool = False
    lint_one: Callable | None = None


def check_files(
    linter: "Linter",
    paths: Sequence[Path],
    task: Task,
    jobs: int = 1,
    cache: FindingsCache | None = None,
    progress: "Progress | None" = None,
) -> list["FileOutcome"]:
    """One outcome per path, in the order of ``paths``."""
    outcomes: list["FileOutcome | None"] = [None] * len(paths)
    misses: list[tuple[int, Path, int]] = []  # (index, path, size)
    for index, path in enumerate(paths):
        hit, size = _lookup(cache, path, task) if cache is not None else (None, _size(path))
        if hit is not None:
            outcomes[index] = hit
            if progress is not None:
                progress.advance()
        else:
            misses.append((index, path, size))
    total = sum(size for _, _, size in misses)
    if jobs > 1 and len(misses) > 1 and total >= POOL_MIN_BYTES:
        for index, outcome in _run_pool(linter, misses, task, jobs, cache, progress):
            outcomes[index] = outcome
    else:
        with _quiet_gc() as collector:
            for index, path, _ in misses:
                outcomes[index] = check_one(linter, path, task, cache)
                collector.file_done()
                if progress is not None:
                    progress.advance()
    return outcomes  # type: ignore[return-value]


def check_one(linter: "Linter", path: Path, task: Task, cache: FindingsCache | None) -> "FileOutcome":
    lint_one = task.lint_one
    if lint_one is None:
        from hyperlint.runner import lint_file as lint_one
    outcome = lint_one(linter, path, task.fix, task.unsafe, task.diff)
    if cache is not None:
        _store(cache, path, outcome, task)
    if not outcome.findings and not outcome.fixed and not outcome.diff:
        outcome.source = None  # nothing will show it; do not keep (or send) the text
    return outcome


# --- the cache ------------------------------------------------------------------------------
def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _cacheable(path: Path) -> bool:
    return path.suffix.lower() != ".ipynb"  # a notebook's findings map through its cells


def _lookup(cache: FindingsCache, path: Path, task: Task) -> tuple["FileOutcome | None", int]:
    from hyperlint.runner import FileOutcome, display_path

    if not _cacheable(path):
        return None, _size(path)
    try:
        data = read_source_file(path)  # refuses FIFOs and devices rather than blocking on them
    except OSError:
        return None, 0
    display = display_path(path)
    found = cache.get(cache.key(path, display, data))
    if found is None:
        return None, len(data)
    findings, error = found
    if (task.fix or task.diff) and any(applicable(f, task.unsafe) for f in findings):
        return None, len(data)  # there is something to fix: run the fixer
    source = None
    if findings:
        try:
            source = SourceText.from_bytes(data)
        except DecodeError:
            return None, len(data)
    return FileOutcome(display, findings, source, error=error), len(data)


def _store(cache: FindingsCache, path: Path, outcome: "FileOutcome", task: Task) -> None:
    if outcome.source is None or not _cacheable(path):
        return
    if task.fix and not task.diff and outcome.error is not None:
        return  # fixing stopped early, or the file changed under us
    # the findings belong to this text: the original, or the fixed text just written
    try:
        data = outcome.source.to_bytes()
    except (UnicodeError, LookupError):
        return
    cache.put(cache.key(path, outcome.path, data), outcome.findings, outcome.error)


# --- the pool -------------------------------------------------------------------------------
_worker_state: tuple | None = None


def _init_worker(settings, enabled, task: Task, cache: FindingsCache | None) -> None:
    from hyperlint.engine import Linter

    global _worker_state
    _worker_state = (Linter(settings, enabled), task, cache)
    gc.freeze()  # what the worker inherited or imported is never garbage: stop rescanning it


def _run_chunk(chunk: list[tuple[int, Path]]) -> list[tuple[int, "FileOutcome"]]:
    assert _worker_state is not None
    linter, task, cache = _worker_state
    results = []
    with _quiet_gc() as collector:
        for index, path in chunk:
            results.append((index, check_one(linter, path, task, cache)))
            collector.file_done()
    return results


def _chunks(misses: list[tuple[int, Path, int]], jobs: int) -> list[list[tuple[int, Path]]]:
    """Largest files first; a chunk holds about 1/(8*jobs) of the bytes, or fewer files."""
    ordered = sorted(misses, key=lambda item: -item[2])
    budget = max(sum(size for _, _, size in ordered) // (jobs * 8), 1)
    chunks: list[list[tuple[int, Path]]] = []
    current: list[tuple[int, Path]] = []
    current_bytes = 0
    for index, path, size in ordered:
        current.append((index, path))
        current_bytes += size
        if current_bytes >= budget or len(current) >= CHUNK_MAX_FILES:
            chunks.append(current)
            current, current_bytes = [], 0
    if current:
        chunks.append(current)
    return chunks


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")  # no re-import: the workers start at once
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _run_pool(linter, misses, task: Task, jobs: int, cache, progress) -> list[tuple[int, "FileOutcome"]]:
    results: list[tuple[int, "FileOutcome"]] = []
    pending = _chunks(misses, jobs)
    workers = min(jobs, len(pending))
    while pending:
        unfinished = _pool_pass(linter, pending, task, workers, cache, progress, results)
        if not unfinished:
            break
        if workers == 1:
            # one worker takes the chunks in order: the first unfinished one killed it
            index, path = unfinished[0][0]
            results.append((index, _crashed(path)))
            if progress is not None:
                progress.advance()
            left = [item for chunk in unfinished for item in chunk][1:]
        else:
            left = [item for chunk in unfinished for item in chunk]
        # a worker died: go on one file at a time in a single worker, so that the next death
        # points at the file that causes it
        pending = [[item] for item in left]
        workers = 1
    return results


def _pool_pass(linter, chunks, task, workers, cache, progress, results) -> list[list[tuple[int, Path]]]:
    """Run ``chunks``, adding to ``results``; the chunks that did not finish because a worker
    died, in submission order (none when all went well)."""
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_context(),
        initializer=_init_worker,
        initargs=(linter.settings, linter.enabled, task, cache),
    )
    futures = {}
    harvested: set = set()

    def harvest(future) -> None:
        harvested.add(future)
        chunk_results = future.result()
        results.extend(chunk_results)
        if progress is not None:
            progress.advance(len(chunk_results))

    try:
        for chunk in chunks:
            futures[executor.submit(_run_chunk, chunk)] = chunk
        remaining = set(futures)
        while remaining:
            finished, remaining = wait(remaining, return_when=FIRST_COMPLETED)
            for future in finished:
                if isinstance(future.exception(), BrokenProcessPool):
                    for other in futures:  # keep what finished before the pool broke
                        if other not in harvested and other.done() and not _failed(other):
                            harvest(other)
                    return [chunk for f, chunk in futures.items() if f not in harvested]
                harvest(future)
        return []
    except BaseException:  # Ctrl-C: stop the workers now rather than after their chunks
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _failed(future) -> bool:
    return future.done() and not future.cancelled() and future.exception() is not None


def _crashed(path: Path) -> "FileOutcome":
    from hyperlint.runner import FileOutcome, display_path

    display = display_path(path)
    message = "internal error: the process checking this file crashed; please report it"
    finding = Finding(
        INTERNAL_ERROR, message, display, Position(1, 1), Position(1, 1),
        Fix("This is a bug in hyperlint (or libcst), not in your code.", Applicability.DISPLAY_ONLY), 1,
    )
    return FileOutcome(display, [finding], error=message)


class _quiet_gc:
    """Cyclic garbage collection once per file instead of thousands of times during it.

    Parsing allocates a node at a time, and CPython's collector rescans the young nodes again
    and again while a big file's tree is being built, although none of them can be garbage yet.
    With the collector off during the batch and one young-generation collection after each file
    (which frees that file's tree: the facts hold it in reference cycles), a run is about a
    tenth faster.
    """

    def __enter__(self) -> "_quiet_gc":
        self.was_enabled = gc.isenabled()
        gc.disable()
        return self

    def file_done(self) -> None:
        gc.collect(0)

    def __exit__(self, *exc) -> None:
        if self.was_enabled:
            gc.enable()
