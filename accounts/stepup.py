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
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import PermissionDeniedError

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

# Both the used-code memory and the wrong-code count live in the database, shared by
# every gunicorn worker and thread: with a per-process cache one code signed three
# payouts across three workers, and each worker allowed its own five guesses.


def _used_code_horizon() -> dt.timedelta:
    from allauth.mfa import app_settings

    # A code stays valid for every counter of the tolerance window.
    return dt.timedelta(seconds=app_settings.TOTP_PERIOD * (2 * app_settings.TOTP_TOLERANCE + 1))


def claim_totp_code(user_id: int, code: str) -> bool:
    """Mark an accepted code used, once across all processes; False if it already was.

    Installed as allauth's ``TOTP._mark_code_used`` (accounts.apps), so the log-in and
    reauthentication forms and the API all share it."""
    from allauth.core.internal.cryptokit import normalize_user_code

    from accounts.models import UsedTotpCode

    now = timezone.now()
    with transaction.atomic():
        UsedTotpCode.objects.filter(user_id=user_id, used_at__lt=now - _used_code_horizon()).delete()
        try:
            with transaction.atomic():
                UsedTotpCode.objects.create(user_id=user_id, code=normalize_user_code(code), used_at=now)
        except IntegrityError:
            return False
    return True


def _mark_code_used(totp, code: str) -> bool:
    return claim_totp_code(totp.instance.user_id, code)


def second_factor_from_code(user, code: str) -> SecondFactor | None:
    """Check a TOTP code for ``user`` now (API clients send it with the signature).

    A code is accepted once (``claim_totp_code``); after CODE_FAILURES_ALLOWED wrong
    codes in CODE_FAILURE_WINDOW seconds every code is refused until the window passes.
    The person's state row is locked while the code is checked, so parallel guesses on
    any number of workers are counted one after the other, never past the limit."""
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts.models import StepUpState

    code = (code or "").strip()
    if not code or user is None or user.pk is None:
        return None
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return None
    with transaction.atomic():
        StepUpState.objects.get_or_create(user_id=user.pk)
        state = StepUpState.objects.select_for_update().get(user_id=user.pk)
        now = timezone.now()
        if state.window_started_at is None or now - state.window_started_at > dt.timedelta(
            seconds=CODE_FAILURE_WINDOW
        ):
            state.failures, state.window_started_at = 0, now
        if state.failures >= CODE_FAILURES_ALLOWED:
            state.save(update_fields=["failures", "window_started_at"])
            return None
        if TOTP(authenticator).validate_code(code):
            state.failures, state.window_started_at = 0, None
            state.save(update_fields=["failures", "window_started_at"])
            return SecondFactor(method="totp", at=now)
        state.failures += 1
        state.save(update_fields=["failures", "window_started_at"])
    return None


def step_up_state_is_shared() -> bool:
    """True when allauth's used-code memory is ours (in the database)."""
    from allauth.mfa.totp.internal.auth import TOTP

    return getattr(TOTP._mark_code_used, "__wrapped_by_gongguan__", False)


def has_strong_mfa(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


# The one check every signature (payouts, budgets, role grants, assessment sign-offs) makes.
STEP_UP_WINDOW = dt.timedelta(minutes=5)


class StepUpRequiredError(PermissionDeniedError):
    """Signing needs a second factor (TOTP or WebAuthn) passed within the last five minutes."""


def check_second_factor(second_factor: SecondFactor | None) -> SecondFactor:
    """The signer's fresh strong second factor (TOTP or WebAuthn within ``STEP_UP_WINDOW``), or
    ``StepUpRequiredError`` (403, ``extra.step_up``)."""
    if second_factor is None or second_factor.method not in STRONG_METHODS:
        raise StepUpRequiredError(
            _(
                "Signing needs your authenticator code (TOTP or security key; not a recovery code or password)."
            ),
            extra={"step_up": True},
        )
    age = timezone.now() - second_factor.at
    if age > STEP_UP_WINDOW or age < -dt.timedelta(seconds=30):
        raise StepUpRequiredError(
            _("Your second factor was checked more than 5 minutes ago; confirm it again to sign."),
            extra={"step_up": True},
        )
    return second_factor
