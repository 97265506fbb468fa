"""The way back after setting up two-factor authentication.

A first signature sends the signer to set up an authenticator app; after activation
allauth shows the recovery codes and stops there. We remember where the person was going
(the ``next`` parameter, or else the compound page that sent them) for half an hour, and
the recovery codes and two-factor pages offer a button back to it.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from allauth.mfa.totp.views import activate_totp as allauth_activate_totp
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_KEY = "gongguan.mfa_return_to"
KEEP_SECONDS = 30 * 60


def _safe(request, url: str) -> str | None:
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    # Only pages of a compound are worth returning to (not the security pages themselves).
    return path if path.startswith("/c/") else None


def remember(request) -> None:
    target = _safe(request, request.GET.get("next", "")) or _safe(request, request.headers.get("referer", ""))
    if target:
        request.session[SESSION_KEY] = {"url": target, "at": time.time()}


def return_url(request) -> str | None:
    """Where to go back to, if the person came here from a compound page recently."""
    value = getattr(request, "session", {}).get(SESSION_KEY) if request is not None else None
    if not value or time.time() - value.get("at", 0) > KEEP_SECONDS:
        return None
    return value.get("url")


def activate_totp(request, *args, **kwargs):
    """allauth's TOTP activation, remembering where the person was going."""
    if request.method == "GET":
        remember(request)
    return allauth_activate_totp(request, *args, **kwargs)


def count_activation_as_a_fresh_factor(sender, request, user, authenticator, **kwargs):
    """Activating an authenticator app means typing a code it just made: the same proof
    a step-up asks for. Record it as allauth records a TOTP check, so the first signature
    right after setting up the app needs no second code."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator

    if request is None or authenticator.type != Authenticator.Type.TOTP:
        return
    record_authentication(request, user, method="mfa", type="totp", id=authenticator.pk)
