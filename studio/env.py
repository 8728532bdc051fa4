"""Reading and checking environment variables for settings.

Every helper raises `SettingError` naming the variable, so a bad value stops start-up with a
message a person can act on instead of a traceback from deep inside Django.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class SettingError(ImproperlyConfigured):
    """Raised when an environment variable holds a value Studio cannot use.

    Not a StudioError: it stops the server (or the command) at start-up, for the operator to read,
    and never answers a request; Django's ImproperlyConfigured is what such errors are.
    """

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        super().__init__(f"{name}: {problem}")


def envstr(name: str, default: str = "") -> str:
    """Return the variable stripped of surrounding whitespace, or the default when unset."""
    return os.environ.get(name, default).strip()


def envbool(name: str, default: bool = False) -> bool:
    """Return the variable read as a yes/no flag."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingError(name, f"expected true or false, got {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return the variable read as an integer within the given bounds."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingError(name, f"expected a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise SettingError(name, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SettingError(name, f"must be at most {maximum}, got {value}")
    return value


RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def envrate(name: str, default: str) -> tuple[int, int]:
    """Return a rate such as `60/minute` or `5/15minutes` as (count, seconds); `0` or `off` turns
    the limit off."""
    raw = envstr(name, default)
    if raw.lower() in ("0", "off", "none"):
        return 0, 1
    count, sep, period = raw.partition("/")
    match = re.fullmatch(r"\s*(\d*)\s*([a-z]+?)s?\s*", period.lower())
    multiple = int(match.group(1) or 1) if match else 0
    unit = match.group(2) if match else ""
    if not sep or not count.strip().isdigit() or unit not in RATE_UNITS or int(count) < 1 or multiple < 1:
        raise SettingError(
            name,
            f"expected COUNT/[N]second|minute|hour|day such as 60/minute or 5/15minutes, or off; got {raw!r}",
        )
    return int(count), multiple * RATE_UNITS[unit]


def envlist(name: str, default: str = "") -> list[str]:
    """Return the variable split on commas, without empty items."""
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


def envmap(name: str) -> dict[str, str]:
    """Return a `key=value,key=value` variable as a dict."""
    mapping: dict[str, str] = {}
    for item in envlist(name):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SettingError(name, f"expected key=value pairs separated by commas, got {item!r}")
        mapping[key.strip()] = value.strip()
    return mapping


def envpath(name: str, default: str) -> Path:
    """Return the variable as an absolute path."""
    return Path(envstr(name, default) or default).expanduser().resolve()


def persisted_secret(path: Path, *, length: int = 50) -> str:
    """Return the secret stored at `path`, generating and saving it (mode 0600) the first time."""
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    value = secrets.token_urlsafe(length)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
