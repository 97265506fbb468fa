"""In Chromium on a phone-sized screen: a resident logs in, filters the escrow ledger to
the last quarter, goes from the compound's public page to its disclosures, opens the
quarter's disclosure and downloads its PDF — whose bytes hash to the SHA-256 the page
shows."""

from __future__ import annotations

import hashlib
import re

import pytest
from allauth.account.adapter import get_adapter

from communities.testing import make_world
from escrow.models import DisclosureFile, DisclosureStatus
from escrow.transparency import services as svc
from tests.escrow.ledger.helpers import open_escrow
from tests.escrow.transparency.helpers import fill_quarter, last_quarter

pytestmark = pytest.mark.browser

PASSWORD = "pw-Gongguan-2026"
TIMEOUT_MS = 30_000


def test_a_resident_filters_the_ledger_and_downloads_the_quarters_pdf(
    live_server, transactional_db, postgres_only, browser
):
    # live_server serves from another thread: everything is committed (transactional_db),
    # so the build queued on commit runs right away (Celery is eager in tests).
    world = make_world()
    open_escrow(world.a, opening_fen=1_000_00)
    q = last_quarter()
    fill_quarter(world.a, q)
    disclosure = svc.disclosure_request(
        compound=world.a, year=q.year, quarter=q.quarter, actor=world.official
    )
    disclosure.refresh_from_db()
    assert disclosure.status == DisclosureStatus.READY, disclosure.last_error
    svc.disclosure_publish(disclosure=disclosure, actor=world.official)
    stored_pdf = DisclosureFile.objects.get(disclosure=disclosure, format="pdf")
    get_adapter().set_phone_verified(world.resident, world.resident.phone)

    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    # 1. Log in with the mobile number.
    page.goto("/accounts/login/")
    page.fill("input[name=login]", world.resident.phone.removeprefix("+86"))
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action*='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)

    # 2. The ledger, filtered to the quarter: the fee and the cleaning bill, not the opening entry.
    page.goto(f"/c/{world.a.slug}/ledger/")
    entries = page.locator(".entry[id^='entry-']")  # one per journal entry, card or table row
    assert entries.count() == 3
    page.fill("#f-date-from", q.start.isoformat())
    page.fill("#f-date-to", q.end.isoformat())
    page.locator("form.ledger-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"date_from=" + q.start.isoformat()))
    assert entries.count() == 2
    assert page.locator("#entry-1").count() == 0
    assert "保洁服务费" in page.locator("#main").inner_text()

    # 3. From the compound's public page to its disclosures, then the quarter's.
    page.goto(f"/c/{world.a.slug}/")
    assert page.locator("#funds [data-testid=cash]").inner_text() == "¥1,170.00"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#all-disclosures")
    page.wait_for_url(re.compile(r"/disclosures/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(f"#q-{q.year}-{q.quarter} h3 a").click()
    page.wait_for_url(re.compile(rf"/disclosures/{q.year}-Q{q.quarter}/v1/$"))
    assert page.locator("[data-testid=digest]").inner_text() == disclosure.digest
    assert page.locator("[data-testid=closing]").inner_text() == "¥1,170.00"
    # Nothing on the page is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # 4. Download the PDF; its bytes hash to the SHA-256 shown next to it.
    shown = page.locator("code.file-sha256[data-format=pdf]").inner_text().strip()
    assert shown == stored_pdf.sha256
    with page.expect_download() as download_info:
        page.locator("li[data-format=pdf] a.download").click()
    download = download_info.value
    path = download.path()
    with open(path, "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == shown
    assert download.suggested_filename.endswith(".pdf")
    context.close()
