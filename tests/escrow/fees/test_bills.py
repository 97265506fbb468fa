"""Monthly fee bills: amounts, rounding, the contract in force, idempotent runs
(service and Celery task), arrears and a unit's statement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Sum

from common.periods import add_months
from communities import services as community_services
from escrow import tasks
from escrow.fees import selectors
from escrow.fees.periods import BillingError
from escrow.fees.services.billing import bill_amount_fen, bills_generate
from escrow.fees.services.payments import payment_record
from escrow.models import FeeBill
from tests.escrow.fees.helpers import (
    FEB,
    JAN,
    MAR,
    add_unit,
    assert_ledgers_verify,
)


@pytest.mark.parametrize(
    ("area", "rate", "fen"),
    [
        ("89.50", 120, 10740),  # exact
        ("89.50", 95, 8503),  # 8502.5 → half up
        ("89.49", 95, 8502),  # 8501.55 → 8502
        ("95.37", 120, 11444),  # 11444.4 → down
        ("63.21", 135, 8533),  # 8533.35
        ("2000.00", 5000, 10_000_000),  # the largest flat at the highest rate
    ],
)
def test_bill_amount_rounds_half_up_to_the_fen_per_unit(area, rate, fen):
    assert bill_amount_fen(Decimal(area), rate) == fen


def test_a_month_bills_every_unit_and_the_compound_total_is_the_sum_of_unit_bills(escrow_world):
    w = escrow_world
    add_unit(w, "103", "95.37")
    add_unit(w, "104", "63.21")
    add_unit(w, "105", "77.77")

    run = bills_generate(compound=w.a, period=JAN)

    # Contract rate 120 fen/m²/month. By hand:
    #  89.50 × 120 = 10,740    120.00 × 120 = 14,400    95.37 × 120 = 11,444.4 → 11,444
    #  63.21 × 120 =  7,585.2 → 7,585                    77.77 × 120 =  9,332.4 → 9,332
    expected = {"101": 10740, "102": 14400, "103": 11444, "104": 7585, "105": 9332}
    bills = {
        b.unit.number: b for b in FeeBill.objects.filter(compound=w.a, period=JAN).select_related("unit")
    }
    assert {n: b.amount_fen for n, b in bills.items()} == expected
    assert run.created == 5
    assert run.total_fen == 53501 == sum(expected.values())
    assert FeeBill.objects.filter(compound=w.a, period=JAN).aggregate(s=Sum("amount_fen"))["s"] == 53501
    assert all(b.rate_fen == 120 and b.contract.company == w.company for b in bills.values())
    assert bills["103"].floor_area == Decimal("95.37")
    # Bills are receivables, not ledger entries: nothing is posted.
    assert_ledgers_verify(w.a)


def test_running_a_month_again_creates_nothing_and_bills_only_new_units(escrow_world):
    w = escrow_world
    first = bills_generate(compound=w.a, period=JAN)
    again = bills_generate(compound=w.a, period=JAN)
    assert (first.created, again.created, again.existing) == (2, 0, 2)
    assert again.total_fen == first.total_fen

    add_unit(w, "106", "50.00")
    third = bills_generate(compound=w.a, period=JAN)
    assert (third.created, third.existing) == (1, 2)
    assert FeeBill.objects.filter(compound=w.a, period=JAN).count() == 3


def test_a_bill_keeps_the_area_it_was_issued_with(escrow_world):
    w = escrow_world
    bills_generate(compound=w.a, period=JAN)
    community_services.unit_update(unit=w.unit_a, floor_area="100.00", actor=None)
    bills_generate(compound=w.a, period=JAN)
    bills_generate(compound=w.a, period=FEB)
    assert FeeBill.objects.get(unit=w.unit_a, period=JAN).amount_fen == 10740
    assert FeeBill.objects.get(unit=w.unit_a, period=FEB).amount_fen == 12000


def test_the_contract_in_force_on_the_first_of_the_month_sets_the_rate(escrow_world):
    w = escrow_world
    # A's contract started on 2025-12-25: December 2025 has no contract on its first day.
    assert bills_generate(compound=w.a, period=dt.date(2025, 12, 1)).created == 0
    # Handover on 15 March to a contract at 95 fen: March still at 120, April at 95.
    community_services.contract_handover(
        compound=w.a, company=w.other_company, start_date=dt.date(2026, 3, 15), fee_rate_fen=95, actor=None
    )
    bills_generate(compound=w.a, period=MAR)
    bills_generate(compound=w.a, period=dt.date(2026, 4, 1))
    assert FeeBill.objects.get(unit=w.unit_a, period=MAR).amount_fen == 10740
    april = FeeBill.objects.get(unit=w.unit_a, period=dt.date(2026, 4, 1))
    assert (april.rate_fen, april.amount_fen) == (95, 8503)  # 89.50 × 95 = 8,502.5 → 8,503


def test_an_expired_contract_without_a_successor_keeps_billing(escrow_world):
    w = escrow_world
    # B's contract (2025-01-01, 95 fen, open-ended) — bills continue month after month.
    run = bills_generate(compound=w.b, period=FEB)
    assert run.created == 1
    assert FeeBill.objects.get(unit=w.unit_b, period=FEB).amount_fen == 9025  # 95.00 × 95


@pytest.mark.parametrize("period", ["2026-01-15", "2026-13", "next month", ""])
def test_a_malformed_month_is_refused_naming_the_field(escrow_world, period):
    with pytest.raises(BillingError) as caught:
        bills_generate(compound=escrow_world.a, period=period)
    assert "period" in caught.value.extra["fields"]
    assert not FeeBill.objects.exists()


def test_a_month_that_has_not_started_is_not_billed(escrow_world):
    from django.utils import timezone

    next_month = add_months(timezone.localdate().replace(day=1), 1)
    with pytest.raises(BillingError):
        bills_generate(compound=escrow_world.a, period=next_month)
    assert not FeeBill.objects.exists()


def test_the_celery_task_is_idempotent_in_eager_mode(escrow_world):
    w = escrow_world
    first = tasks.bills_generate.delay(w.a.pk, "2026-01").get()
    second = tasks.bills_generate.delay(w.a.pk, "2026-01-01").get()
    assert (first["created"], second["created"], second["existing"]) == (2, 0, 2)
    assert first["total_fen"] == second["total_fen"] == 10740 + 14400


def test_the_monthly_fan_out_bills_every_compound_once(escrow_world):
    w = escrow_world
    queued = tasks.bills_generate_month.delay("2026-02").get()
    assert set(queued) >= {w.a.pk, w.b.pk}
    tasks.bills_generate_month.delay("2026-02").get()
    assert FeeBill.objects.filter(period=FEB, compound__in=[w.a, w.b]).count() == 3


def test_beat_runs_the_fan_out_on_the_first_of_the_month():
    entry = settings.CELERY_BEAT_SCHEDULE["escrow-bills-generate-month"]
    assert entry["task"] == "escrow.tasks.bills_generate_month"
    assert entry["schedule"].day_of_month == {1}


# --------------------------------------------------------------------------- arrears and statements


def _pay(w, unit, fen, day, receipt):
    return payment_record(
        compound=w.a,
        unit=unit,
        amount_fen=fen,
        method="cash",
        received_on=day,
        receipt_no=receipt,
        actor=w.staff,
    ).payment


def test_arrears_are_billed_minus_paid_and_the_list_is_oldest_first(escrow_world):
    w = escrow_world
    unit_102 = w.unit_a.building.units.get(number="102")
    bills_generate(compound=w.a, period=JAN)
    bills_generate(compound=w.a, period=FEB)
    _pay(w, w.unit_a, 15000, dt.date(2026, 2, 10), "R-1")

    assert selectors.unit_arrears_fen(w.unit_a) == 2 * 10740 - 15000 == 6480
    assert selectors.unit_arrears_fen(unit_102) == 2 * 14400

    listed = selectors.arrears_list(w.a)
    # 102 has owed since January; 101's payment settled January, so it owes since February.
    assert [(a.unit.number, a.oldest_unpaid, a.months_unpaid, a.arrears_fen) for a in listed] == [
        ("102", JAN, 2, 28800),
        ("101", FEB, 1, 6480),
    ]

    _pay(w, w.unit_a, 6480, dt.date(2026, 2, 20), "R-2")
    assert [a.unit.number for a in selectors.arrears_list(w.a)] == ["102"]
    assert_ledgers_verify(w.a)


def test_a_units_statement_lists_bills_and_payments_in_date_order_with_the_balance(escrow_world):
    w = escrow_world
    bills_generate(compound=w.a, period=JAN)
    _pay(w, w.unit_a, 5000, dt.date(2026, 1, 1), "R-3")  # same day as the bill: after it
    bills_generate(compound=w.a, period=FEB)
    _pay(w, w.unit_a, 20000, dt.date(2026, 2, 10), "R-4")

    lines = selectors.unit_statement(w.unit_a)
    assert [(line.day, line.kind, line.billed_fen, line.paid_fen, line.balance_fen) for line in lines] == [
        (JAN, "bill", 10740, 0, 10740),
        (JAN, "payment", 0, 5000, 5740),
        (FEB, "bill", 10740, 0, 16480),
        (dt.date(2026, 2, 10), "payment", 0, 20000, -3520),
    ]
    assert selectors.unit_arrears_fen(w.unit_a) == -3520  # paid ahead
    assert w.unit_a not in [a.unit for a in selectors.arrears_list(w.a)]
