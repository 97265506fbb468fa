"""The leaking-flat story in Chromium at a phone viewport (390 × 844): an owner reports a
leak with a photo, the property staff accept and fix it, the owner confirms and rates
it, and the compound's public page shows the figures — without a name."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from assessments.models import RepairRequest, RepairStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 30_000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _phone(browser, live_server, user):
    """A phone-sized browser with ``user`` signed in (session cookie from the test client)."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    context = browser.new_context(
        base_url=live_server.url, locale="en", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, context.new_page()


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


def test_owner_reports_a_leak_staff_fix_it_owner_rates_it_public_page_shows_it(world, browser, live_server):
    slug = world.a.slug
    # The owner reports the leak.
    context, page = _phone(browser, live_server, world.resident)
    page.goto(f"/c/{slug}/repairs/")
    _fits(page)
    page.click("#report")
    page.select_option("#category", "plumbing")
    page.select_option("#urgency", "urgent")
    page.select_option("#unit", str(world.unit_a.pk))
    page.fill("#description", "卫生间天花板漏水，楼上渗下来的")
    page.set_input_files("#photos", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": PNG}])
    _fits(page)
    page.click("#send")
    page.wait_for_url(re.compile(rf"/c/{slug}/repairs/\d+/$"))
    assert page.inner_text("#repair-status") == "Reported"
    request = RepairRequest.objects.get()
    assert request.photos.count() == 1
    context.close()

    # The staff accept it and mark it fixed.
    context, page = _phone(browser, live_server, world.staff)
    page.goto(f"/c/{slug}/repairs/{request.pk}/")
    page.click("#accept")
    page.wait_for_selector("text=Accepted")
    page.fill("#note", "更换了楼上卫生间的防水层")
    page.click("#done")
    page.wait_for_function("document.querySelector('#repair-status').innerText.startsWith('Fixed')")
    context.close()

    # The owner confirms and rates it.
    context, page = _phone(browser, live_server, world.resident)
    page.goto(f"/c/{slug}/repairs/{request.pk}/")
    _fits(page)
    page.check("#confirm-form input[name=rating][value='5']")
    page.fill("#comment", "修得很及时")
    page.click("#confirm")
    page.wait_for_selector("#repair-rating")
    assert "5★" in page.inner_text("#repair-rating")
    context.close()
    request.refresh_from_db()
    assert (request.status, request.rating) == (RepairStatus.CONFIRMED, 5)

    # Anyone sees the figures on the public page: no name, the unit masked.
    context = browser.new_context(
        base_url=live_server.url, locale="en", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.goto(f"/c/{slug}/assessments/")
    _fits(page)
    assert page.inner_text("#stat-total") == "1"
    assert page.inner_text("#stat-fixed") == "1"
    assert "5.00 of 5" in page.inner_text("#stat-rating")
    assert "hours" in page.inner_text("#stat-median")
    recent = page.inner_text("#recent-repairs")
    assert "1栋1单元***" in recent
    body = page.inner_text("body")
    assert world.resident.display_name not in body and world.staff.display_name not in body
    context.close()


def test_a_committee_member_scores_a_round_on_a_phone(world, browser, live_server):
    from assessments import services
    from assessments.models import ItemScore, TemplateItem

    rnd = services.round_open(compound=world.a, year=2026, quarter=3, actor=world.official)
    items = list(TemplateItem.objects.filter(template=rnd.template).order_by("number"))
    assert len(items) == 19
    context, page = _phone(browser, live_server, world.committee)
    page.goto(f"/c/{world.a.slug}/assessments/rounds/{rnd.pk}/")
    page.click("#score")
    _fits(page)
    for item in items:
        page.fill(f"#points-{item.pk}", str(item.max_points - 1))
    page.fill(f"#points-{items[0].pk}", "1")  # below half: a comment is needed
    page.click("#submit-scores")
    page.wait_for_selector("text=Item 1: below half the points needs a comment saying why.")
    assert not ItemScore.objects.exists()
    page.fill(f"#comment-{items[0].pk}", "公示栏没有收费标准")
    page.click("#submit-scores")
    page.wait_for_selector("text=You have scored this round.")
    assert ItemScore.objects.filter(scorer__user=world.committee).count() == 19
    context.close()
