"""Strict readers for configuration that comes from the environment.

Settings read every variable through these helpers so that a typo ("ture", "flase", a secret set twice)
stops the process at start-up with the variable's name, instead of silently meaning something else.
No Django imports: settings.py uses them before Django is configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ConfigurationError(Exception):
    """A variable is present but cannot mean anything sensible. The message names it."""


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """The variable's value with surrounding blanks removed, or `default` when unset or empty."""
    value = _environ(environ).get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """true/false, yes/no, on/off, 1/0 in any case; anything else is an error, not a silent False."""
    raw = env_str(name, environ=environ).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean: use true or false.")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    raw = env_str(name, environ=environ)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name}={value} is below the minimum of {minimum}.")
    if maximum is not None and value > maximum:
        raise ConfigurationError(f"{name}={value} is above the maximum of {maximum}.")
    return value


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    raw = env_str(name, environ=environ)
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, environ: Mapping[str, str] | None = None) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker and Kubernetes secrets).

    Setting both is refused: which one wins would be a guess. The value is never part of an error message.
    """
    env = _environ(environ)
    direct = env.get(name, "").strip()
    file_name = env.get(f"{name}_FILE", "").strip()
    if direct and file_name:
        raise ConfigurationError(f"Set {name} or {name}_FILE, not both.")
    if not file_name:
        return direct
    path = Path(file_name)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(f"{name}_FILE={file_name!r} cannot be read: {exc.strerror}.") from None
    if not value:
        raise ConfigurationError(f"{name}_FILE={file_name!r} is empty.")
    return value
