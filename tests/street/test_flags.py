"""Each flag against a case that must raise it and a near miss that must not; the same
data gives the same flags, and a decision survives a refresh."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from common.periods import add_months
from escrow.models import PayoutRequest
from street import flags as rules
from street import services
from street.models import CompoundMonth, Flag, FlagKind, FlagStatus
from tests.escrow.ledger.helpers import open_escrow as open_ledger
from tests.escrow.ledger.helpers import pay_out
from tests.escrow.payouts.helpers import file_payout, prepare
from tests.street.helpers import dashboard_for, more_compounds

pytestmark = pytest.mark.django_db


def said(finding) -> list[str]:
    return rules.describe(Flag(kind=finding.kind, evidence=finding.evidence))


def kinds(findings, kind):
    return [f for f in findings if f.kind == kind]


@pytest.fixture
def paying(world, settings, tmp_path):
    prepare(world, settings, tmp_path)
    dashboard_for(world)
    return world


# --------------------------------------------------------------------------- split payouts


def test_split_payouts_raised_when_together_they_reach_the_threshold(paying):
    w = paying
    first = file_payout(w, amount_fen=30_000_00)
    second = file_payout(w, amount_fen=25_000_00)
    found = kinds(rules.split_payouts([w.a]), FlagKind.SPLIT_PAYOUTS)
    assert len(found) == 1
    evidence = found[0].evidence
    assert [p["pk"] for p in evidence["payouts"]] == [first.pk, second.pk]
    assert evidence["total_fen"] == 55_000_00 and evidence["threshold_fen"] == 50_000_00


def test_split_payouts_near_misses(paying):
    w = paying
    file_payout(w, amount_fen=24_000_00)
    file_payout(w, amount_fen=25_999_99)  # together ¥49,999.99: under the threshold
    assert kinds(rules.split_payouts([w.a]), FlagKind.SPLIT_PAYOUTS) == []
    late = file_payout(w, amount_fen=30_000_00, payee_name="另一家公司")
    early = file_payout(w, amount_fen=30_000_00, payee_name="另一家公司")
    PayoutRequest.objects.filter(pk=early.pk).update(submitted_at=late.submitted_at - dt.timedelta(days=31))
    assert kinds(rules.split_payouts([w.a]), FlagKind.SPLIT_PAYOUTS) == []  # 31 days apart
    PayoutRequest.objects.filter(pk=early.pk).update(submitted_at=late.submitted_at - dt.timedelta(days=30))
    assert len(kinds(rules.split_payouts([w.a]), FlagKind.SPLIT_PAYOUTS)) == 1  # 30 days: inside


# --------------------------------------------------------------------------- signature waiting


def test_signature_step_waiting_more_than_seven_days(paying):
    w = paying
    payout = file_payout(w)
    now = timezone.now()
    PayoutRequest.objects.filter(pk=payout.pk).update(waiting_since=now - dt.timedelta(days=7, hours=1))
    found = rules.signatures_waiting([w.a], now)
    assert [f.evidence["payout_pk"] for f in found] == [payout.pk]
    assert "has waited 7 days" in said(found[0])[0]
    PayoutRequest.objects.filter(pk=payout.pk).update(waiting_since=now - dt.timedelta(days=6, hours=23))
    assert rules.signatures_waiting([w.a], now) == []


# --------------------------------------------------------------------------- disclosures


def test_disclosure_late_fifteen_days_after_its_quarter(world):
    open_ledger(world.a, opened_on=dt.date(2026, 7, 1))
    due = dt.date(2026, 10, 15)  # Q3 ends 09-30, + 15 days
    assert rules.disclosures_late([world.a], due) == []  # the 15th day itself: not late yet
    found = rules.disclosures_late([world.a], due + dt.timedelta(days=1))
    assert [f.evidence["quarter"] for f in found] == ["2026Q3"]
    assert said(found[0]) == ["2026Q3 was due by 2026-10-15 and is 1 days late."]


# --------------------------------------------------------------------------- collection falling


def _rates(compound, today, percents):
    """Rollup rows for the four complete months before ``today``'s, billed ¥1,000 each."""
    current = today.replace(day=1)
    for k, pct in enumerate(percents):
        CompoundMonth.objects.create(
            compound=compound,
            month=add_months(current, k - 4),
            billed_fen=1000_00,
            received_fen=pct * 10_00,
            refreshed_at=timezone.now(),
        )


def test_collection_rate_falling_three_months_in_a_row(world):
    today = dt.date(2026, 11, 20)
    _rates(world.a, today, [90, 80, 70, 60])
    _rates(world.b, today, [90, 80, 85, 60])  # near miss: it rose once
    found = rules.collection_falling([world.a, world.b], today)
    assert [f.compound_id for f in found] == [world.a.pk]
    assert [r["rate"] for r in found[0].evidence["rates"]] == ["90.0", "80.0", "70.0", "60.0"]
    assert said(found[0]) == ["2026-07 90.0% → 2026-08 80.0% → 2026-09 70.0% → 2026-10 60.0%"]


def test_collection_equal_month_is_not_a_fall(world):
    today = dt.date(2026, 11, 20)
    _rates(world.a, today, [90, 80, 80, 60])
    assert rules.collection_falling([world.a], today) == []


