"""A paid payout's public approval trail, linked from the ledger: roles and dates for
everyone, signers' names for members, invoices for those who may read the ledger."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from escrow.models import PayoutCategory
from tests.escrow.payouts.helpers import file_payout, prepare, walk

SIGNERS = ["李委员", "张委员", "周书记"]  # the two committee members and the community official


@pytest.fixture
def paid(world, settings, tmp_path):
    prepare(world, settings, tmp_path)
    payout = walk(world, file_payout(world, purpose="3栋屋面防水维修"), to="paid")
    return world, payout


def get(user, url):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def trail_url(slug, pk) -> str:
    return reverse("escrow:ledger-payout-trail", args=[slug, pk])


def test_anyone_sees_the_trail_with_roles_and_dates_but_no_names(paid):
    world, payout = paid
    response = get(None, trail_url(world.a.slug, payout.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "3栋屋面防水维修" in html and "¥3,500.00" in html and "咸宁市利民水电维修部" in html
    assert "Repair" in html
    assert html.count("Committee review") == 2 and "Community recheck" in html
    assert "Committee member" in html and "Community official" in html
    assert html.count("Approved") >= 3
    for name in SIGNERS:
        assert name not in html
    assert "invoice.pdf" not in html and "/files/" not in html
    assert "1 file is kept with this payout" in html
    assert f"#{payout.journal_entry.sequence}" in html


@pytest.mark.parametrize("persona", ["stranger", "outsider"])
def test_non_members_see_no_names_either(paid, persona):
    world, payout = paid
    html = get(world.personas()[persona], trail_url(world.a.slug, payout.pk)).content.decode()
    for name in SIGNERS:
        assert name not in html


def test_members_see_the_names_and_open_the_invoices(paid):
    world, payout = paid
    response = get(world.resident, trail_url(world.a.slug, payout.pk))
    html = response.content.decode()
    for name in SIGNERS:
        assert name in html
    attachment = payout.attachments.get()
    file_url = reverse("escrow:payout-attachment", args=[world.a.slug, payout.pk, attachment.pk])
    assert file_url in html and "invoice.pdf" in html
    client = Client()
    client.force_login(world.resident)
    download = client.get(file_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    # The file itself stays closed to those who do not see the link.
    assert get(None, file_url).status_code == 302
    assert get(world.outsider, file_url).status_code == 404


def test_a_steward_sees_names_but_not_the_files(paid):
    """A steward enters the members' area but does not read the full ledger."""
    world, payout = paid
    html = get(world.steward, trail_url(world.a.slug, payout.pk)).content.decode()
    assert SIGNERS[0] in html
    assert "/files/" not in html


def test_only_paid_payouts_of_the_compound_have_a_trail(paid):
    world, payout = paid
    waiting = file_payout(world)  # submitted, not paid
    assert get(world.resident, trail_url(world.a.slug, waiting.pk)).status_code == 404
    assert get(None, trail_url(world.b.slug, payout.pk)).status_code == 404
    assert get(None, trail_url("no-such-compound", payout.pk)).status_code == 404
    assert get(None, trail_url(world.a.slug, payout.pk + 1000)).status_code == 404


def test_the_ledger_row_of_a_payout_links_to_its_trail(paid):
    world, payout = paid
    response = get(world.resident, reverse("escrow:ledger", args=[world.a.slug]))
    row = next(e for e in response.context["entries"] if e["sequence"] == payout.journal_entry.sequence)
    assert row["trail_url"] == trail_url(world.a.slug, payout.pk)
    assert row["counterparty"] == "咸宁市利民水电维修部"
    assert row["amount"] == "−¥3,500.00"
    assert trail_url(world.a.slug, payout.pk) in response.content.decode()
    others = [e for e in response.context["entries"] if e["sequence"] != payout.journal_entry.sequence]
    assert others and all(e["trail_url"] is None for e in others)


def test_a_refunds_payee_is_masked_on_the_trail(world, settings, tmp_path):
    prepare(world, settings, tmp_path)
    refund = walk(
        world,
        file_payout(world, category=PayoutCategory.REFUND, payee_name="陈大文", purpose="多缴物业费退还"),
        to="paid",
    )
    html = get(None, trail_url(world.a.slug, refund.pk)).content.decode()
    assert "陈**" in html and "陈大文" not in html


def test_the_trail_links_to_the_joint_payment_order_for_those_who_may_open_it(paid):
    world, payout = paid
    order = reverse("escrow:payout-order", kwargs={"slug": world.a.slug, "pk": payout.pk})
    html = get(world.resident, trail_url(world.a.slug, payout.pk)).content.decode()
    assert f'id="order-pdf" href="{order}"' in html
    client = Client()
    client.force_login(world.resident)
    pdf = client.get(order)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # Anonymous readers and the steward (no full ledger) are told where it is, without a link.
    for user in (None, world.steward):
        html = get(user, trail_url(world.a.slug, payout.pk)).content.decode()
        assert order not in html
        assert 'id="order-note"' in html
