"""Configuration: ``[tool.hyperlint]`` in pyproject.toml, or a hyperlint.toml, plus the CLI."""
from __future__ import annotations

import fnmatch
import hashlib
import json
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", ".eggs", "__pypackages__", "_build",
    "build", "dist", "node_modules", "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".hyperlint_cache", "__pycache__", ".ipynb_checkpoints",
)
DEFAULT_TEST_PATTERNS = ("test_*.py", "*_test.py", "tests/*", "test/*", "conftest.py")


class ConfigError(Exception):
    """A configuration file or option is invalid; the message names the file and the key."""


def _str_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings, got {value!r}")
    return tuple(value)


def _bool(value: Any, key: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: `{key}` must be true or false, got {value!r}")
    return value


def _number(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{where}: `{key}` must be a positive number, got {value!r}")
    return float(value)


def _per_file_ignores(value: Any, key: str, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: `{key}` must be a table of pattern = [codes], got {value!r}")
    return tuple((pattern, _str_list(codes, f"{key}.{pattern}", where)) for pattern, codes in value.items())


def _slots(value: Any, key: str, where: str) -> dict[str, dict[str, int | None]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: `{key}` must be a table of callable = {{argument = index or \"kw\"}}")
    result: dict[str, dict[str, int | None]] = {}
    for name, args in value.items():
        if not isinstance(args, dict):
            raise ConfigError(f"{where}: `{key}.{name}` must be a table of argument = index or \"kw\", got {args!r}")
        result[name] = {}
        for arg, index in args.items():
            if index == "kw":
                result[name][arg] = None
            elif isinstance(index, int) and not isinstance(index, bool) and index >= 0:
                result[name][arg] = index
            else:
                raise ConfigError(
                    f"{where}: `{key}.{name}.{arg}` must be a positional index (0, 1, ...) or \"kw\", got {index!r}"
                )
    return result


def _rule_options(value: Any, key: str, where: str) -> dict[str, dict[str, Any]]:
    from hyperlint.registry import rule_by_code

    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ConfigError(f"{where}: `{key}` must hold one table per rule code, e.g. [tool.hyperlint.rules.HL105]")
    result: dict[str, dict[str, Any]] = {}
    for code, options in value.items():
        rule = rule_by_code(code)
        if rule is None:
            raise ConfigError(f"{where}: `{key}.{code}`: unknown rule code")
        for name, option in options.items():
            if name not in rule.options:
                known = ", ".join(sorted(rule.options)) or "none"
                raise ConfigError(f"{where}: `{key}.{code}.{name}`: unknown option (options of {rule.code}: {known})")
            default = rule.options[name]
            if isinstance(default, list):
                _str_list(option, f"{key}.{code}.{name}", where)
            elif type(option) is not type(default):
                raise ConfigError(
                    f"{where}: `{key}.{code}.{name}` must be {type(default).__name__}, got {option!r}"
                )
        result[rule.code] = dict(options)
    return result


_SCHEMA = {
    "select": _str_list,
    "ignore": _str_list,
    "extend-select": _str_list,
    "extend-ignore": _str_list,
    "per-file-ignores": _per_file_ignores,
    "exclude": _str_list,
    "extend-exclude": _str_list,
    "respect-gitignore": _bool,
    "test-file-patterns": _str_list,
    "lint-tests": _bool,
    "hyperparameter-slots": _slots,
    "config-names": _str_list,
    "config-classes": _str_list,
    "rules": _rule_options,
    "per-file-timeout": _number,
}


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()  # empty: the rules that are on by default
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    test_file_patterns: tuple[str, ...] = DEFAULT_TEST_PATTERNS
    lint_tests: bool = False
    hyperparameter_slots: dict = field(default_factory=dict)
    config_names: frozenset[str] = frozenset()
    config_classes: frozenset[str] = frozenset()
    rule_options: dict = field(default_factory=dict)
    per_file_timeout: float = 10.0
    # report what `# noqa` comments would suppress (`--ignore-noqa`, flake8's `--disable-noqa`)
    ignore_noqa: bool = False
    # the folder paths in the config are relative to
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None

    def fingerprint(self) -> str:
        """A stable digest of everything that can change findings (for caches)."""
        data = {k: v for k, v in self.__dict__.items() if k not in ("root", "source")}
        text = json.dumps(data, sort_keys=True, default=lambda o: sorted(o) if isinstance(o, frozenset) else str(o))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def is_test_file(self, path: Path) -> bool:
        return matches_any(path, self.test_file_patterns, self.root)

    def ignored_codes_for(self, path: Path) -> tuple[str, ...]:
        codes: list[str] = []
        for pattern, ignored in self.per_file_ignores:
            if matches_any(path, (pattern,), self.root):
                codes.extend(ignored)
        return tuple(codes)

    def with_overrides(self, **changes: Any) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _resolved_root(root: Path) -> Path:
    # once per root, not once per file and pattern list (a relative root depends on the cwd)
    return _resolved_absolute(root) if root.is_absolute() else root.resolve()


@lru_cache(maxsize=64)
def _resolved_absolute(root: Path) -> Path:
    return root.resolve()


def matches_any(path: Path, patterns, root: Path) -> bool:
    """Gitignore-like matching of a file against patterns relative to ``root``."""
    try:
        relative = path.resolve().relative_to(_resolved_root(root)).as_posix()
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        relative = path.as_posix()
    parts = relative.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/") if pattern.endswith("/") else pattern
        # fnmatch's * also matches /: a pattern without / names a file or folder, as in .gitignore
        if ("/" in pattern and fnmatch.fnmatchcase(relative, pattern)) or fnmatch.fnmatchcase(path.name, pattern):
            return True
        if pattern.endswith("/*"):
            directory = pattern[:-2]
            if directory in parts[:-1] or fnmatch.fnmatchcase(relative, directory + "/*") or any(
                fnmatch.fnmatchcase("/".join(parts[: i + 1]), directory) for i in range(len(parts) - 1)
            ):
                return True
        if "/" not in pattern and any(fnmatch.fnmatchcase(part, pattern) for part in parts[:-1]):
            return True
    return False


def parse_table(table: dict[str, Any], where: str, root: Path, source: Path | None) -> Settings:
    values: dict[str, Any] = {}
    for key, value in table.items():
        validator = _SCHEMA.get(key)
        if validator is None:
            known = ", ".join(sorted(_SCHEMA))
            raise ConfigError(f"{where}: unknown key `{key}` in [tool.hyperlint] (known keys: {known})")
        values[key.replace("-", "_")] = validator(value, key, where)
    settings = Settings(root=root, source=source)
    if "extend_ignore" in values:
        values["ignore"] = tuple(values.get("ignore", ())) + values.pop("extend_ignore")
    if "hyperparameter_slots" in values:
        pass
    if "config_names" in values:
        values["config_names"] = frozenset(values["config_names"])
    if "config_classes" in values:
        values["config_classes"] = frozenset(values["config_classes"])
    if "rule_options" not in values and "rules" in values:
        values["rule_options"] = values.pop("rules")
    values.pop("rules", None)
    return replace(settings, **values)


def load_file(path: Path) -> Settings:
    where = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: not UTF-8 (byte {exc.start + 1} is 0x{exc.object[exc.start]:02x})") from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read: {exc.strerror or exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("hyperlint", {})
        where = f"{where} [tool.hyperlint]"
    else:
        table = data.get("tool", {}).get("hyperlint", data)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.hyperlint] must be a table")
    return parse_table(table, where, path.parent, path)


def find_config(start: Path) -> Path | None:
    """The nearest hyperlint.toml, or pyproject.toml with a [tool.hyperlint] table."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for directory in (folder, *folder.parents):
        candidate = directory / "hyperlint.toml"
        if candidate.is_file():
            return candidate
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                with open(candidate, "rb") as handle:
                    data = tomllib.load(handle)
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                return candidate  # let load_file report it
            if "hyperlint" in data.get("tool", {}):
                return candidate
    return None


def resolve_settings(start: Path, explicit: Path | None = None) -> Settings:
    path = explicit or find_config(start)
    if path is None:
        return Settings(root=(start if start.is_dir() else start.parent).resolve())
    return load_file(path)
