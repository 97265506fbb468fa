"""In Chromium: the public page of compound A shows its 19 duties in Chinese; then
a resident logs in by typing their mobile number and lands on their compounds."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter

from communities.default_duties import DEFAULT_DUTIES
from communities.testing import make_world

pytestmark = pytest.mark.browser


def test_it_shows_the_duties_and_logs_in_by_phone(live_server, transactional_db, page):
    # live_server serves from another thread, so the data must be committed:
    # build the world inside the test on a transactional database.
    world = make_world()
    get_adapter().set_phone_verified(world.resident, world.resident.phone)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/c/{world.a.slug}/")
    assert page.locator("h1").inner_text() == "尚城国际"
    numbers = page.locator("li.duty").evaluate_all("els => els.map(e => e.dataset.dutyNumber)")
    assert {int(n) for n in numbers} == set(range(1, 20))
    assert page.get_by_text("共管账户管理").first.is_visible()
    for duty in DEFAULT_DUTIES:
        assert page.locator(".duty-title", has_text=duty["title"]).count() >= 1, duty["title"]

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", world.resident.phone.removeprefix("+86"))
    page.fill("input[name=password]", "pw-Gongguan-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator(".my-compounds").get_by_text("尚城国际").is_visible()
    assert page.locator(".my-compounds").get_by_text("银泉广场").count() == 0
