"""The backfill: rollups from where the data starts, with the stock figures of past months
read back from the source rows' own dates (not only from the first refresh on)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from common.periods import add_months, months_between
from escrow.models import PayoutRequest
from street import services
from street.models import CompoundMonth
from tests.escrow.payouts.helpers import file_payout, prepare
from tests.street.helpers import dashboard_for

pytestmark = pytest.mark.django_db


def _at(month: dt.date, day: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(month.replace(day=day), dt.time(10)))


@pytest.fixture
def paying(world, settings, tmp_path):
    prepare(world, settings, tmp_path)
    dashboard_for(world)
    return world


def test_a_past_month_shows_the_payouts_that_were_waiting_then(paying):
    w = paying
    current = timezone.localdate().replace(day=1)
    three_ago, two_ago = add_months(current, -3), add_months(current, -2)
    waited = file_payout(w, amount_fen=1_000_00)
    # Submitted three months ago, decided (paid, rejected or withdrawn) two months ago.
    PayoutRequest.objects.filter(pk=waited.pk).update(
        submitted_at=_at(three_ago, 10), decided_at=_at(two_ago, 5), status="withdrawn"
    )
    still = file_payout(w, amount_fen=2_000_00)
    PayoutRequest.objects.filter(pk=still.pk).update(submitted_at=_at(two_ago, 20))
    services.rollups_refresh(w.office, months=4)
    rows = {r.month: r for r in CompoundMonth.objects.filter(compound=w.a)}
    assert rows[three_ago].payouts_waiting == 1
    assert rows[three_ago].open_holds_fen == 1_000_00
    end_three = _at(add_months(three_ago, 1), 1) - dt.timedelta(hours=10, microseconds=1)
    assert rows[three_ago].payouts_oldest_days == (end_three - _at(three_ago, 10)).days
    # Two months ago: the first was decided on the 5th, the second waited from the 20th.
    assert rows[two_ago].payouts_waiting == 1 and rows[two_ago].open_holds_fen == 2_000_00
    assert rows[add_months(current, -1)].payouts_waiting == 1
    assert rows[current].payouts_waiting == 1  # the current month through the payouts app itself


def test_stewards_and_disclosure_of_a_past_month_are_filled(paying):
    w = paying
    services.rollups_refresh(w.office, months=3)
    for row in CompoundMonth.objects.filter(compound=w.a):
        assert row.stewards is not None, row.month  # was NULL for every month but the current one
        assert row.repairs_open is not None, row.month


def test_the_backfill_starts_where_the_data_does_not_at_the_first_refresh(paying):
    """Data since the escrow account opened, months before the first refresh: the beat
    job (3 months) backfills an office whose history is missing, then keeps to 3 months."""
    from escrow.fees.services.payments import payment_record
    from escrow.models import PaymentMethod

    w = paying
    current = timezone.localdate().replace(day=1)
    start = w.a.escrow_account.opened_on.replace(day=1)
    assert start < add_months(current, -3)
    payment_record(
        compound=w.a,
        unit=w.unit_a,
        amount_fen=300_00,
        method=PaymentMethod.CASH,
        received_on=start.replace(day=15),
        receipt_no="R-BACKFILL-1",
        actor=None,
    )
    services.rollups_refresh(w.office, months=3)  # what the hourly job alone would leave
    assert not CompoundMonth.objects.filter(month=start).exists()
    assert services.history_missing(w.office)
    services.refresh_all(months=3)
    assert CompoundMonth.objects.filter(compound=w.a, month=start, money_in_fen=300_00).exists()
    assert CompoundMonth.objects.filter(compound=w.a).count() == len(months_between(start, current))
    assert not services.history_missing(w.office)
    # …and from then on the hourly job refreshes the last 3 months only.
    before = CompoundMonth.objects.get(compound=w.a, month=start).refreshed_at
    services.refresh_all(months=3)
    assert CompoundMonth.objects.get(compound=w.a, month=start).refreshed_at == before


def test_the_backfill_command(paying):
    out = StringIO()
    call_command("street_backfill", stdout=out)
    assert "rollup rows" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("street_backfill", office="nope", stdout=StringIO())


def test_the_charts_run_from_the_first_month_of_data(paying):
    from street import selectors

    w = paying
    current = timezone.localdate().replace(day=1)
    services.rollups_refresh(w.office, months=18)
    data = selectors.charts(w.office)
    assert data["first_month"] == add_months(current, -17)
    assert len(data["money"].labels) == 18
