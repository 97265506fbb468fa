"""Step-up: proof that a person passed a strong second factor a moment ago.

allauth's own ``reauthentication_required`` accepts a fresh *password*; signing a payout
needs a fresh *second factor* — TOTP or WebAuthn, never a recovery code — so we read
allauth's authentication records (``get_authentication_records``) ourselves, or check a
TOTP code sent with an API call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.utils import timezone

STRONG_METHODS = frozenset({"totp", "webauthn"})


@dataclass(frozen=True)
class SecondFactor:
    """Which strong factor was passed, and when."""

    method: str
    at: dt.datetime


def second_factor_from_session(request) -> SecondFactor | None:
    """The most recent TOTP/WebAuthn check recorded in this session, if any."""
    latest = None
    # allauth keeps the records per user: without the user it answers "none", always.
    for record in get_authentication_records(request, getattr(request, "user", None)):
        if record.get("method") == "mfa" and record.get("type") in STRONG_METHODS:
            at = dt.datetime.fromtimestamp(float(record["at"]), tz=dt.UTC)
            if latest is None or at > latest.at:
                latest = SecondFactor(method=record["type"], at=at)
    return latest


# A six-digit code falls to guessing without a limit: at most this many wrong codes
# per person in the window, whatever the client (allauth limits its own forms).
CODE_FAILURES_ALLOWED = 5
CODE_FAILURE_WINDOW = 300  # seconds


def _failures_key(user) -> str:
    return f"gongguan.stepup.failures:{user.pk}"


def second_factor_from_code(user, code: str) -> SecondFactor | None:
    """Check a TOTP code for ``user`` now (API clients send it with the signature).

    A code is accepted once (allauth marks it used); after CODE_FAILURES_ALLOWED wrong
    codes in CODE_FAILURE_WINDOW seconds every code is refused until the window passes.
    """
    from allauth.mfa.totp.internal.auth import TOTP

    code = (code or "").strip()
    if not code or user is None or user.pk is None:
        return None
    # Count the attempt before checking it (add/incr are atomic in the cache), so
    # parallel guesses cannot all read "under the limit" and slip past it together.
    key = _failures_key(user)
    if cache.add(key, 1, timeout=CODE_FAILURE_WINDOW):
        attempts = 1
    else:
        try:
            attempts = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=CODE_FAILURE_WINDOW)
            attempts = 1
    if attempts > CODE_FAILURES_ALLOWED:
        return None
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None or not TOTP(authenticator).validate_code(code):
        return None
    cache.delete(key)
    return SecondFactor(method="totp", at=timezone.now())


def has_strong_mfa(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()
