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
    for record in get_authentication_records(request):
        if record.get("method") == "mfa" and record.get("type") in STRONG_METHODS:
            at = dt.datetime.fromtimestamp(float(record["at"]), tz=dt.UTC)
            if latest is None or at > latest.at:
                latest = SecondFactor(method=record["type"], at=at)
    return latest


def second_factor_from_code(user, code: str) -> SecondFactor | None:
    """Check a TOTP code for ``user`` now (API clients send it with the signature)."""
    from allauth.mfa.totp.internal.auth import TOTP

    code = (code or "").strip()
    if not code:
        return None
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None or not TOTP(authenticator).validate_code(code):
        return None
    return SecondFactor(method="totp", at=timezone.now())


def has_strong_mfa(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()
