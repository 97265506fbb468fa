"""Shared set-up of the security tests: TOTP enrolment, codes, a second street admin."""

from __future__ import annotations

from communities import services
from communities.testing import make_user

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol_totp(user, secret: str = SECRET) -> str:
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str = SECRET, step: int = 0) -> str:
    """The code for now (``step`` periods later, for a second code)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counter = next(yield_hotp_counters_from_time()) + step
    return format_hotp_value(hotp_value(secret, counter))


def second_street_admin(world, name: str = "街道副主任"):
    """Another admin of the world's street office, enrolled in TOTP."""
    admin = make_user(name=name)
    services.membership_create(user=admin, role="street_admin", street_office=world.office, actor=None)
    enrol_totp(admin)
    return admin


def fresh_totp_session(client, user) -> None:
    """Record in ``client``'s session a TOTP check made just now, as allauth's log-in
    and reauthentication flows write it (the page/API step-up reads these records)."""
    import time

    from allauth.account.internal.flows import login as login_flow

    session = client.session
    session[login_flow.AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "type": "totp", "at": time.time()}
    ]
    session[login_flow._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
