"""Replacing a file so that an interruption leaves the old or the new content, never a mix."""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` through a temporary file renamed over it. ``durable`` (a
    user's file): follow a symlink to its target, keep the mode and owner, and sync the data and
    the rename to disk. Without it (a cache entry hyperlint owns) only the rename is atomic."""
    path = Path(path)
    target = path.resolve() if durable else path
    mode = 0o644
    if durable:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            pass
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".hyperlint-tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.chmod(temp, mode)
        if durable:
            _keep_owner(temp, target)
        os.replace(temp, target)
        if durable:
            _sync_directory(target.parent)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _keep_owner(temp: str, target: Path) -> None:
    """Give the new file the old one's owner and group where we may (as root, or our own group)."""
    try:
        info = os.stat(target)
        if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
            os.chown(temp, info.st_uid, info.st_gid)
    except (OSError, AttributeError):
        pass


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
