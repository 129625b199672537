"""A content-hash cache of findings, in ``.hyperlint_cache/`` next to the configuration root.

An entry holds the findings of one file; its key is a digest of the file's bytes, its path, and
everything else that can change findings: the effective configuration
(``Settings.fingerprint()``), the enabled codes, hyperlint's version and a digest of its own
code and data (so editing a rule invalidates the cache even before the version changes), the
libcst and Python versions, and the shortcuts switched off. Entries are written to a temporary
file and renamed into place, so concurrent runs never see half an entry; an entry that cannot be
read or decoded is a miss and is rewritten. The folder holds a ``.gitignore`` of ``*``.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from hyperlint import __version__, shortcuts
from hyperlint.atomic import write_atomic
from hyperlint.finding import Finding
from hyperlint.finding_codec import findings_from_data, findings_to_data
from hyperlint.settings import Settings

FOLDER_NAME = ".hyperlint_cache"
FORMAT = "1"
KEEP_CONFIGURATIONS = 8  # sub-folders of other configurations kept (most recently used first)
# findings that say more about this run than about the file's content
UNCACHED_CODES = frozenset({"HL003", "HL004"})


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of hyperlint's own source and data files (the installed package)."""
    import hyperlint

    digest = hashlib.sha256(__version__.encode())
    roots = sorted({Path(p) for p in hyperlint.__path__} | _rules_paths())
    for root in roots:
        for file in sorted(root.rglob("*")):
            if file.suffix in (".py", ".json") and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(root)).encode())
                try:
                    digest.update(file.read_bytes())
                except OSError:
                    pass
    return digest.hexdigest()


def _rules_paths() -> set[Path]:
    import hyperlint.rules

    return {Path(p) for p in hyperlint.rules.__path__}


def _libcst_version() -> str:
    try:
        return metadata.version("libcst")
    except metadata.PackageNotFoundError:
        return "unknown"


def configuration_key(settings: Settings, enabled: set[str]) -> str:
    parts = [
        FORMAT,
        __version__,
        code_digest(),
        settings.fingerprint(),
        ",".join(sorted(enabled)),
        _libcst_version(),
        sys.version,
        ",".join(sorted(shortcuts.disabled_names())),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class FindingsCache:
    def __init__(self, root: Path, settings: Settings, enabled: set[str]) -> None:
        self.folder = Path(root) / FOLDER_NAME
        self.configuration = configuration_key(settings, enabled)
        self.entries = self.folder / self.configuration[:20]
        self._prepared = False
        self.hits = 0
        self.misses = 0

    # --- keys ------------------------------------------------------------------------------
    def key(self, path: Path, display: str, data: bytes) -> str:
        try:
            resolved = str(Path(path).resolve())
        except (OSError, RuntimeError):
            resolved = str(path)
        digest = hashlib.sha256(f"{self.configuration}\0{display}\0{resolved}\0".encode())
        digest.update(data)
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.entries / key[:2] / f"{key}.json"

    # --- reading ---------------------------------------------------------------------------
    def get(self, key: str) -> tuple[list[Finding], str | None] | None:
        """The cached findings and error of a file, or None (no entry, or one that cannot be
        read or decoded)."""
        try:
            text = self._entry(key).read_text("utf-8")
            header, _, body = text.partition("\n")
            if header != f"hyperlint-cache {FORMAT} {key}":
                raise ValueError("not an entry for this key")
            data = json.loads(body)
            error = data["error"]
            if error is not None and not isinstance(error, str):
                raise ValueError("bad error")
            findings = findings_from_data(data["findings"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
            self.misses += 1
            return None
        self.hits += 1
        return findings, error

    # --- writing ---------------------------------------------------------------------------
    def put(self, key: str, findings: list[Finding], error: str | None = None) -> bool:
        if any(f.code in UNCACHED_CODES for f in findings):
            return False
        data = findings_to_data(findings)
        if data is None:
            return False
        body = json.dumps({"error": error, "findings": data}, ensure_ascii=False, separators=(",", ":"))
        entry = self._entry(key)
        try:
            self._prepare()
            entry.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(entry, f"hyperlint-cache {FORMAT} {key}\n{body}".encode("utf-8"), durable=False)
        except OSError:
            return False  # a read-only checkout or a full disk: run without caching
        return True

    def _prepare(self) -> None:
        if self._prepared:
            return
        self._prepared = True
        new = not self.entries.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            _write_small(ignore, "# written by hyperlint: this folder is a cache\n*\n")
        tag = self.folder / "CACHEDIR.TAG"
        if not tag.exists():
            _write_small(tag, "Signature: 8a477f597d28d172789f06886806bc55\n# hyperlint's cache\n")
        self.entries.mkdir(exist_ok=True)
        os.utime(self.entries)
        if new:
            self._prune()

    def _prune(self) -> None:
        """Keep the sub-folders of the most recently used configurations only."""
        try:
            others = [p for p in self.folder.iterdir() if p.is_dir() and p != self.entries]
            others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return
        for old in others[KEEP_CONFIGURATIONS:]:
            shutil.rmtree(old, ignore_errors=True)


def _write_small(path: Path, text: str) -> None:
    try:
        write_atomic(path, text.encode("utf-8"), durable=False)
    except OSError:
        pass
