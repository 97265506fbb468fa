"""System checks of the security settings and the demo mode (``manage.py check --deploy`` runs them)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security, deploy=True)
def check_step_up_state_is_shared(app_configs, **kwargs):
    """Used TOTP codes and wrong-code counts must be shared by every worker."""
    from accounts.stepup import step_up_state_is_shared

    if step_up_state_is_shared():
        return []
    return [
        Error(
            "Used authenticator codes are remembered per process: one code could sign "
            "several payouts across workers.",
            hint="accounts.apps must install accounts.stepup's database-backed used-code memory.",
            id="accounts.E001",
        )
    ]


@register(Tags.security, Tags.caches, deploy=True)
def check_cache_is_shared(app_configs, **kwargs):
    """allauth's log-in limits live in the default cache: per process, they multiply by
    the number of workers (and a lock-out holds on one worker only)."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PROCESS_LOCAL_CACHES:
        return [
            Warning(
                "The default cache is per process, so log-in limits are per worker.",
                hint="Set CACHE_URL=redis://… (production falls back to the database cache).",
                id="accounts.W002",
            )
        ]
    return []


@register(Tags.security, Tags.database, deploy=True)
def check_two_database_roles(app_configs, **kwargs):
    """On PostgreSQL the application must not connect as the tables' owner."""
    database = settings.DATABASES.get("default", {})
    if database.get("ENGINE") != "django.db.backends.postgresql":
        return []
    role = getattr(settings, "APP_DATABASE_ROLE", "")
    if not role:
        return [
            Warning(
                "The application connects to PostgreSQL as the role that runs migrations: "
                "it could disable the ledger's triggers or rewrite the journal.",
                hint="Set APP_DATABASE_ROLE (and DATABASE_URL as that role) and MIGRATE_DATABASE_URL "
                "as the tables' owner; see docs/security.md.",
                id="accounts.W003",
            )
        ]
    if database.get("USER") != role:
        return [
            Warning(
                f"DATABASE_URL connects as {database.get('USER')!r}, not as APP_DATABASE_ROLE={role!r}.",
                id="accounts.W004",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def demo_mode_is_off(app_configs, **kwargs):
    """Demo mode publishes a second factor (manage.py demo_totp): never on a real site."""
    if getattr(settings, "DEMO_MODE", False):
        return [
            Warning(
                "DEMO_MODE is on: `manage.py demo_totp` prints the demo signers' authenticator codes "
                "and seed_demo may create log-ins with a published password.",
                hint="Set DEMO_MODE=false (the default) outside `make run`.",
                id="accounts.W001",
            )
        ]
    return []
