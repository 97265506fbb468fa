"""System checks of the security settings (``manage.py check --deploy`` runs them)."""

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
