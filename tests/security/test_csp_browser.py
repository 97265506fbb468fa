"""In Chromium, under the Content-Security-Policy: the pages load without a single
violation, and the language select (an inline handler allowed by its hash) still works."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter

from communities.testing import make_world

pytestmark = pytest.mark.browser


def test_pages_run_under_the_policy_without_violations(live_server, transactional_db, page):
    world = make_world()
    get_adapter().set_phone_verified(world.committee, world.committee.phone)
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/c/{world.a.slug}/")
    assert page.locator("h1").inner_text() == "尚城国际"
    # the language select submits its form on change: an inline handler the policy allows
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", world.committee.phone.removeprefix("+86"))
    page.fill("input[name=password]", "pw-Gongguan-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    for path in (
        "/notifications/",
        f"/c/{world.a.slug}/payouts/",
        f"/c/{world.a.slug}/ledger/",
        "/api/docs/",
    ):
        page.goto(f"{live_server.url}{path}")
    # Swagger UI starts from a script file (the split view), not an inline script
    page.wait_for_selector(".swagger-ui", timeout=10_000)
    assert violations == []
