"""The hyperparameter catalogue: which arguments of which callables are hyperparameters.

The facts live in ``data/catalogue.json``; this module only looks them up and resolves the
spellings user code uses (``tf.keras``, ``pytorch_lightning``, ``*Regressor`` twins).
"""
from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Mapping


@dataclass(frozen=True)
class Slot:
    callable: str  # the catalogue name, e.g. torch.optim.Adam
    argument: str
    index: int | None  # positional index, None when keyword-only


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(resources.files("hyperlint.data").joinpath("catalogue.json").read_text("utf-8"))


class Catalogue:
    def __init__(self, extra_slots: Mapping[str, Mapping[str, int | str | None]] | None = None) -> None:
        data = _data()
        self.slots: dict[str, dict[str, int | None]] = {k: dict(v) for k, v in data["slots"].items()}
        for name, args in (extra_slots or {}).items():
            merged = self.slots.setdefault(name, {})
            for arg, index in args.items():
                merged[arg] = index if isinstance(index, int) else None
        self.prefix_aliases: list[tuple[str, str]] = sorted(
            data["prefix_aliases"].items(), key=lambda item: -len(item[0])
        )
        self.name_aliases: dict[str, str] = data["name_aliases"]
        self.twins: list[tuple[str, str]] = [tuple(t) for t in data["twin_suffixes"]]
        self.params_dict_callables: dict[str, str] = data["params_dict_callables"]
        self.params_dict_keys: dict[str, frozenset[str]] = {
            lib: frozenset(keys) for lib, keys in data["params_dict_keys"].items()
        }
        keywords = data["hyperparameter_keywords"]
        self._keyword_exact = frozenset(k for k in keywords if "*" not in k)
        self._keyword_patterns = tuple(k for k in keywords if "*" in k)
        self.epoch_keywords = frozenset(data["epoch_keywords"])
        self.not_hyperparameters = frozenset(data["not_hyperparameters"])
        # every argument name that is a slot of some catalogued callable (max_depth, n_clusters, lr, ...)
        self.slot_names = frozenset(arg for args in self.slots.values() for arg in args)
        self._cache: dict[str, str | None] = {}

    def canonical(self, qualified_name: str) -> str | None:
        """The catalogue name a qualified name in user code refers to, if any."""
        if qualified_name in self._cache:
            return self._cache[qualified_name]
        result = self._canonical(qualified_name)
        self._cache[qualified_name] = result
        return result

    def _canonical(self, name: str) -> str | None:
        for _ in range(4):
            if name in self.slots:
                return name
            if name in self.name_aliases:
                name = self.name_aliases[name]
                continue
            for prefix, replacement in self.prefix_aliases:
                if name.startswith(prefix) and prefix != replacement:
                    name = replacement + name[len(prefix) :]
                    break
            else:
                break
        if name in self.slots:
            return name
        if name in self.name_aliases:
            return self._canonical(self.name_aliases[name])
        for twin, original in self.twins:
            if name.endswith(twin):
                candidate = name[: -len(twin)] + original
                if candidate in self.slots:
                    return candidate
        return None

    def slots_of(self, catalogue_name: str) -> dict[str, int | None]:
        return self.slots.get(catalogue_name, {})

    def params_dict_library(self, qualified_name: str) -> str | None:
        for prefix, replacement in self.prefix_aliases:
            if qualified_name.startswith(prefix):
                qualified_name = replacement + qualified_name[len(prefix) :]
                break
        return self.params_dict_callables.get(qualified_name)

    def is_hyperparameter_keyword(self, keyword: str) -> bool:
        if keyword in self._keyword_exact:
            return True
        return any(fnmatch.fnmatchcase(keyword, pattern) for pattern in self._keyword_patterns)


@lru_cache(maxsize=8)
def _default_catalogue() -> Catalogue:
    return Catalogue()


def load_catalogue(extra_slots: Mapping | None = None) -> Catalogue:
    if not extra_slots:
        return _default_catalogue()
    return Catalogue(extra_slots)
