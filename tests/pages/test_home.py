"""A person's home (issue 16): what waits for them first, an owner's flats with the
balance due and the last payments, and each everyday page one tap away."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from escrow.fees.services.payments import payment_record
from tests.escrow.payouts.helpers import file_payout, open_escrow
from tests.pages.helpers import client_for


@pytest.fixture
def escrow_world(world):
    open_escrow(world)
    return world


def _block(html: str, slug: str) -> str:
    start = html.index(f'data-compound="{slug}"')
    return html[start : html.find('data-compound="', start + 1)]


def _hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


def test_a_residents_home_shows_the_balance_due_the_payments_and_the_way_to_each_page(escrow_world):
    w = escrow_world
    payment_record(
        compound=w.a,
        unit=w.unit_a,
        amount_fen=138_89,
        method="cash",
        received_on=dt.date(2026, 1, 5),
        receipt_no="R-1",
        actor=w.staff,
    )
    html = client_for(w.resident).get(reverse("home")).content.decode()
    block = _block(html, w.a.slug)
    assert "My flat 1栋1单元101" in block
    assert "¥138.89" in block and "2026-01-05" in block
    slug = w.a.slug
    for url in (
        reverse("escrow:unit-statement", args=[slug, w.unit_a.pk]),
        reverse("escrow:my-fee", args=[slug]),
        reverse("escrow:ledger", args=[slug]),
        reverse("escrow:disclosure-list", args=[slug]),
        reverse("compound-members", args=[slug]),
    ):
        assert url in _hrefs(block), url
    # Nothing waits for a resident, and the officials' pages are not offered.
    assert "Waiting for you" not in block
    assert reverse("escrow:arrears", args=[slug]) not in _hrefs(block)
    # Every link on the home page answers 200 to this resident (no dead end).
    client = client_for(w.resident)
    for url in _hrefs(block):
        assert client.get(url).status_code == 200, url


def test_a_committee_members_home_leads_with_the_payouts_waiting_for_a_signature(escrow_world):
    w = escrow_world
    file_payout(w)
    html = client_for(w.committee).get(reverse("home")).content.decode()
    block = _block(html, w.a.slug)
    inbox = reverse("escrow:payout-inbox", args=[w.a.slug])
    assert re.search(rf'href="{re.escape(inbox)}" data-count="1"', block)
    assert block.index("Waiting for you") < block.index("Escrow ledger")
    # The applicant's own request does not wait for the applicant.
    staff_block = _block(client_for(w.staff).get(reverse("home")).content.decode(), w.a.slug)
    assert inbox not in staff_block


def test_the_community_office_sees_unclaimed_payments_and_payouts_to_pay(escrow_world):
    w = escrow_world
    html = client_for(w.official).get(reverse("home")).content.decode()
    block = _block(html, w.a.slug)
    assert "Payments nobody has claimed yet" in block
    assert "Disclosures ready to publish" in block
    assert reverse("escrow:suspense", args=[w.a.slug]) in block
    chair = _block(client_for(w.chair).get(reverse("home")).content.decode(), w.a.slug)
    assert "Approved payouts to pay" in chair


def test_unread_notifications_come_first(escrow_world):
    from accounts.notifications import notify

    w = escrow_world
    notify(users=[w.committee], compound=w.a, kind="test", title="请审核支出申请", url="/")
    html = client_for(w.committee).get(reverse("home")).content.decode()
    assert "请审核支出申请" in html
    assert html.index("请审核支出申请") < html.index(f'data-compound="{w.a.slug}"')


def test_a_compound_without_an_escrow_account_offers_only_its_pages(world):
    html = client_for(world.resident).get(reverse("home")).content.decode()
    block = _block(html, world.a.slug)
    assert _hrefs(block) >= {reverse("compound-members", args=[world.a.slug])}
    assert reverse("escrow:ledger", args=[world.a.slug]) not in block


def test_a_stewards_home_leads_to_the_repairs_and_the_topics(escrow_world):
    """A steward reads no ledger: the repairs and the topics are their everyday pages."""
    world = escrow_world
    html = client_for(world.steward).get(reverse("home")).content.decode()
    hrefs = _hrefs(_block(html, world.a.slug))
    assert reverse("assessments:repair-list", args=[world.a.slug]) in hrefs
    assert reverse("meetings:home", args=[world.a.slug]) in hrefs
    assert reverse("escrow:ledger", args=[world.a.slug]) not in hrefs
