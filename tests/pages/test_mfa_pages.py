"""Setting up and using the authenticator app on a phone (issue 16): a copy button and an
otpauth:// link, a way back to the request after activation, only the methods that can
sign on the confirmation page, and a wrong code told apart from a used one."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client
from django.urls import reverse

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def _logged_in(user) -> Client:
    get_adapter().set_phone_verified(user, user.phone)
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.phone, "password": "pw-Gongguan-2026"})
    assert response.status_code == 302 and response["Location"] == "/", response.get("Location")
    # Adding an authenticator asks for the password again (a stolen session must not
    # enrol its own app): confirm it, as the person would.
    response = client.post(reverse("account_reauthenticate"), {"password": "pw-Gongguan-2026"})
    assert response.status_code == 302, response.content[:500]
    return client


def test_the_setup_page_offers_a_link_to_the_app_and_a_copy_button(world):
    client = _logged_in(world.committee)
    html = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = client.session[SECRET_SESSION_KEY]
    assert 'href="otpauth://totp/' in html
    assert f"secret={secret}" in html
    assert 'data-copy="#authenticator_secret"' in html
    assert f'value="{secret}"' in html
    assert 'inputmode="numeric"' in html and "autofocus" in html
    assert "<script>" not in html and "onclick=" not in html


def test_after_activation_the_recovery_codes_lead_back_to_the_request(world):
    client = _logged_in(world.committee)
    request_page = f"/c/{world.a.slug}/payouts/7/"
    # The sign page redirects here; the browser names the page the person came from.
    client.get(reverse("mfa_activate_totp"), headers={"referer": f"http://testserver{request_page}"})
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("mfa_view_recovery_codes")
    assert f'id="mfa-return" href="{request_page}"' in html


def test_an_explicit_next_wins_and_a_foreign_one_is_ignored(world):
    client = _logged_in(world.committee)
    sign = f"/c/{world.a.slug}/payouts/7/sign/"
    client.get(reverse("mfa_activate_totp"), {"next": "https://evil.example/c/x/"})
    assert "gongguan.mfa_return_to" not in client.session
    client.get(reverse("mfa_activate_totp"), {"next": sign})
    assert client.session["gongguan.mfa_return_to"]["url"] == sign


def test_the_confirmation_page_offers_only_the_authenticator(world):
    TOTP.activate(world.committee, SECRET)
    client = Client()
    client.force_login(world.committee)
    html = client.get(reverse("mfa_reauthenticate"), {"next": f"/c/{world.a.slug}/payouts/"}).content.decode()
    assert 'name="code"' in html
    assert reverse("account_reauthenticate") not in html  # "use your password"
    assert reverse("account_request_reauthentication_code") not in html  # "send me a code"


def test_a_wrong_code_and_a_used_code_read_differently(world):
    TOTP.activate(world.committee, SECRET)
    client = Client()
    client.force_login(world.committee)
    url = reverse("mfa_reauthenticate")
    wrong = client.post(url, {"code": "000000" if _code(SECRET) != "000000" else "111111"})
    assert "That code is not right" in wrong.content.decode()
    code = _code(SECRET)
    assert client.post(url, {"code": code}).status_code == 302
    again = client.post(url, {"code": code}).content.decode()
    assert "That code was already used" in again
    assert "That code is not right" not in again


def test_the_password_check_before_setup_says_why(world):
    client = Client()
    client.force_login(world.committee)
    html = client.get(
        reverse("account_reauthenticate"), {"next": reverse("mfa_activate_totp")}
    ).content.decode()
    assert "Before an authenticator app or security key is added to your account" in html
    assert 'name="password"' in html
