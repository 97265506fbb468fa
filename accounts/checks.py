"""System checks of the accounts app."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


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
