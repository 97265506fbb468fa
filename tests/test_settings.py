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


def test_postgres_connections_persist_and_are_health_checked_by_default():
    db = parse_database_url("postgres://gg@db.internal/gongguan", base_dir=BASE_DIR)
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert "conn_max_age" not in db["OPTIONS"] and "conn_health_checks" not in db["OPTIONS"]


def test_the_url_overrides_the_connection_defaults():
    db = parse_database_url(
        "postgres://gg@db/gongguan?conn_max_age=0&conn_health_checks=false&sslmode=require",
        base_dir=BASE_DIR,
        conn_max_age=60,
    )
    assert (db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"], db["OPTIONS"]) == (0, False, {"sslmode": "require"})


def test_the_running_settings_keep_connections(settings):
    """The settings every environment builds on (tests included: DATABASE_URL names no
    conn_max_age here)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        assert db["CONN_MAX_AGE"] == 60
        assert db["CONN_HEALTH_CHECKS"] is True


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
        "postgres://u@localhost/gongguan?conn_max_age=-1",
        "postgres://u@localhost/gongguan?conn_health_checks=sometimes",
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


def test_production_settings_read_the_connection_variables():
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://gongguan_app@db/gongguan",
    }
    default = _manage("shell", "-c", code, **env)
    assert default.stdout.split()[-2:] == ["60", "True"], default.stderr
    off = _manage("shell", "-c", code, CONN_MAX_AGE="0", CONN_HEALTH_CHECKS="false", **env)
    assert off.stdout.split()[-2:] == ["0", "False"], off.stderr
    bad = _manage("shell", "-c", code, CONN_MAX_AGE="-5", **env)
    assert bad.returncode != 0 and "CONN_MAX_AGE" in bad.stderr


# ---------------------------------------------------------------------------- as deployed


def test_compose_turns_on_persistent_connections_and_the_gunicorn_config():
    import yaml

    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    for name in ("migrate", "web", "worker", "beat"):
        env = compose["services"][name]["environment"]
        assert env["CONN_MAX_AGE"] == "${CONN_MAX_AGE:-60}", name
        assert env["CONN_HEALTH_CHECKS"] == "true", name
        assert env["CACHE_URL"].startswith("redis://"), name
    assert "--config config/gunicorn.py" in compose["services"]["web"]["command"]
    assert "config/gunicorn.py" in (BASE_DIR / "Dockerfile").read_text()


def test_the_gunicorn_config_loads_and_warms_the_fonts_in_each_worker(monkeypatch):
    import runpy

    import common.pdf

    calls = []
    monkeypatch.setattr(common.pdf, "warm_pdf_fonts", lambda: calls.append(1) or 0.5)
    config = runpy.run_path(str(BASE_DIR / "config" / "gunicorn.py"))
    assert config["workers"] == 3 and config["bind"] == "0.0.0.0:8000"

    class Worker:
        pid = 1
        log = type("Log", (), {"info": staticmethod(lambda *a: None)})()

    config["post_worker_init"](Worker())
    assert calls == [1]
    monkeypatch.setenv("GUNICORN_WARM_PDF", "false")
    config["post_worker_init"](Worker())
    assert calls == [1]


def test_celery_warms_the_fonts_and_closes_connections_around_every_task(monkeypatch):
    """The Django fixup closes the task's connection before and after it (no
    CELERY_DB_REUSE_MAX), so CONN_MAX_AGE never carries a dead connection into a task."""
    from celery.fixups.django import DjangoWorkerFixup
    from celery.signals import worker_process_init

    import common.pdf
    from config.celery import _warm_pdf_fonts, app

    assert DjangoWorkerFixup(app).db_reuse_max is None
    assert any(r[1]() is _warm_pdf_fonts for r in worker_process_init.receivers if callable(r[1]))
    calls = []
    monkeypatch.setattr(common.pdf, "warm_pdf_fonts", lambda: calls.append(1) or 0.5)
    _warm_pdf_fonts()
    assert calls == [1]
