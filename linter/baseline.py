"""Baselines for adopting hyperlint in an existing code base.

``--write-baseline FILE`` records today's findings; ``--baseline FILE`` then reports only the
findings that are not in it. An entry is a finding's file (relative to the baseline's folder),
code and normalised source text; entries form a multiset, so a file with the same violation on
two identical lines needs two entries. Line numbers are not recorded: adding or removing lines
elsewhere in a file keeps its old findings matched.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Callable

from hyperlint.finding import Finding
from hyperlint.fingerprint import finding_keys
from hyperlint.atomic import write_atomic
from hyperlint.source import SourceText

FORMAT_VERSION = 1

SourceOf = Callable[[Finding], "SourceText | None"]


class BaselineError(Exception):
    """The baseline file cannot be read or is not a hyperlint baseline."""


def _relative_path(path: str, folder: Path) -> str:
    absolute = os.path.abspath(path)
    try:
        return Path(os.path.relpath(absolute, folder)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(absolute).as_posix()


def _entries(findings: list[Finding], source_of: SourceOf, folder: Path) -> list[tuple[str, str, str]]:
    keys = finding_keys(findings, source_of, lambda f: _relative_path(f.path, folder))
    return [(key.path, key.code, key.context) for key in keys]


def write_baseline(file: Path, findings: list[Finding], source_of: SourceOf) -> int:
    """Record ``findings`` in ``file``; returns the number of entries written."""
    folder = file.resolve().parent
    entries = sorted(
        (*entry, finding.message) for entry, finding in zip(_entries(findings, source_of, folder), findings)
    )
    data = {
        "hyperlint-baseline": FORMAT_VERSION,
        "findings": [{"path": p, "code": c, "source": s, "message": m} for p, c, s, m in entries],
    }
    write_atomic(file, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return len(entries)


def read_baseline(file: Path) -> Counter:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {file}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"baseline {file} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("hyperlint-baseline") != FORMAT_VERSION:
        raise BaselineError(f"{file} is not a hyperlint baseline (written by `hyperlint check --write-baseline`)")
    counts: Counter = Counter()
    for entry in data.get("findings", []):
        try:
            counts[(entry["path"], entry["code"], entry["source"])] += 1
        except (TypeError, KeyError):
            raise BaselineError(f"baseline {file}: malformed entry {entry!r}") from None
    return counts


def filter_new(file: Path, findings: list[Finding], source_of: SourceOf) -> tuple[list[Finding], int]:
    """The findings that are not in the baseline, and how many were matched by it."""
    remaining = read_baseline(file)
    folder = file.resolve().parent
    entries = _entries(findings, source_of, folder)
    new: list[Finding] = []
    matched = 0
    for entry, finding in zip(entries, findings):
        if remaining[entry] > 0:
            remaining[entry] -= 1
            matched += 1
        else:
            new.append(finding)
    return new, matched
