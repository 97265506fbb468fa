"""In Chromium on a phone-sized screen: a community official runs the 2025 settlement, two
committee members (each typing a TOTP code on allauth's page) and the official confirm
it, and the release appears in the committee's payout inbox."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from escrow.models import PayoutCategory, PayoutStatus
from settlements.models import Settlement, SettlementStatus
from tests.escrow.payouts.helpers import enrol_totp, totp_code
from tests.escrow.payouts.test_browser import _logged_in_by_password, _session_without_second_factor
from tests.settlements.helpers import YEAR, settled_world

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _phone(context):
    for page in context.pages:
        page.set_viewport_size(PHONE)


def _confirm_with_reauth(browser, live_server, user, secret, detail):
    context, page = _session_without_second_factor(browser, live_server, user)
    page.set_viewport_size(PHONE)
    page.goto(detail)
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/reauthenticate/\?next="))
    page.fill("input[name=code]", totp_code(secret))
    page.locator("form[action*='reauthenticate'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/settlements/\d+/$"))
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(re.compile(r"/settlements/\d+/$"))
    assert user.display_name in page.content()
    context.close()


def test_official_runs_committee_and_official_confirm_release_in_the_inbox(
    world, browser, live_server, django_capture_on_commit_callbacks
):
    cache.clear()
    settled_world(world, django_capture_on_commit_callbacks)
    secrets = {
        "committee": enrol_totp(world.committee, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX2"),
        "committee2": enrol_totp(world.committee2, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX3"),
        "official": enrol_totp(world.official, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX4"),
    }

    context, page = _logged_in_by_password(
        browser, live_server, world.official, totp_secret=secrets["official"]
    )
    page.set_viewport_size(PHONE)
    page.goto(f"/c/{world.a.slug}/settlements/")
    page.fill("input[name=year]", str(YEAR))
    page.fill("input[name=payee_account]", "6222 0000 1111 2222")
    page.click("#run-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/settlements/{YEAR}/$"))
    page.reload()
    assert "212,251.87" in page.content()
    detail = f"/c/{world.a.slug}/settlements/{YEAR}/"
    assert Settlement.objects.get().status == SettlementStatus.READY

    _confirm_with_reauth(browser, live_server, world.committee, secrets["committee"], detail)
    _confirm_with_reauth(browser, live_server, world.committee2, secrets["committee2"], detail)
    # The official passed TOTP at log-in (within five minutes): confirms directly.
    page.goto(detail)
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/settlements/{YEAR}/$"))
    context.close()

    settlement = Settlement.objects.get()
    assert settlement.status == SettlementStatus.RELEASED
    payout = settlement.payout
    assert (payout.category, payout.status, payout.amount_fen) == (
        PayoutCategory.SETTLEMENT_RELEASE,
        PayoutStatus.SUBMITTED,
        21_225_187,
    )

    context, page = _session_without_second_factor(browser, live_server, world.committee)
    page.set_viewport_size(PHONE)
    page.goto(f"/c/{world.a.slug}/payouts/inbox/")
    assert f"/payouts/{payout.pk}/" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
