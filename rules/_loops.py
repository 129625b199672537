"""The iteration count of a ``for`` loop: ``range(N)``, ``range(1, N + 1)``, ``tqdm(range(N))``."""
from __future__ import annotations

import libcst as cst

from hyperlint.facts.names import dotted

_WRAPPERS = frozenset({"tqdm", "trange", "enumerate", "tqdm.tqdm", "tqdm.auto.tqdm", "tqdm.notebook.tqdm", "progress_bar",
                       "track", "rich.progress.track", "mmcv.track_iter_progress", "islice", "itertools.islice"})


def loop_count(node: cst.For) -> cst.BaseExpression | None:
    """The expression that sets how many times the loop runs, if it is a range count."""
    iterable = node.iter
    for _ in range(3):
        if not isinstance(iterable, cst.Call):
            return None
        name = dotted(iterable.func) or ""
        positional = [a for a in iterable.args if a.keyword is None and not a.star]
        if name in ("range", "trange", "tqdm.trange", "tqdm.auto.trange"):
            if len(positional) == 1:
                return positional[0].value
            if len(positional) in (2, 3):
                return positional[1].value
            return None
        if name in _WRAPPERS or name.rsplit(".", 1)[-1] in ("tqdm", "track"):
            if not positional:
                return None
            iterable = positional[0].value
            continue
        return None
    return None
