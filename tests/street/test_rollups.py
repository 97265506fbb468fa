"""Rollups equal the figures recomputed from the source tables (bills, payments, journal
lines) after a random sequence of operations through the real services (hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.periods import add_months, month_start
from escrow.fees.services.billing import bills_generate
from escrow.fees.services.payments import payment_record
from escrow.models import AccountKind, Category, FeeBill, JournalLine, Payment, PaymentMethod, Side
from street import services
from street.models import CompoundMonth
from tests.escrow.ledger.helpers import open_escrow, pay_in, pay_out

pytestmark = pytest.mark.django_db

OPENED = dt.date(2026, 1, 1)
_receipts = itertools.count(1)


def _days():
    today = timezone.localdate()
    return st.integers(min_value=0, max_value=(today - OPENED).days).map(
        lambda d: OPENED + dt.timedelta(days=d)
    )


operation = st.one_of(
    st.tuples(st.just("bill"), st.integers(min_value=0, max_value=11)),
    st.tuples(st.just("pay"), st.integers(min_value=0, max_value=1), st.integers(1, 500_00), _days()),
    st.tuples(st.just("in"), st.integers(1, 900_00), _days()),
    st.tuples(
        st.just("out"),
        st.sampled_from([Category.NC_CLEANING, Category.NC_SECURITY, Category.REPAIRS]),
        st.integers(1, 400_00),
        _days(),
    ),
)


def _apply(world, op):
    kind = op[0]
    if kind == "bill":
        month = add_months(OPENED, op[1])
        if month <= timezone.localdate().replace(day=1):
            bills_generate(compound=world.a, period=month)
    elif kind == "pay":
        unit = [world.unit_a, world.a.units.exclude(pk=world.unit_a.pk).first()][op[1]]
        payment_record(
            compound=world.a,
            unit=unit,
            amount_fen=op[2],
            method=PaymentMethod.CASH,
            received_on=op[3],
            receipt_no=f"R{next(_receipts):06d}",
            actor=None,
        )
    elif kind == "in":
        pay_in(world.a, op[1], on=op[2])
    else:
        pay_out(world.a, op[2], category=op[1], on=op[3])


def _oracle(compound, months):
    """The figures straight from the source rows, one row at a time."""
    out = {m: defaultdict(int) for m in months}
    for bill in FeeBill.objects.filter(compound=compound):
        if bill.period in out:
            out[bill.period]["billed_fen"] += bill.amount_fen
    for p in Payment.objects.filter(compound=compound):
        if month_start(p.received_on) in out:
            out[month_start(p.received_on)]["money_in_fen"] += p.amount_fen
            if p.unit_id is not None:
                out[month_start(p.received_on)]["received_fen"] += p.amount_fen
    lines = list(JournalLine.objects.filter(compound=compound).select_related("entry", "account"))
    for m in months:
        end = add_months(m, 1)
        cash = 0
        for line in lines:
            signed = line.amount if line.side == Side.DEBIT else -line.amount
            day = line.entry.effective_date
            if line.account.category == Category.ESCROW_CASH and day < end:
                cash += signed
            if not (m <= day < end):
                continue
            if line.account.kind == AccountKind.INCOME:
                out[m]["income_fen"] -= signed
            elif line.account.category.startswith("nc_"):
                out[m]["necessary_costs_fen"] += signed
            elif line.account.kind == AccountKind.EXPENSE:
                out[m]["other_expenses_fen"] += signed
        out[m]["escrow_balance_fen"] = cash
    return out


FIELDS = [
    "billed_fen",
    "received_fen",
    "money_in_fen",
    "income_fen",
    "necessary_costs_fen",
    "other_expenses_fen",
    "escrow_balance_fen",
]


@pytest.fixture
def ledger_world(world):
    open_escrow(world.a, opening_fen=100_000_00, opened_on=OPENED)
    return world


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=6))
def test_rollups_equal_the_source_tables(ledger_world, ops):
    """State accumulates from one example to the next: the equality must hold whatever
    came before, which is the point."""
    world = ledger_world
    for op in ops:
        _apply(world, op)
    services.rollups_refresh(world.office, months=12)
    current = timezone.localdate().replace(day=1)
    months = [add_months(current, -k) for k in range(11, -1, -1)]
    expected = _oracle(world.a, months)
    stored = {r.month: r for r in CompoundMonth.objects.filter(compound=world.a)}
    for m in months:
        got = {f: getattr(stored[m], f) for f in FIELDS}
        want = {f: expected[m][f] for f in FIELDS}
        assert got == want, m


def test_a_compound_without_escrow_has_no_balance_but_counts_meetings(world):
    services.rollups_refresh(world.office, months=1)
    row = CompoundMonth.objects.get(compound=world.b)
    assert row.escrow_balance_fen is None and row.payouts_waiting is None
    assert row.meetings_held == 0 and row.billed_fen == 0


def test_months_out_of_range_are_refused(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.rollups_refresh(world.office, months=0)
    assert "months" in caught.value.message_dict
