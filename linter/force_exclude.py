"""``--force-exclude``: apply ``exclude``/``extend-exclude`` to files named on the command line.

pre-commit passes every staged file explicitly; without this a file the configuration excludes
(``tests/``, generated code) would be linted anyway, as it is when a user names it by hand.
"""
from __future__ import annotations

from pathlib import Path

from hyperlint.settings import Settings, matches_any


def is_excluded(path: Path, settings: Settings) -> bool:
    patterns = tuple(settings.exclude) + tuple(settings.extend_exclude)
    if not patterns:
        return False
    root = settings.root.resolve()
    try:
        relative = path.resolve().relative_to(root)
    except (ValueError, OSError):
        return matches_any(path, patterns, settings.root) or path.name in patterns
    # the file itself or any folder between the project root and it
    candidates = [root.joinpath(*relative.parts[: i + 1]) for i in range(len(relative.parts))]
    return any(matches_any(c, patterns, settings.root) or c.name in patterns for c in candidates)


def drop_excluded(paths: list[Path], settings: Settings) -> list[Path]:
    """``paths`` without the files that the configuration excludes (folders are kept: discovery
    applies the exclusions inside them)."""
    return [p for p in paths if p.is_dir() or not is_excluded(p, settings)]