# --------------------------------------------------------------------------- cost outliers


def _costs(world, outlier_fen_per_m2: int):
    """Cleaning cost per m² over the last 12 months: A 10.00, B 10.50, three more compounds
    11.00, 9.50 and the one tested (yuan per m²; every flat's area is known)."""
    extra = more_compounds(world, 3)
    compounds = [world.a, world.b, *extra]
    day = add_months(timezone.localdate().replace(day=1), -1)
    for compound, per_m2, area in zip(
        compounds,
        [1000, 1050, 1100, 950, outlier_fen_per_m2],
        ["209.5", "95", "100", "100", "100"],
        strict=True,
    ):
        open_ledger(compound, opening_fen=10_000_000_00)
        pay_out(compound, int(per_m2 * float(area)), on=day)
    return compounds


def test_cost_outlier_raised_with_its_robust_z(world):
    compounds = _costs(world, 1320)  # z = 0.6745 × 270 / 50 = 3.64
    found = rules.cost_outliers(compounds, timezone.localdate())
    assert [(f.compound_id, f.evidence["category"], f.evidence["z"]) for f in found] == [
        (compounds[-1].pk, "nc_cleaning", "3.64")
    ]
    assert "robust z = 3.64" in said(found[0])[0]


def test_cost_outlier_near_miss(world):
    compounds = _costs(world, 1300)  # z = 3.37
    assert rules.cost_outliers(compounds, timezone.localdate()) == []


# --------------------------------------------------------------------------- shared payee account


def test_one_payee_account_used_by_two_companies(paying):
    w = paying
    file_payout(w, payee_name="咸宁市利民水电维修部")
    file_payout(w, payee_name="咸宁市 利民水电维修部")  # the same name with a space: not another company
    assert kinds(rules.shared_payee_accounts([w.a]), FlagKind.SHARED_PAYEE_ACCOUNT) == []
    other = file_payout(w, payee_name="咸宁市顺达建筑劳务公司")
    found = kinds(rules.shared_payee_accounts([w.a]), FlagKind.SHARED_PAYEE_ACCOUNT)
    assert len(found) == 1
    assert [p["name"] for p in found[0].evidence["payees"]] == [
        "咸宁市利民水电维修部",
        "咸宁市顺达建筑劳务公司",
    ]
    assert found[0].evidence["payees"][1]["payout_pk"] == other.pk
    assert said(found[0])[0].endswith("咸宁市利民水电维修部、咸宁市顺达建筑劳务公司.")


def test_another_account_is_no_flag(paying):
    w = paying
    file_payout(w, payee_name="甲公司")
    file_payout(w, payee_name="乙公司", payee_account="6217 0099 8877 6655 444")
    assert rules.shared_payee_accounts([w.a]) == []


# --------------------------------------------------------------------------- the job


def test_same_data_same_flags_and_decisions_survive_a_refresh(paying):
    w = paying
    file_payout(w, amount_fen=30_000_00)
    file_payout(w, amount_fen=30_000_00)
    now = timezone.now()
    first = [(f.key, f.evidence) for f in services.flags_refresh(w.office, now=now)]
    again = [(f.key, f.evidence) for f in services.flags_refresh(w.office, now=now)]
    assert first == again
    assert any(k.startswith("split:") for k, _e in first)
    split = Flag.objects.get(key__startswith="split:")
    services.flag_decide(
        flag_id=split.pk,
        street_office=w.office,
        decision="acknowledged",
        reason="已约谈",
        actor=w.street_admin,
    )
    services.flags_refresh(w.office, now=now)
    split.refresh_from_db()
    assert split.status == FlagStatus.ACKNOWLEDGED and split.active
    # The data changes (one request withdrawn): the flag is no longer in force.
    PayoutRequest.objects.filter(pk=split.evidence["payouts"][1]["pk"]).update(status="withdrawn")
    services.flags_refresh(w.office, now=now)
    split.refresh_from_db()
    assert not split.active


def test_the_beat_task_refreshes_every_office(paying):
    from common.periods import months_between
    from street.tasks import street_refresh_all

    # The first run backfills the office's history (from its escrow account's month on)…
    months = len(months_between(paying.a.escrow_account.opened_on.replace(day=1), timezone.localdate()))
    result = street_refresh_all.apply(kwargs={"months": 2}).get()
    assert result[str(paying.office.pk)]["rows"] == 2 * months
    # …and from then on refreshes the months it is told.
    result = street_refresh_all.apply(kwargs={"months": 2}).get()
    assert result[str(paying.office.pk)]["rows"] == 2 * 2  # two compounds × two months


def test_the_flags_page_shows_the_evidence_in_words(paying):
    from django.urls import reverse

    from tests.pages.helpers import client_for

    w = paying
    file_payout(w, amount_fen=30_000_00)
    file_payout(w, amount_fen=30_000_00)
    services.flags_refresh(w.office)
    slug = dashboard_for(w).slug
    html = client_for(w.inspector).get(reverse("street:flags", args=[slug])).content.decode()
    assert (
        "2 payouts to 咸宁市利民水电维修部 together ¥60,000.00; the resolution threshold is ¥50,000.00."
        in html
    )
