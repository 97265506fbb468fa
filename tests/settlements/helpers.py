"""The worked example of docs/settlements.md: compound A's year 2025, built through the
services (ledger postings, disclosures built and published), with four closed
assessment rounds whose frozen totals are written as the assessment close writes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.stepup import SecondFactor
from assessments.models import AssessmentRound, RoundStatus
from assessments.services import _defaults_ensure
from common.periods import quarter_bounds
from escrow.ledger.services import credit, debit, ledger_post
from escrow.models import Category, EntryKind
from tests.escrow.ledger.helpers import open_escrow, pay_in, pay_out
from tests.escrow.transparency.helpers import Quarter, build, publish

YEAR = 2025
OPENING_FEN = 5_000_000
FEES = [25_000_001, 24_500_000, 25_300_333, 26_000_000]  # Σ 100,800,334
NECESSARY = [15_000_001, 15_000_001, 15_000_002, 15_000_002]  # Σ 60,000,006
REPAIRS_Q2 = 3_456_789
BANK_FEES_Q3 = 1_234
PRIOR_RELEASE_Q1 = 1_000_000  # last year's settlement release, paid this year: not an expense of 2025
PRIOR_TRANSFER_Q1 = 500_000  # last year's kept part moved to the owners' fund: not income of 2025
SCORES = ["88.50", "91.25", "86.00", "90.10"]  # mean 88.9625 → 88.96 → band 80–89, 95 %

EXPECTED = {
    "fees_received": 100_800_334,
    "necessary_costs": 60_000_006,
    "other_expenses": 3_458_023,
    "reserve": 15_000_002,
    "distributable": 22_342_303,
    "score": "88.96",
    "band": {"low": 80, "high": 89},
    "release_rate": 95,
    "renewal_recommended": True,
    "released": 21_225_187,
    "kept": 1_117_116,
    "nothing_to_release": False,
}


def fresh(method: str = "totp") -> SecondFactor:
    return SecondFactor(method=method, at=timezone.now())


def post(compound, kind, legs, memo, on):
    with transaction.atomic():
        return ledger_post(compound=compound, kind=kind, legs=legs, memo=memo, effective_date=on, actor=None)


def fill_year(compound, *, fees=FEES, necessary=NECESSARY) -> None:
    for index, quarter in enumerate((1, 2, 3, 4)):
        start, _end = quarter_bounds(YEAR, quarter)
        pay_in(compound, fees[index], on=start + dt.timedelta(days=4), memo="物业费")
        pay_out(
            compound,
            necessary[index],
            category=Category.NC_CLEANING,
            memo="保洁",
            on=start + dt.timedelta(days=9),
        )
    start1, _ = quarter_bounds(YEAR, 1)
    pay_out(
        compound,
        PRIOR_RELEASE_Q1,
        category=Category.SETTLEMENT_RELEASE,
        memo="上年结算拨付",
        on=start1 + dt.timedelta(days=20),
    )
    post(
        compound,
        EntryKind.OWNERS_FUND_TRANSFER,
        [debit(Category.FEE_INCOME, PRIOR_TRANSFER_Q1), credit(Category.OWNERS_FUND, PRIOR_TRANSFER_Q1)],
        "上年结算留存",
        start1 + dt.timedelta(days=21),
    )
    pay_out(compound, REPAIRS_Q2, category=Category.REPAIRS, memo="维修", on=dt.date(YEAR, 5, 3))
    pay_out(compound, BANK_FEES_Q3, category=Category.BANK_FEES, memo="手续费", on=dt.date(YEAR, 8, 3))


def close_rounds(world, compound, scores=SCORES) -> None:
    """Four closed rounds with these frozen totals (as ``assessments`` freezes them)."""
    with transaction.atomic():
        template, policy = _defaults_ensure(world.office)
    for quarter, total in zip((1, 2, 3, 4), scores, strict=True):
        start, end = quarter_bounds(YEAR, quarter)
        AssessmentRound.objects.create(
            compound=compound,
            year=YEAR,
            quarter=quarter,
            period_start=start,
            period_end=end,
            template=template,
            policy=policy,
            company=world.company,
            status=RoundStatus.CLOSED,
            deadline=timezone.now(),
            closed_at=timezone.now(),
            total=Decimal(total),
            result={},
        )


def disclose_year(capture, compound, actor) -> list:
    out = []
    for quarter in (1, 2, 3, 4):
        start, end = quarter_bounds(YEAR, quarter)
        out.append(
            publish(capture, build(capture, compound, Quarter(YEAR, quarter, start, end), actor), actor)
        )
    return out


def settled_world(world, capture, *, disclose=True, scores=SCORES, **kwargs):
    open_escrow(world.a, opening_fen=OPENING_FEN, opened_on=dt.date(2024, 12, 1))
    fill_year(world.a, **kwargs)
    if scores:
        close_rounds(world, world.a, scores)
    if disclose:
        disclose_year(capture, world.a, world.official)
    return world
