"""Which files to lint: folders recursed, .gitignore and exclude honoured (Ruff's rules)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pathspec

from hyperlint.settings import Settings, matches_any

SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass(frozen=True)
class Discovered:
    path: Path
    error: str | None = None  # a folder or file that could not be read


def _gitignore_spec(folder: Path) -> pathspec.PathSpec | None:
    ignore_file = folder / ".gitignore"
    try:
        lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


class _Ignores:
    """The .gitignore files from the repository root down to a folder."""

    def __init__(self) -> None:
        self._cache: dict[Path, pathspec.PathSpec | None] = {}

    def spec(self, folder: Path):
        if folder not in self._cache:
            self._cache[folder] = _gitignore_spec(folder)
        return self._cache[folder]

    def ignored(self, path: Path, is_dir: bool, stop: Path) -> bool:
        for folder in (path.parent, *path.parent.parents):
            spec = self.spec(folder)
            if spec is not None:
                relative = path.relative_to(folder).as_posix() + ("/" if is_dir else "")
                if spec.match_file(relative):
                    return True
            if folder == stop or (folder / ".git").exists():
                break
        return False


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        return path.absolute()


def discover(paths: list[Path], settings: Settings, suffixes: tuple[str, ...] = SOURCE_SUFFIXES) -> Iterator[Discovered]:
    excludes = tuple(settings.exclude) + tuple(settings.extend_exclude)
    ignores = _Ignores()
    seen: set[Path] = set()

    def excluded(path: Path, is_dir: bool, stop: Path) -> bool:
        if matches_any(path, excludes, settings.root) or path.name in excludes:
            return True
        return settings.respect_gitignore and ignores.ignored(path.absolute(), is_dir, stop.absolute())

    for given in paths:
        if not given.exists() and not given.is_symlink():
            yield Discovered(given, "no such file or directory")
            continue
        if given.is_file() or not given.is_dir():
            # a file named explicitly is always linted, like Ruff without --force-exclude
            resolved = _resolved(given)
            if resolved not in seen:
                seen.add(resolved)
                yield Discovered(given)
            continue
        root = given
        errors: list[OSError] = []
        for folder, dirs, files in os.walk(root, onerror=errors.append):
            folder_path = Path(folder)
            dirs[:] = sorted(
                d for d in dirs if not excluded(folder_path / d, True, root)
            )
            for name in sorted(files):
                if not name.endswith(suffixes):
                    continue
                path = folder_path / name
                if excluded(path, False, root):
                    continue
                resolved = _resolved(path)
                if resolved in seen:
                    continue
                seen.add(resolved)
                yield Discovered(path)
            while errors:
                error = errors.pop()
                yield Discovered(Path(error.filename or folder), f"cannot read folder: {error.strerror or error}")
        while errors:
            error = errors.pop()
            yield Discovered(Path(error.filename or root), f"cannot read folder: {error.strerror or error}")
