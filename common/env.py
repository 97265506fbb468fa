"""Strict parsing of settings from the environment.

A bad value stops start-up with a message that names the variable, rather than
running with a silently wrong configuration (a typo in DEBUG or DATABASE_URL on a
server that holds residents' money is not something to shrug off).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_UNSET = object()


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default=_UNSET) -> str:
    value = _raw(name)
    if value is None or value == "":
        if default is _UNSET:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of true/false, 1/0, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name}={value!r} has an empty item; separate values by commas.")
    return items


def parse_database_url(url: str, *, name: str = "DATABASE_URL", base_dir: Path) -> dict:
    """Turn ``postgres://user:pw@host:port/db?opt=v`` or ``sqlite:///path`` into DATABASES['default']."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme == "sqlite":
        # sqlite:///relative.db or sqlite:////absolute/path.db
        raw_path = unquote(parts.path)
        if raw_path in ("", "/"):
            raise ImproperlyConfigured(f"{name}={url!r} names no SQLite file.")
        path = raw_path[1:] if raw_path.startswith("/") else raw_path
        db_path = Path(path) if Path(path).is_absolute() else base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(db_path),
            # Immediate transactions make SQLite take its write lock at BEGIN, so
            # two writers queue instead of failing on upgrade (the embedded mode
            # still runs Celery tasks in-process, next to web requests).
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    if scheme in ("postgres", "postgresql", "pgsql"):
        if not parts.path or parts.path == "/":
            raise ImproperlyConfigured(f"{name}={url!r} names no database.")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={url!r} has a bad port.") from None
        options = dict(parse_qsl(parts.query))
        conn_max_age = options.pop("conn_max_age", "0")
        try:
            conn_max_age_int = int(conn_max_age)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: conn_max_age={conn_max_age!r} is not an integer.") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path[1:]),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": conn_max_age_int,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"{name}={url!r}: unsupported scheme {scheme!r}; use postgres:// or sqlite:///."
    )
