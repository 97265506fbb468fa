"""Manual payments: recorded through the posting service, once per receipt number;
bad input refused naming the field, with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from communities.models import AuditEvent
from escrow.models import Category, EntryKind, LedgerAccount, Payment
from tests.escrow.fees.helpers import (
    assert_ledgers_verify,
    client_for,
    counts,
)

DAY = "2026-03-05"


def _url(compound):
    return reverse("api:escrow-payment-list", args=[compound.slug])


def _body(w, **overrides):
    body = {
        "receipt_no": "SC-2026-0001",
        "unit": w.unit_a.pk,
        "amount": "1,234.50",
        "method": "cash",
        "received_on": DAY,
    }
    body.update(overrides)
    return body


def test_staff_records_a_payment_through_the_ledger(escrow_world):
    w = escrow_world
    response = client_for(w.staff).post(_url(w.a), _body(w), content_type="application/json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["amount_fen"], data["amount"], data["unit_reference"]) == (
        123450,
        "1234.50",
        w.unit_a.reference,
    )

    payment = Payment.objects.get()
    entry = payment.entry
    assert (entry.kind, entry.effective_date, entry.idempotency_key) == (
        EntryKind.FEE_PAYMENT,
        dt.date(2026, 3, 5),
        "receipt:SC-2026-0001",
    )
    assert sorted((line.account.category, line.side, line.amount) for line in entry.lines.all()) == [
        (Category.ESCROW_CASH, "D", 123450),
        (Category.FEE_INCOME, "C", 123450),
    ]
    assert (payment.source, payment.created_by) == ("manual", w.staff)
    assert AuditEvent.objects.filter(
        action="payment.record", object_id=str(payment.pk), actor=w.staff
    ).exists()
    assert LedgerAccount.objects.get(compound=w.a, category=Category.ESCROW_CASH).balance == 123450
    assert_ledgers_verify(w.a, w.b)


def test_the_same_receipt_submitted_twice_posts_once(escrow_world):
    w = escrow_world
    client = client_for(w.staff)
    first = client.post(_url(w.a), _body(w), content_type="application/json")
    before = counts()
    second = client.post(_url(w.a), _body(w), content_type="application/json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert counts() == before


def test_a_receipt_number_reused_for_other_content_is_refused(escrow_world):
    w = escrow_world
    client = client_for(w.staff)
    client.post(_url(w.a), _body(w), content_type="application/json")
    before = counts()
    response = client.post(_url(w.a), _body(w, amount="99.00"), content_type="application/json")
    assert response.status_code == 409
    assert "receipt_no" in response.json()["extra"]["fields"]
    assert counts() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "12.345"),  # more than two decimals
        ("amount", "0"),
        ("amount", "0.00"),
        ("amount", "-5.00"),
        ("amount", "abc"),
        ("amount", "1.2.3"),
        ("amount", "100000000.01"),  # above the ceiling of ¥100,000,000
        ("amount", 12.5),  # a JSON number: money travels as text
        ("amount", ""),
        ("unit", 987654321),  # no such unit
        ("unit", "b"),  # another compound's unit (filled in below)
        ("receipt_no", ""),
        ("receipt_no", "X" * 41),
        ("method", "bitcoin"),
        ("received_on", "2026-02-30"),
        ("received_on", "2099-01-01"),  # in the future
        ("received_on", "2025-11-30"),  # before the escrow account opened
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(escrow_world, field, value):
    w = escrow_world
    if value == "b":
        value = w.unit_b.pk
    before = counts()
    response = client_for(w.staff).post(
        _url(w.a), _body(w, **{field: value}), content_type="application/json"
    )
    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert field in body["extra"]["fields"], body
    assert counts() == before


def test_yuan_with_thousands_separators_and_one_decimal_are_exact(escrow_world):
    w = escrow_world
    client = client_for(w.staff)
    for receipt, amount, fen in [("R1", "1,234.50", 123450), ("R2", "88.8", 8880), ("R3", "100", 10000)]:
        response = client.post(
            _url(w.a), _body(w, receipt_no=receipt, amount=amount), content_type="application/json"
        )
        assert response.json()["amount_fen"] == fen
    assert_ledgers_verify(w.a)


# --------------------------------------------------------------------------- the page


def test_the_page_records_a_payment_by_unit_reference(escrow_world):
    w = escrow_world
    url = reverse("escrow:payment-record", args=[w.a.slug])
    client = client_for(w.official)
    page = client.get(url)
    assert page.status_code == 200
    assert "1栋1单元101" in page.content.decode()  # offered in the unit list, by its label

    response = client.post(
        url,
        {
            "receipt_no": "P-1",
            "unit": "1栋1单元101",
            "amount": "107.40",
            "method": "wechat_pay",
            "received_on": DAY,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    payment = Payment.objects.get()
    assert (payment.unit, payment.amount_fen, payment.method) == (w.unit_a, 10740, "wechat_pay")
    assert "P-1" in response.content.decode()
    assert_ledgers_verify(w.a)


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", "1.005"), ("amount", "-1"), ("unit", "9栋-9-909"), ("received_on", "2099-01-01")],
)
def test_the_page_shows_the_error_next_to_the_field(escrow_world, field, value):
    w = escrow_world
    data = {"receipt_no": "P-2", "unit": "1栋-1-101", "amount": "10.00", "method": "cash", "received_on": DAY}
    data[field] = value
    before = counts()
    response = client_for(w.staff).post(reverse("escrow:payment-record", args=[w.a.slug]), data)
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert counts() == before
