"""Settings come from the environment and a bad value stops start-up, naming the variable."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from common.env import env_bool, env_int, env_list, env_str, parse_database_url

BASE_DIR = Path(settings.BASE_DIR)

# ---------------------------------------------------------------------------- the parsers


@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("On", True), ("1", True), ("no", False), ("", False)]
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("DEBUG", raw)
    assert env_bool("DEBUG", not value) is value


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "yes please"])
def test_env_bool_refuses_anything_else(monkeypatch, raw):
    monkeypatch.setenv("DEBUG", raw)
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", False)


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    assert env_bool("DEBUG", True) is True


@pytest.mark.parametrize("raw", ["abc", "25.0", "0x19"])
def test_env_int_refuses_a_non_integer(monkeypatch, raw):
    monkeypatch.setenv("EMAIL_PORT", raw)
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT"):
        env_int("EMAIL_PORT", 25, minimum=1)


def test_env_int_refuses_a_value_below_the_minimum(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "0")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT"):
        env_int("EMAIL_PORT", 25, minimum=1)


def test_env_list_refuses_an_empty_item(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "example.org,,www.example.org")
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        env_list("ALLOWED_HOSTS", [])
    monkeypatch.setenv("ALLOWED_HOSTS", " example.org , www.example.org")
    assert env_list("ALLOWED_HOSTS", []) == ["example.org", "www.example.org"]


def test_env_str_requires_a_value_without_a_default(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "  ")
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        env_str("SECRET_KEY")


def test_parse_database_url_postgres():
    db = parse_database_url(
        "postgres://gg:p%40ss@db.internal:6432/gongguan?conn_max_age=60", base_dir=BASE_DIR
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "gongguan",
        "gg",
        "p@ss",
        "db.internal",
        "6432",
    )
    assert db["CONN_MAX_AGE"] == 60


def test_parse_database_url_sqlite_paths(tmp_path):
    assert parse_database_url("sqlite:///var/x.sqlite3", base_dir=tmp_path)["NAME"] == str(
        tmp_path / "var/x.sqlite3"
    )
    assert parse_database_url(f"sqlite:///{tmp_path}/y.db", base_dir=BASE_DIR)["NAME"] == str(
        tmp_path / "y.db"
    )


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/gongguan",  # unknown scheme
        "localhost/gongguan",  # no scheme at all
        "postgres://u@localhost:99999/gongguan",  # port out of range
        "postgres://u@localhost:54x2/gongguan",  # port not a number
        "postgres://u@localhost:5432/",  # no database
        "postgres://u@localhost/gongguan?conn_max_age=forever",
        "sqlite:///",  # no file
    ],
)
def test_parse_database_url_refuses_bad_urls_naming_the_variable(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        parse_database_url(url, base_dir=BASE_DIR)


# ---------------------------------------------------------------------------- start-up


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter with a clean, explicit environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_"))}
    for name in (
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "EMAIL_PORT",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
    ):
        clean.pop(name, None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/gongguan"),
        ("DATABASE_URL", "postgres://u@localhost:99999/gongguan"),
        ("EMAIL_PORT", "twenty-five"),
    ],
)
def test_manage_check_fails_naming_the_bad_variable(name, value):
    result = _manage("check", DJANGO_SETTINGS_MODULE="config.settings.local", **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_SETTINGS_MODULE="config.settings.production")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_check_deploy_without_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="gongguan.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
