"""common_prefix / common_suffix (block comparisons and a binary search) agree with a plain
character loop, across block boundaries, and single_edit built on them is the minimal edit."""
from __future__ import annotations

import random

from hyperlint.common_ends import common_prefix, common_suffix
from hyperlint.fixes import single_edit


def naive_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def naive_suffix(a: str, b: str, limit: int) -> int:
    n = 0
    while n < limit and a[len(a) - 1 - n] == b[len(b) - 1 - n]:
        n += 1
    return n


def test_they_agree_with_a_character_loop_around_block_boundaries():
    rng = random.Random(3)
    for size in (0, 1, 7, 4095, 4096, 4097, 9000, 12289):
        base = "".join(rng.choice("ab\n") for _ in range(size))
        for _ in range(12):
            a, b = base, base
            if size and rng.random() < 0.8:
                at = rng.randrange(size)
                b = base[:at] + rng.choice(["", "x", "ab", "\n\n"]) + base[at + rng.randrange(3):]
            prefix = common_prefix(a, b)
            assert prefix == naive_prefix(a, b)
            limit = min(len(a), len(b)) - prefix
            assert common_suffix(a, b, limit) == naive_suffix(a, b, limit)


def test_single_edit_is_the_changed_middle():
    old, new = "x = 1\n" * 2000, "x = 1\n" * 1000 + "y = 2\n" + "x = 1\n" * 1000
    edit = single_edit(old, new)
    assert (edit.start, edit.end, edit.content) == (6000, 6000, "y = 2\n")
    assert old[: edit.start] + edit.content + old[edit.end :] == new
    assert single_edit(old, old) is None
