"""“Where my fee went”: the rule (no fen lost, whatever the amounts), a hand-worked
example through the real services, and the owner's page (/c/<slug>/my-fee/)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from communities.models import Unit
from escrow.fees.services.payments import payment_record
from escrow.ledger.services import credit, debit, ledger_post
from escrow.models import Category, EntryKind
from escrow.transparency.fee_allocation import allocate, fee_allocation, owned_units, spent_share
from tests.escrow.fees.helpers import client_for
from tests.escrow.ledger.helpers import open_escrow

OPENED_ON = dt.date(2026, 1, 1)
Q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
EXPENSE_CATEGORIES = [
    Category.NC_STAFF,
    Category.NC_CLEANING,
    Category.NC_GREENING,
    Category.NC_ELEVATOR,
    Category.REPAIRS,
    Category.REFUNDS,
    Category.BANK_FEES,
]


# --------------------------------------------------------------------------- the rule


@given(
    total=st.integers(min_value=0, max_value=10**10),
    income=st.integers(min_value=-(10**8), max_value=10**11),
    spending=st.dictionaries(
        st.sampled_from(EXPENSE_CATEGORIES), st.integers(min_value=-(10**7), max_value=10**10), max_size=7
    ),
)
def test_no_fen_is_lost_or_invented(total, income, spending):
    spent, parts, kept, kept_percent = allocate(total, income, spending)
    assert sum(amount for _c, amount, _p in parts) + kept == total
    assert sum(amount for _c, amount, _p in parts) == spent
    assert all(amount >= 0 for _c, amount, _p in parts) and kept >= 0
    assert [c for c, _a, _p in parts] == [c for c in Category.values if spending.get(c, 0) > 0]
    expenses = sum(spending.values())
    if expenses <= 0 or total == 0:
        assert spent == 0
    elif income <= 0 or expenses >= income:
        assert spent == total
    else:
        exact = Decimal(total) * expenses / income
        assert abs(spent - exact) <= Decimal("0.5") and spent <= total
    weights = sum(v for v in spending.values() if v > 0)
    for category, amount, _p in parts:  # each part within a fen of its exact share
        assert abs(amount - Decimal(spent) * spending[category] / weights) < 1
    if total:
        assert sum(p for _c, _a, p in parts) + kept_percent == 1000
    else:
        assert kept_percent == 0 and all(p == 0 for _c, _a, p in parts)


def test_the_spent_share_by_hand():
    assert spent_share(60_000, 160_000, 96_001) == 36_000  # 36,000.375 → 36,000
    assert spent_share(60_000, 160_000, 96_004) == 36_002  # 36,001.5 → 36,002 (half up)
    assert spent_share(60_000, 50_000, 70_000) == 60_000  # spent more than it took in
    assert spent_share(60_000, 0, 1) == 60_000
    assert spent_share(60_000, 100_000, 0) == 0
    assert spent_share(60_000, 100_000, -500) == 0  # only a reversal of earlier spending


def test_a_three_way_split_by_hand():
    # S = 36,000 over 20,000 / 60,000 / 16,001 (of 96,001):
    # exact 7,499.92 / 22,499.77 / 6,000.31 → floors 7,499 / 22,499 / 6,000 (35,998),
    # the 2 fen left go to the two largest remainders: staff and cleaning.
    spent, parts, kept, kept_percent = allocate(
        60_000,
        160_000,
        {Category.NC_CLEANING: 60_000, Category.NC_STAFF: 20_000, Category.NC_ELEVATOR: 16_001},
    )
    assert spent == 36_000
    assert parts == [
        (Category.NC_STAFF, 7_500, 125),
        (Category.NC_CLEANING, 22_500, 375),
        (Category.NC_ELEVATOR, 6_000, 100),
    ]
    assert (kept, kept_percent) == (24_000, 400)


# --------------------------------------------------------------------------- through the services


def _pay(compound, unit, fen, on, receipt):
    return payment_record(
        compound=compound,
        unit=unit,
        amount_fen=fen,
        method="cash",
        received_on=on,
        receipt_no=receipt,
        actor=None,
    )


def _post(compound, kind, legs, memo, on):
    with transaction.atomic():
        return ledger_post(compound=compound, kind=kind, legs=legs, memo=memo, effective_date=on, actor=None)


def _out(compound, category, fen, on):
    _post(compound, EntryKind.PAYOUT, [debit(category, fen), credit(Category.ESCROW_CASH, fen)], "支出", on)


@pytest.fixture
def books(world):
    """Compound A in 2026: the resident (unit 1-101) paid ¥600 in Q2 and ¥100 in Q1; the
    neighbour (1-102) ¥900 in Q2; parking brought ¥100; Q2 spending ¥960.01."""
    a = world.a
    open_escrow(a, opening_fen=1_000_000, opened_on=OPENED_ON)
    neighbour = Unit.objects.get(compound=a, number="102")
    _pay(a, world.unit_a, 10_000, dt.date(2026, 3, 20), "R-1")
    _pay(a, world.unit_a, 30_000, dt.date(2026, 4, 3), "R-2")
    _pay(a, world.unit_a, 30_000, dt.date(2026, 5, 3), "R-3")
    _pay(a, neighbour, 90_000, dt.date(2026, 4, 10), "R-4")
    _post(
        a,
        EntryKind.OTHER_INCOME,
        [debit(Category.ESCROW_CASH, 10_000), credit(Category.PARKING_INCOME, 10_000)],
        "停车费",
        dt.date(2026, 6, 1),
    )
    _out(a, Category.NC_CLEANING, 60_000, dt.date(2026, 5, 31))
    _out(a, Category.NC_STAFF, 20_000, dt.date(2026, 6, 5))
    _out(a, Category.NC_ELEVATOR, 16_001, dt.date(2026, 6, 30))
    _out(a, Category.REPAIRS, 50_000, dt.date(2026, 7, 1))  # Q3
    return world


def test_the_hand_worked_example(books):
    w = books
    allocation = fee_allocation(
        compound=w.a, units=owned_units(w.resident, w.a), date_from=Q2[0], date_to=Q2[1]
    )
    # T = 300 + 300 (Q1's ¥100 and the neighbour's ¥900 do not count); I = 600 + 900 + 100;
    # E = 600 + 200 + 160.01; S = 600 × 960.01 ÷ 1600 = 360.00375 → ¥360.00.
    assert (allocation.total, allocation.payments) == (60_000, 2)
    assert (allocation.income, allocation.expenses, allocation.spent) == (160_000, 96_001, 36_000)
    assert [(r.category, r.amount, r.percent, r.compound_spent) for r in allocation.rows] == [
        (Category.NC_CLEANING, 22_500, "37.5", 60_000),
        (Category.NC_STAFF, 7_500, "12.5", 20_000),
        (Category.NC_ELEVATOR, 6_000, "10.0", 16_001),
    ]
    assert (allocation.kept, allocation.kept_percent) == (24_000, "40.0")


def test_a_period_that_spent_more_than_it_took_in(books):
    w = books
    # June and July: income ¥100 (parking), spending ¥200 + ¥160.01 + ¥500 → all of T is spent.
    allocation = fee_allocation(
        compound=w.a, units=[w.unit_a], date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 7, 31)
    )
    assert (allocation.total, allocation.income, allocation.spent, allocation.kept) == (
        30_000,
        40_000,
        30_000,
        0,
    )
    assert sum(r.amount for r in allocation.rows) == 30_000
    assert [r.category for r in allocation.rows][:2] == [Category.NC_CLEANING, Category.REPAIRS]


def test_a_reversal_counts_against_its_category(books):
    w = books
    entry = _post(
        w.a,
        EntryKind.PAYOUT,
        [debit(Category.NC_GREENING, 5_000), credit(Category.ESCROW_CASH, 5_000)],
        "绿化",
        dt.date(2026, 6, 10),
    ).entry
    _post(
        w.a,
        EntryKind.REVERSAL,
        [debit(Category.ESCROW_CASH, 5_000), credit(Category.NC_GREENING, 5_000)],
        "冲销 绿化",
        dt.date(2026, 6, 11),
    )
    assert entry.sequence > 0
    allocation = fee_allocation(compound=w.a, units=[w.unit_a], date_from=Q2[0], date_to=Q2[1])
    assert Category.NC_GREENING not in [r.category for r in allocation.rows]
    assert allocation.expenses == 96_001


# --------------------------------------------------------------------------- the page


def _url(compound, **query):
    from urllib.parse import urlencode

    base = reverse("escrow:my-fee", args=[compound.slug])
    return f"{base}?{urlencode(query)}" if query else base


def test_the_owner_sees_where_the_fee_went(books):
    w = books
    response = client_for(w.resident).get(_url(w.a, year=2026, quarter=2))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-04-01 to 2026-06-30" in html
    assert "¥600.00" in html  # T
    for text in ("¥225.00", "¥75.00", "¥60.00", "¥240.00", "width: 37.5%", "width: 40.0%"):
        assert text in html, text
    assert "Necessary cost: cleaning" in html and "Still held in the escrow account" in html
    assert "took in ¥1,600.00 and spent ¥960.01" in html
    assert response.context["allocation"].total == 60_000


def test_custom_dates(books):
    w = books
    response = client_for(w.resident).get(_url(w.a, date_from="2026-03-01", date_to="2026-04-30"))
    assert response.status_code == 200
    allocation = response.context["allocation"]
    assert (allocation.date_from, allocation.date_to, allocation.total) == (
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 30),
        40_000,
    )
    assert allocation.spent == 0 and "¥400.00" in response.content.decode()


def test_the_default_is_this_year_to_date(books):
    w = books
    response = client_for(w.resident).get(_url(w.a))
    assert response.status_code == 200
    allocation = response.context["allocation"]
    from django.utils import timezone

    today = timezone.localdate()
    assert (allocation.date_from, allocation.date_to) == (
        max(today.replace(month=1, day=1), OPENED_ON),
        today,
    )
    assert allocation.total == (70_000 if today.year == 2026 else 0)


def test_an_empty_period(books):
    w = books
    response = client_for(w.resident).get(_url(w.a, year=2026, quarter=3))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You made no payments in this period." in html
    assert "took in ¥0.00 and spent ¥500.00" in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "2026-04-01", "date_to": "2099-01-01"}, "date_to", "must not be in the future"),
        ({"date_from": "2025-12-01", "date_to": "2026-04-01"}, "date_from", "opened on 2026-01-01"),
        ({"date_from": "2026-05-01", "date_to": "2026-04-01"}, "date_to", "comes before the first day"),
        ({"date_from": "2026-05-01"}, "date_to", "Give the last day as well."),
        ({"date_from": "not-a-date", "date_to": "2026-04-01"}, "date_from", "valid date"),
        ({"year": "2025"}, "year", "ended before the escrow account opened on 2026-01-01"),
        ({"year": "2099"}, "year", "has not begun yet"),
        ({"year": "2101"}, "year", "Ensure this value is less than or equal to 2100."),
        ({"year": "2100", "quarter": "1"}, "quarter", "has not begun yet"),
        ({"year": "2026", "quarter": "7"}, "quarter", "Select a valid choice"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(books, query, field, message):
    w = books
    response = client_for(w.resident).get(_url(w.a, **query))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert any(message in error for error in form.errors[field]), form.errors
    assert "allocation" not in response.context
    assert message in response.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize("persona", ["committee", "official", "staff", "outsider", "stranger"])
def test_only_owners_of_the_compound_see_the_page(books, persona):
    w = books
    assert client_for(getattr(w, persona)).get(_url(w.a)).status_code == 404


def test_an_unknown_compound_is_404_and_anonymous_must_log_in(books):
    w = books
    assert client_for(w.resident).get(reverse("escrow:my-fee", args=["no-such-compound"])).status_code == 404
    response = client_for(None).get(_url(w.a))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_compound_without_an_escrow_account(world):
    response = client_for(world.resident).get(_url(world.a))
    assert response.status_code == 200
    assert "no escrow account yet" in response.content.decode()
