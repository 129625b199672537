"""The common beginning and end of two texts, found with slice comparisons (C-speed memcmp over
blocks, then a binary search in the block that differs) instead of a loop over characters."""
from __future__ import annotations

_BLOCK = 4096


def common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of ``a`` and ``b``."""
    limit = min(len(a), len(b))
    low = 0
    while low + _BLOCK <= limit and a[low : low + _BLOCK] == b[low : low + _BLOCK]:
        low += _BLOCK
    high = min(low + _BLOCK, limit)
    while low < high:  # a[:low] == b[:low], and they differ before ``high`` if anywhere
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def common_suffix(a: str, b: str, limit: int) -> int:
    """The length of the longest common suffix of ``a`` and ``b``, at most ``limit``."""
    size = 0
    la, lb = len(a), len(b)
    while size + _BLOCK <= limit and a[la - size - _BLOCK : la - size] == b[lb - size - _BLOCK : lb - size]:
        size += _BLOCK
    high = min(size + _BLOCK, limit)
    while size < high:
        middle = (size + high + 1) // 2
        if a[la - middle : la - size] == b[lb - middle : lb - size]:
            size = middle
        else:
            high = middle - 1
    return size
