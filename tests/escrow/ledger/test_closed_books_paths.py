"""Closed books on every path that posts money: a refusal names the input the user
actually gave (the receipt's date, the statement's date column, the payment date, the
provider's paid_at), and nothing is half-written. Assignments and reversals post
today, so they still work in a later quarter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escrow.errors import PeriodClosedError
from escrow.fees.services.imports import StatementImportError, statement_import
from escrow.fees.services.payments import suspense_assign
from escrow.ledger.services import ledger_reverse
from escrow.models import EscrowAccount, JournalEntry, Payment, PayoutRequest, PayoutStatus
from escrow.payouts import services as payout_services
from tests.escrow.fees.helpers import (
    client_for,
    counts,
    csv_text,
    make_mapping,
    row,
    webhook_post,
)
from tests.escrow.payouts.helpers import file_payout, fresh, prepare, walk

pytestmark = pytest.mark.django_db
CLOSED = dt.date(2026, 3, 31)


def close(compound, through=CLOSED):
    # What a disclosure build does under the ledger lock (tested in test_disclosures.py).
    EscrowAccount.objects.filter(compound=compound).update(closed_through=through)


def test_a_counter_receipt_in_a_closed_quarter_names_received_on(escrow_world):
    w = escrow_world
    close(w.a)
    before = counts()
    response = client_for(w.staff).post(
        reverse("api:escrow-payment-list", args=[w.a.slug]),
        {
            "receipt_no": "X1",
            "unit": w.unit_a.pk,
            "amount": "10.00",
            "method": "cash",
            "received_on": "2026-03-05",
        },
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert "closed through 2026-03-31" in body["message"]
    assert list(body["extra"]["fields"]) == ["received_on"]
    assert counts() == before


def test_a_statement_row_in_a_closed_quarter_is_named_by_line_and_date_column(escrow_world):
    w = escrow_world
    close(w.a)
    mapping = make_mapping(w.a)
    data = csv_text(
        [row("2026-04-02", "10.00", "R1", "1栋1单元101"), row("2026-03-05", "20.00", "R2", "1栋1单元101")]
    )
    before = counts()
    with pytest.raises(StatementImportError) as exc_info:
        statement_import(compound=w.a, mapping=mapping, file_name="s.csv", data=data.encode(), actor=w.staff)
    [problem] = exc_info.value.extra["rows"]
    assert (problem["row"], problem["column"]) == (3, mapping.layout["date_column"])
    assert "closed through 2026-03-31" in problem["message"]
    assert counts() == before  # the April row is not posted either


def test_a_statement_overlapping_a_closed_quarter_still_imports_its_new_rows(escrow_world):
    w = escrow_world
    mapping = make_mapping(w.a)
    march = row("2026-03-05", "20.00", "R2", "1栋1单元101")
    statement_import(
        compound=w.a, mapping=mapping, file_name="m.csv", data=csv_text([march]).encode(), actor=w.staff
    )
    close(w.a)
    data = csv_text([march, row("2026-04-02", "10.00", "R1", "1栋1单元101")])
    result = statement_import(
        compound=w.a, mapping=mapping, file_name="ma.csv", data=data.encode(), actor=w.staff
    )
    assert (result.posted, result.skipped) == (1, 1)


def test_a_webhook_for_a_closed_quarter_names_paid_at_and_posts_nothing(escrow_world, webhook_secret):
    w = escrow_world
    close(w.a)
    before = counts()
    response = webhook_post(
        Client(enforce_csrf_checks=True),
        {
            "transaction_id": "T1",
            "compound": w.a.slug,
            "unit": w.unit_a.reference,
            "amount_fen": 100,
            "paid_at": "2026-03-05T10:00:00+08:00",
        },
    )
    assert response.status_code == 409
    assert list(response.json()["extra"]["fields"]) == ["paid_at"]
    assert counts() == before


def test_paying_a_payout_into_a_closed_period_names_payment_date(world, settings, tmp_path):
    prepare(world, settings, tmp_path)
    payout = walk(world, file_payout(world), to="rechecked")
    PayoutRequest.objects.filter(pk=payout.pk).update(submitted_at=timezone.now() - dt.timedelta(days=10))
    payout.refresh_from_db()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    close(world.a, yesterday)
    with pytest.raises(PeriodClosedError) as exc_info:
        payout_services.payout_pay(
            payout=payout,
            actor=world.chair,
            bank_reference="B1",
            payment_date=yesterday,
            second_factor=fresh(),
        )
    assert list(exc_info.value.extra["fields"]) == ["payment_date"]
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.RECHECKED and payout.journal_entry_id is None


def test_assigning_and_reversing_after_the_closing_post_today(escrow_world):
    w = escrow_world
    mapping = make_mapping(w.a)
    statement_import(
        compound=w.a,
        mapping=mapping,
        file_name="s.csv",
        data=csv_text([row("2026-03-05", "20.00", "R9", "没有房号")]).encode(),
        actor=w.staff,
    )
    payment = Payment.objects.get(compound=w.a, unit__isnull=True)
    close(w.a)
    assigned = suspense_assign(payment=payment, unit=w.unit_a, actor=w.official)
    assert assigned.payment.assignment_entry.effective_date == timezone.localdate()
    assert assigned.payment.received_on == dt.date(2026, 3, 5)
    march = JournalEntry.objects.get(compound=w.a, effective_date=dt.date(2026, 3, 5))
    assert ledger_reverse(entry=march, reason="误记", actor=None).effective_date == timezone.localdate()
