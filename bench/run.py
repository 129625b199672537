"""hyperlint's speed on a large real corpus, as ratios to libcst's own parse, in one run.

    python bench/run.py                 # everything; Fixit and TorchFix if bench/.venv has them
    python bench/run.py --setup-peers   # first create bench/.venv with fixit==2.2.1 torchfix==0.7.0

The corpus is the ``.py`` files of the pinned ``transformers==5.24.0`` wheel, downloaded with pip
into bench/.cache/ (and a quarter of them, every fourth file, for the slow peers). Every
measurement is a separate process, timed from outside (wall and CPU time, peak resident memory of
the largest process of its tree, from ``os.wait4``):

- bare ``libcst.parse_module`` of the same files in one process (the baseline of every ratio);
- hyperlint cold (empty cache) with ``--jobs 1`` and with the default jobs (all cores), then warm
  (nothing changed);
- Fixit (``fixit lint``) and TorchFix (``torchfix``) on the quarter, beside hyperlint and the bare
  parse on the same quarter, when bench/.venv has them.

Then the equivalence check: the complete findings (JSON) over the whole corpus with every
shortcut on, with all of them off and with each one off alone, and from the warm cache and from
one process; any difference fails the run (exit 1). The table is printed and written to
bench/results/ as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CACHE = BENCH / ".cache"
RESULTS = BENCH / "results"
PEERS_VENV = BENCH / ".venv"
PACKAGE, VERSION = "transformers", "5.24.0"
PEERS = ("fixit==2.2.1", "torchfix==0.7.0")
SHORTCUTS_VARIABLE = "HYPERLINT_NO_SHORTCUTS"

TARGETS = {
    "cold --jobs 1 / bare parse": 1.5,
    "cold default jobs / bare parse": 0.8,
    "warm / cold (default jobs)": 0.05,
    "hyperlint / Fixit (quarter)": 0.2,
    "hyperlint / TorchFix (quarter)": 0.2,
    "peak memory per process (MB)": 250,
}


@dataclass
class Measurement:
    name: str
    corpus: str
    command: list[str]
    wall: float
    cpu: float
    peak_mb: float
    returncode: int
    files: int
    note: str = ""
    output: str = field(default="", repr=False)


# --- the corpus -----------------------------------------------------------------------------
def download_wheel() -> Path:
    wheels = CACHE / "wheels"
    found = sorted(wheels.glob(f"{PACKAGE}-{VERSION}-*.whl"))
    if found:
        return found[0]
    wheels.mkdir(parents=True, exist_ok=True)
    print(f"downloading {PACKAGE}=={VERSION} with pip ...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
         f"{PACKAGE}=={VERSION}", "-d", str(wheels)],
        check=True,
    )
    found = sorted(wheels.glob(f"{PACKAGE}-{VERSION}-*.whl"))
    if not found:
        raise SystemExit(f"pip did not leave a {PACKAGE} {VERSION} wheel in {wheels}")
    return found[0]


def unpack(wheel: Path) -> tuple[Path, Path]:
    """The full corpus and its quarter (every fourth file in sorted order), each with a
    hyperlint.toml so that it is its own configuration root (and holds its own cache)."""
    full = CACHE / "corpus" / f"{PACKAGE}-{VERSION}"
    quarter = CACHE / "corpus" / f"{PACKAGE}-{VERSION}-quarter"
    marker = full / ".unpacked"
    if not marker.exists():
        shutil.rmtree(full, ignore_errors=True)
        shutil.rmtree(quarter, ignore_errors=True)
        with zipfile.ZipFile(wheel) as archive:
            names = sorted(n for n in archive.namelist() if n.endswith(".py"))
            for name in names:
                target = full / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
            for name in names[::4]:
                target = quarter / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
        marker.write_text(wheel.name + "\n")
    for root in (full, quarter):
        (root / "hyperlint.toml").write_text("# the bench corpus: hyperlint's defaults\n[tool.hyperlint]\n")
        # a project root for Fixit's file walker, so that it does not apply this repository's
        # .gitignore (which lists bench/.cache/) and skip every file
        (root / "pyproject.toml").write_text("# the bench corpus (a project root for the peers' file walkers)\n")
    return full, quarter


def manifest(corpus: Path) -> Path:
    """The files hyperlint checks in ``corpus`` (its own discovery), one per line."""
    from hyperlint.discovery import discover
    from hyperlint.settings import resolve_settings

    settings = resolve_settings(corpus)
    paths = [str(item.path) for item in discover([corpus], settings) if item.error is None]
    target = CACHE / f"{corpus.name}.manifest"
    target.write_text("\n".join(paths) + "\n", "utf-8")
    every = sum(1 for _ in corpus.rglob("*.py"))
    if every != len(paths):
        print(f"note: hyperlint checks {len(paths)} of the {every} .py files in {corpus.name}", flush=True)
    return target


# --- measuring ------------------------------------------------------------------------------
def measure(name: str, corpus: str, command: list[str], files: int, env: dict | None = None,
            keep_output: bool = False, cwd: Path | None = None) -> Measurement:
    environment = dict(os.environ)
    environment.update(env or {})
    out_path = CACHE / "last-output.txt"
    load = os.getloadavg()[0]
    print(f"  {name} (load {load:.1f}) ...", end="", flush=True)
    with open(out_path, "wb") as out, open(CACHE / "last-stderr.txt", "wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=environment, cwd=cwd or REPO)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss of a waited child covers its own waited children: the largest process of the tree
    peak_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 1024 / 1024
    result = Measurement(name, corpus, command, wall, usage.ru_utime + usage.ru_stime, peak_mb,
                         process.returncode, files, note=f"load average {load:.1f} before")
    if keep_output:
        result.output = out_path.read_text("utf-8", "replace")
    print(f" {wall:7.1f}s wall {result.cpu:7.1f}s cpu {peak_mb:6.0f} MB peak (exit {process.returncode})", flush=True)
    if process.returncode not in (0, 1):
        tail = (CACHE / "last-stderr.txt").read_text("utf-8", "replace")[-2000:]
        print(f"    exit {process.returncode}; stderr ends with:\n{tail}", flush=True)
    return result


def hyperlint_command(corpus: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "hyperlint", "check", str(corpus), "--output-format", "json", *extra]


def clear_cache(corpus: Path) -> None:
    shutil.rmtree(corpus / ".hyperlint_cache", ignore_errors=True)


def peer_tool(name: str) -> Path | None:
    candidate = PEERS_VENV / ("Scripts" if os.name == "nt" else "bin") / name
    return candidate if candidate.exists() else None


def setup_peers() -> None:
    if not (PEERS_VENV / "bin" / "python").exists():
        print(f"creating {PEERS_VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    subprocess.run([str(PEERS_VENV / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                    *PEERS], check=True)


# --- equivalence ----------------------------------------------------------------------------
def canonical(output: str) -> list[str]:
    try:
        findings = json.loads(output)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"hyperlint's JSON output could not be read: {exc}") from None
    return sorted(json.dumps(f, sort_keys=True) for f in findings)


def compare(label: str, reference: list[str], other: list[str]) -> dict:
    ref, oth = set(reference), set(other)
    missing, extra = sorted(ref - oth), sorted(oth - ref)
    count_mismatch = len(reference) != len(other)
    differences = len(missing) + len(extra) + (1 if count_mismatch and not (missing or extra) else 0)
    status = "same" if not differences else f"{differences} DIFFERENCES"
    print(f"  {label:52} {len(other):6} findings  {status}", flush=True)
    for line in (missing[:3] + extra[:3]):
        print(f"      {'-' if line in missing else '+'} {line[:300]}")
    return {"comparison": label, "findings": len(other), "missing": len(missing), "extra": len(extra),
            "differences": differences}


# --- the run --------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup-peers", action="store_true",
                        help=f"create {PEERS_VENV.relative_to(REPO)} with {' '.join(PEERS)} first")
    parser.add_argument("--skip-peers", action="store_true", help="do not run Fixit and TorchFix")
    parser.add_argument("--peers-on-full-corpus", action="store_true",
                        help="also run Fixit and TorchFix on all the files (slow: minutes each)")
    parser.add_argument("--skip-equivalence", action="store_true", help="timings only")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="time hyperlint and the bare parse N times, interleaved, and keep the fastest")
    args = parser.parse_args()

    if args.setup_peers:
        setup_peers()
    CACHE.mkdir(parents=True, exist_ok=True)
    full, quarter = unpack(download_wheel())
    full_manifest, quarter_manifest = manifest(full), manifest(quarter)
    n_full = len(full_manifest.read_text().splitlines())
    n_quarter = len(quarter_manifest.read_text().splitlines())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"corpus: {n_full} files ({sum(Path(p).stat().st_size for p in full_manifest.read_text().split()) / 1e6:.1f} MB), "
          f"quarter: {n_quarter} files; {cores} cores; load average {os.getloadavg()[0]:.1f}", flush=True)

    bare = [sys.executable, str(BENCH / "bare_parse.py")]
    trials: dict[str, list[Measurement]] = {}

    def timed(name: str, corpus: str, command: list[str], files: int, cold: Path | None = None,
              keep_output: bool = False) -> None:
        if cold is not None:
            clear_cache(cold)
        trials.setdefault(name, []).append(measure(name, corpus, command, files, keep_output=keep_output))

    for round_ in range(args.repeat):
        print(f"full corpus{f' (round {round_ + 1} of {args.repeat})' if args.repeat > 1 else ''}:", flush=True)
        timed("bare libcst parse, one process", "full", [*bare, str(full_manifest)], n_full)
        timed("hyperlint cold --jobs 1", "full", hyperlint_command(full, "--jobs", "1"), n_full, cold=full,
              keep_output=round_ == 0)
        timed("hyperlint cold default jobs", "full", hyperlint_command(full), n_full, cold=full, keep_output=round_ == 0)
        timed("hyperlint warm default jobs", "full", hyperlint_command(full), n_full, keep_output=round_ == 0)
        print("quarter:", flush=True)
        timed("bare libcst parse, one process (quarter)", "quarter", [*bare, str(quarter_manifest)], n_quarter)
        timed("hyperlint cold default jobs (quarter)", "quarter", hyperlint_command(quarter), n_quarter, cold=quarter)
    peers_available = {"Fixit": peer_tool("fixit"), "TorchFix": peer_tool("torchfix")}
    if not args.skip_peers:
        for label, tool in peers_available.items():
            if tool is None:
                print(f"  {label}: not installed (python bench/run.py --setup-peers)", flush=True)
                continue
            command = [str(tool), "lint", str(quarter)] if label == "Fixit" else [str(tool), str(quarter)]
            timed(f"{label} (quarter)", "quarter", command, n_quarter)
            if args.peers_on_full_corpus:
                command = [str(tool), "lint", str(full)] if label == "Fixit" else [str(tool), str(full)]
                timed(f"{label} (full)", "full", command, n_full)
    # the fastest of the rounds: other load on the machine only ever slows a run down
    runs: list[Measurement] = [min(found, key=lambda r: r.wall) for found in trials.values()]
    by_name = {r.name: r for r in runs}
    outputs = {name: found[0].output for name, found in trials.items() if found[0].output}

    # --- ratios and targets
    parse = by_name["bare libcst parse, one process"].wall
    parse_quarter = by_name["bare libcst parse, one process (quarter)"].wall
    cold1 = by_name["hyperlint cold --jobs 1"].wall
    cold = by_name["hyperlint cold default jobs"].wall
    warm = by_name["hyperlint warm default jobs"].wall
    hyper_quarter = by_name["hyperlint cold default jobs (quarter)"].wall
    ratios = {
        "cold --jobs 1 / bare parse": cold1 / parse,
        "cold default jobs / bare parse": cold / parse,
        "warm / cold (default jobs)": warm / cold,
    }
    for label in ("Fixit", "TorchFix"):
        peer = by_name.get(f"{label} (quarter)")
        if peer is not None:
            ratios[f"hyperlint / {label} (quarter)"] = hyper_quarter / peer.wall
            ratios[f"{label} / bare parse (quarter)"] = peer.wall / parse_quarter
    ratios["peak memory per process (MB)"] = max(r.peak_mb for r in runs if r.name.startswith("hyperlint"))

    print()
    print(f"{'measurement':44} {'files':>6} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'/ bare parse':>12}")
    for r in runs:
        base = parse if r.corpus == "full" else parse_quarter
        print(f"{r.name:44} {r.files:6} {r.wall:8.1f} {r.cpu:8.1f} {r.peak_mb:8.0f} {r.wall / base:12.2f}")
    print()
    failed_targets = []
    print(f"{'target':44} {'measured':>10} {'limit':>8}")
    for label, value in ratios.items():
        limit = TARGETS.get(label)
        verdict = "" if limit is None else ("ok" if value <= limit else "MISSED")
        if verdict == "MISSED":
            failed_targets.append(label)
        print(f"{label:44} {value:10.3f} {'' if limit is None else limit:>8} {verdict}")

    # --- equivalence
    comparisons = []
    if not args.skip_equivalence:
        print("\nequivalence over the full corpus (complete findings, JSON):", flush=True)
        from hyperlint.shortcuts import EDITOR_ONLY, NAMES

        reference = canonical(outputs["hyperlint cold default jobs"])
        comparisons.append(compare("--jobs 1 vs default jobs", reference, canonical(outputs["hyperlint cold --jobs 1"])))
        comparisons.append(compare("warm cache vs cold", reference, canonical(outputs["hyperlint warm default jobs"])))
        for switched_off in ("all", *(name for name in NAMES if name not in EDITOR_ONLY)):
            run = measure(f"shortcuts off: {switched_off}", "full", hyperlint_command(full, "--no-cache"), n_full,
                          env={SHORTCUTS_VARIABLE: switched_off}, keep_output=True)
            runs.append(run)
            comparisons.append(compare(f"every shortcut on vs off: {switched_off}", reference, canonical(run.output)))
        print("  every node, every 8th file: light-constructor tree and fast positions vs libcst's ...", end="", flush=True)
        checked = subprocess.run([sys.executable, str(BENCH / "check_positions.py"), str(full_manifest), "8"],
                                 capture_output=True, text=True, cwd=REPO)
        try:
            positions = json.loads(checked.stdout.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            positions = {"files": 0, "nodes": 0, "differences": 1, "examples": [checked.stderr[-500:]]}
        print(f" {positions['nodes']} nodes in {positions['files']} files: "
              f"{'same' if not positions['differences'] else str(positions['differences']) + ' DIFFERENCES'}")
        comparisons.append({"comparison": "tree (deep_equals) and positions vs libcst's (every node, every 8th file)",
                            "findings": positions["nodes"], "missing": 0, "extra": 0,
                            "differences": positions["differences"], "examples": positions["examples"]})
    differences = sum(c["differences"] for c in comparisons)

    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "corpus": f"{PACKAGE}=={VERSION}",
        "files": {"full": n_full, "quarter": n_quarter},
        "machine": {"cores": cores, "platform": platform.platform(), "python": platform.python_version(),
                    "load_average_at_start": os.getloadavg()[0]},
        "runs": [{k: v for k, v in asdict(r).items() if k != "output"} for r in runs],
        "all_trials": {name: [{"wall": r.wall, "cpu": r.cpu, "peak_mb": r.peak_mb, "load_before": r.note}
                              for r in found] for name, found in trials.items()},
        "ratios": ratios,
        "targets": TARGETS,
        "missed_targets": failed_targets,
        "equivalence": comparisons,
        "differences": differences,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for target in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(REPO) / f'bench-{stamp}.json'}")
    if differences:
        print(f"EQUIVALENCE CHECK FAILED: {differences} differences")
        return 1
    if comparisons:
        print("equivalence check: no differences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
