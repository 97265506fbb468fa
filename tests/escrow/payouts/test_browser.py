"""The whole payout journey in Chromium (Debian's, through pytest-playwright): staff file a
request with a real PDF invoice → two committee members approve, each typing a TOTP code
on allauth's second-factor page → a community official, logged in with password and
TOTP, rechecks → the chair records the payment → the ledger entry exists and the joint
payment order lists the signatures in an embedded CJK font."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.adapter import AccountAdapter
from escrow.ledger.verification import ledger_verify
from escrow.models import EntryKind, JournalEntry, PayoutRequest, PayoutStatus
from tests.escrow.payouts.helpers import PDF_BYTES, SMALL_FEN, enrol_totp, prepare, totp_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext, pdffonts)"),
]

PASSWORD = "pw-Gongguan-2026"
TIMEOUT_MS = 30_000


@pytest.fixture
def journey(world, settings, tmp_path, live_server):
    prepare(world, settings, tmp_path, balance_fen=SMALL_FEN)
    return world


def _context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _logged_in_by_password(browser, live_server, user, *, totp_secret=None):
    """Log in through allauth's pages (phone + password, then the TOTP stage if any)."""
    AccountAdapter().set_phone_verified(user, user.phone)
    context = _context(browser, live_server)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.phone)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action*='/accounts/login/'] button[type=submit]").click()
    if totp_secret:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.fill("input[name=code]", totp_code(totp_secret))
        page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
    return context, page


def _session_without_second_factor(browser, live_server, user):
    """A signed-in session that has passed no second factor (as after a phone-code login),
    so signing must go through allauth's reauthentication page."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    context = _context(browser, live_server)
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


def _sign_with_totp_on_reauth_page(browser, live_server, user, secret, detail_path):
    context, page = _session_without_second_factor(browser, live_server, user)
    page.goto(detail_path)
    page.click("#sign")
    # No fresh second factor: allauth's page asks for the code and comes back.
    page.wait_for_url(re.compile(r"/accounts/2fa/reauthenticate/\?next="))
    page.fill("input[name=code]", totp_code(secret))
    page.locator("form[action*='reauthenticate'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/payouts/\d+/sign/$"))
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=comment]", f"{user.display_name}：同意")
    page.click("#sign-submit")
    page.wait_for_url(re.compile(r"/payouts/\d+/$"))
    assert user.display_name in page.locator("#history").inner_text()
    context.close()


def test_a_payout_from_filing_to_the_joint_payment_order(journey, browser, live_server, tmp_path):
    w = journey
    secrets = {
        "committee": enrol_totp(w.committee, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX2"),
        "committee2": enrol_totp(w.committee2, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX3"),
        "official": enrol_totp(w.official, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX4"),
        "chair": enrol_totp(w.chair, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX5"),
    }

    # 1. Staff file the request with a real PDF invoice.
    invoice = tmp_path / "发票-2026-0315.pdf"
    invoice.write_bytes(PDF_BYTES)
    context, page = _logged_in_by_password(browser, live_server, w.staff)
    page.goto(f"/c/{w.a.slug}/payouts/new/")
    assert "20,000.00" in page.locator("#available").inner_text()
    page.select_option("select[name=category]", "repair")
    page.fill("input[name=payee_name]", "咸宁市利民水电维修部")
    page.fill("input[name=payee_account]", "6217 0012 3456 7890 123")
    page.fill("input[name=amount]", "3,680.50")
    page.fill("textarea[name=purpose]", "3栋屋面防水维修（含材料）")
    page.set_input_files("input[name=invoices]", str(invoice))
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/payouts/\d+/$"))
    payout = PayoutRequest.objects.get()
    assert (payout.status, payout.amount_fen) == (PayoutStatus.SUBMITTED, 3_680_50)
    assert "发票-2026-0315.pdf" in page.locator("#attachments").inner_text()
    detail = f"/c/{w.a.slug}/payouts/{payout.pk}/"
    context.close()

    # 2. Two committee members approve, each typing a TOTP code on the reauthentication page.
    _sign_with_totp_on_reauth_page(browser, live_server, w.committee, secrets["committee"], detail)
    _sign_with_totp_on_reauth_page(browser, live_server, w.committee2, secrets["committee2"], detail)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REVIEWED

    # 3. The community official logs in with password + TOTP and rechecks from the inbox.
    context, page = _logged_in_by_password(browser, live_server, w.official, totp_secret=secrets["official"])
    page.goto(f"/c/{w.a.slug}/payouts/inbox/")
    page.click(f"a[href='{detail}']")
    page.click("#sign")
    page.wait_for_url(re.compile(r"/sign/$"))  # the login's TOTP is fresh: no detour
    page.check("input[name=decision][value=approve]")
    page.click("#sign-submit")
    page.wait_for_url(re.compile(r"/payouts/\d+/$"))
    context.close()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.RECHECKED

    # 4. The chair records the bank transfer (behind step-up like a signature: the
    #    log-in's TOTP is fresh, so no detour).
    context, page = _logged_in_by_password(browser, live_server, w.chair, totp_secret=secrets["chair"])
    page.goto(detail)
    page.click("#pay")
    page.fill("input[name=bank_reference]", "HBXA20260315000123")
    page.fill("input[name=payment_date]", timezone.localdate().isoformat())
    page.locator("form.po-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/payouts/\d+/$"))

    # 5. The ledger has the entry, and the request page shows it.
    payout.refresh_from_db()
    entry = JournalEntry.objects.get(compound=w.a, kind=EntryKind.PAYOUT)
    assert payout.status == PayoutStatus.PAID and payout.journal_entry == entry
    assert page.locator("#ledger-entry").inner_text().strip() == f"#{entry.sequence}"
    assert entry.hash in page.locator("#payment").inner_text()
    assert ledger_verify(w.a).ok

    # 6. The joint payment order lists the signatures, in an embedded CJK font.
    href = page.locator("#order-pdf").get_attribute("href")
    response = context.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    order = tmp_path / "order.pdf"
    order.write_bytes(response.body())
    context.close()
    text = "".join(
        subprocess.run(
            ["pdftotext", str(order), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    for person in (w.committee, w.committee2, w.official, w.chair, w.staff):
        assert person.display_name in text
    assert "人民币叁仟陆佰捌拾元零伍角" in text
    assert "HBXA20260315000123" in text
    fonts = subprocess.run(["pdffonts", str(order)], check=True, capture_output=True, text=True).stdout
    cjk = [line.split() for line in fonts.splitlines()[2:] if "WenQuanYi" in line]
    assert cjk and all(row[-5] == "yes" for row in cjk), fonts
