"""The street dashboard in Chromium at phone (390 px) and desktop (1440 px) sizes: the
totals row is read off the page, and on a phone the table scrolls inside its frame
instead of widening the page."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from escrow.fees.services.payments import payment_record
from escrow.models import PaymentMethod
from street import services
from tests.escrow.ledger.helpers import open_escrow
from tests.street.helpers import dashboard_for

pytestmark = [pytest.mark.browser]


@pytest.fixture
def board(world, live_server):
    dashboard = dashboard_for(world)
    open_escrow(world.a)
    payment_record(
        compound=world.a,
        unit=world.unit_a,
        amount_fen=1234_56,
        method=PaymentMethod.CASH,
        received_on=timezone.localdate(),
        receipt_no="R000001",
        actor=None,
    )
    services.rollups_refresh(world.office, months=2)
    return world, dashboard


def _page(browser, live_server, user, width, height):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, locale="en"
    )
    context.set_default_timeout(30_000)
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


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1440, 900)])
def test_totals_row_reads_at_phone_and_desktop_sizes(board, browser, live_server, width, height):
    world, dashboard = board
    context, page = _page(browser, live_server, world.inspector, width, height)
    page.goto(f"/street/{dashboard.slug}/")
    totals = page.locator("[data-totals]")
    assert totals.locator("[data-total=compounds]").inner_text().strip() == "2"
    assert totals.locator("[data-total=money]").inner_text().strip() == "¥1,234.56"
    assert totals.locator("[data-total=compounds]").is_visible()
    foot = page.locator("[data-totals-row]").inner_text()
    assert "2 compounds" in foot and "¥1,234.56" in foot
    # The page itself never scrolls sideways; a wide table scrolls in its own frame.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width + 1, scroll_width
    if os.environ.get("STREET_SCREENSHOTS"):  # a look by eye: STREET_SCREENSHOTS=/tmp/dir
        page.screenshot(path=f"{os.environ['STREET_SCREENSHOTS']}/street-{width}.png", full_page=True)
    context.close()
