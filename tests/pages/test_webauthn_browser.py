"""Passkeys and security keys (WebAuthn) sign like the authenticator app (issue 16):
added on the security page, then used for the step-up before signing — with Chromium's
virtual authenticator (CDP WebAuthn.enable / addVirtualAuthenticator) standing in for the
phone's fingerprint."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator

from accounts.adapter import AccountAdapter
from escrow.models import PayoutSignature
from tests.escrow.payouts.helpers import SMALL_FEN, file_payout, prepare

pytestmark = pytest.mark.browser
PASSWORD = "pw-Gongguan-2026"


def _virtual_authenticator(context, page):
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_a_passkey_is_added_and_then_signs_a_payout(world, settings, tmp_path, live_server, browser):
    prepare(world, settings, tmp_path, balance_fen=SMALL_FEN)
    payout = file_payout(world, amount_fen=1_000_00)
    user = world.committee
    AccountAdapter().set_phone_verified(user, user.phone)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    context.set_default_timeout(20_000)
    page = context.new_page()
    cdp, authenticator_id = _virtual_authenticator(context, page)
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.phone)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action*='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    # Add the passkey (adding a factor asks for the password first).
    page.goto("/accounts/2fa/webauthn/add/")
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/"))
    page.fill("input[name=name]", "我的手机")
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).count() == 1
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]) == 1

    # Sign: the step-up offers the key, the key answers, the signature records it.
    page.goto(f"/c/{world.a.slug}/payouts/{payout.pk}/sign/")
    page.wait_for_url(re.compile(r"/accounts/2fa/reauthenticate/"))
    assert page.locator("a[href*='/accounts/reauthenticate/']").count() == 0  # no password
    page.locator("#use-security-key").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/reauthenticate/"))
    page.locator("#mfa_webauthn_reauthenticate").click()
    page.wait_for_url(re.compile(rf"/payouts/{payout.pk}/sign/"))
    page.locator("input[name=decision][value=approve]").click()
    page.locator("#sign-submit").click()
    page.wait_for_load_state()
    signature = PayoutSignature.objects.get(request=payout, signer=user)
    assert signature.second_factor == "webauthn"
    context.close()
