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


# PostgreSQL connections persist for this many seconds (issue 17: a new connection on
# every request cost ~10 ms, a third of the bare view's throughput) and are health-checked
# before each request reuses one, so a restarted server costs one error-free reconnect.
DEFAULT_CONN_MAX_AGE = 60


def parse_database_url(
    url: str,
    *,
    name: str = "DATABASE_URL",
    base_dir: Path,
    conn_max_age: int = DEFAULT_CONN_MAX_AGE,
    conn_health_checks: bool = True,
) -> dict:
    """Turn ``postgres://user:pw@host:port/db?opt=v`` or ``sqlite:///path`` into DATABASES['default'].

    PostgreSQL: ``conn_max_age`` and ``conn_health_checks`` in the URL's query override the
    defaults (persistent, health-checked connections); ``conn_max_age=0`` closes the
    connection after every request."""
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
        raw_max_age = options.pop("conn_max_age", str(conn_max_age))
        try:
            conn_max_age_int = int(raw_max_age)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: conn_max_age={raw_max_age!r} is not an integer.") from None
        if conn_max_age_int < 0:
            raise ImproperlyConfigured(f"{name}: conn_max_age={conn_max_age_int} must be at least 0.")
        raw_checks = options.pop("conn_health_checks", None)
        if raw_checks is not None:
            if raw_checks.lower() not in _TRUE | _FALSE:
                raise ImproperlyConfigured(
                    f"{name}: conn_health_checks={raw_checks!r} is not a boolean; use true or false."
                )
            conn_health_checks = raw_checks.lower() in _TRUE
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path[1:]),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": conn_max_age_int,
            "CONN_HEALTH_CHECKS": conn_health_checks,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"{name}={url!r}: unsupported scheme {scheme!r}; use postgres:// or sqlite:///."
    )
