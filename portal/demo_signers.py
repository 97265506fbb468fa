"""The demo's signers and their authenticator app (issue 16).

Signing a payout needs a code from an authenticator app. So that anyone can try the
demo's signatures, the demo's signers share one published TOTP secret, and
``manage.py demo_totp EMAIL`` prints the current code. Both work only in demo mode
(``DEMO_MODE``); ``check --deploy`` warns while it is on (accounts.checks).
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt

from accounts.models import User
from communities.models import Membership, _active_q
from communities.permissions import ROLE_CAPABILITIES, Capability

# Published in the README: base32, 20 bytes. Never use it outside the demo.
DEMO_TOTP_SECRET = "GONGGUANDEMOTOTPSECRETFORSIGNERS"  # noqa: S105 - published on purpose


def demo_signers() -> list[User]:
    """People who can log in and hold a role that signs or pays payouts somewhere."""

    signing = {Capability.REVIEW_PAYOUT, Capability.RECHECK_PAYOUT, Capability.RECORD_PAYOUT_PAYMENT}
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if caps & signing]
    users = User.objects.filter(
        pk__in=Membership.objects.filter(_active_q(), role__in=roles).values("user_id")
    ).order_by("pk")
    return [u for u in users if u.has_usable_password()]


def enrol_demo_signers(users=None) -> int:
    """Give each demo signer (default: ``demo_signers()``) the demo's authenticator app,
    unless they have one already. Returns how many were enrolled; a second run enrols none.
    Call it once at the end of seed_demo."""
    enrolled = 0
    for user in demo_signers() if users is None else users:
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
            enrolled += 1
    return enrolled


def current_code(user: User) -> str | None:
    """The code the user's authenticator app shows now, or None without one."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return None
    secret = decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
