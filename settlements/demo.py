"""Demo settlements, through the real services: ``seed_settlements_demo(stdout=…)``.

Runs after the seed's disclosure and assessment stages. The demo's escrow accounts open on
1 Dec 2025 (escrow/demo/fees.py) and its assessment rounds run 2025 Q4 – 2026 Q3
(assessments/demo.py), so the first settled year is **2025**, an escrow account's first
year, which counts from the quarter the account opened in (Q4: disclosed, and scored by
the 2025 Q4 round). For each pilot: the 2025 settlement is run (as the beat job would in
January), confirmed by two committee members and a community official, and its release
payout reviewed, rechecked and paid through escrow's workflow. The current year's
"if settled today" preview needs no data: the settlements page computes it live.

Idempotent: a year already settled is continued where it stopped (confirmations that
exist are kept, a payout already paid is left alone).
"""

from __future__ import annotations

import sys
import zlib

from django.utils import timezone

from accounts.stepup import SecondFactor
from communities.models import Compound, Role
from communities.selectors import users_with_roles
from escrow.demo.fees import SLUGS
from escrow.demo.payouts import quietly
from escrow.models import PayoutStatus
from escrow.payouts import services as payouts
from settlements.figures import SettlementError
from settlements.models import Settlement, SettlementStatus
from settlements.services.build import _create, settlement_build
from settlements.services.confirm import confirmation_refusal, settlement_release
from settlements.services.confirm import settlement_confirm as confirm

DEMO_YEAR = 2025
DEMO_PAYEE_ACCOUNT = "6222021300008888"


def _proof() -> SecondFactor:
    return SecondFactor(method="totp", at=timezone.now())


def _signers(compound):
    committee = users_with_roles(compound, [Role.COMMITTEE_MEMBER, Role.COMMITTEE_CHAIR])
    officials = users_with_roles(compound, [Role.COMMUNITY_OFFICIAL])
    return committee, officials


def _settle(compound) -> str:
    from django.db import transaction

    settlement = (
        Settlement.objects.filter(compound=compound, year=DEMO_YEAR)
        .exclude(status=SettlementStatus.SUPERSEDED)
        .first()
    )
    if settlement is None:
        try:
            with transaction.atomic():
                settlement = _create(
                    compound=compound, year=DEMO_YEAR, actor=None, payee_account=DEMO_PAYEE_ACCOUNT
                )
        except SettlementError as exc:
            return f"not settled: {exc.message}"
    if settlement.status in (SettlementStatus.PENDING, SettlementStatus.BUILDING):
        settlement_build(settlement.pk)
        settlement.refresh_from_db()
    committee, officials = _signers(compound)
    for user in [*committee, *officials]:
        settlement.refresh_from_db()
        if settlement.status != SettlementStatus.READY:
            break
        party, _why = confirmation_refusal(settlement, user)
        if party is not None:
            confirm(settlement=settlement, actor=user, second_factor=_proof(), digest=settlement.digest)
    settlement.refresh_from_db()
    if settlement.status == SettlementStatus.CONFIRMED:
        settlement_release(settlement.pk)
        settlement.refresh_from_db()
    payout = settlement.payout
    if payout is not None and payout.status != PayoutStatus.PAID:
        for user in [*committee, *officials]:
            payout.refresh_from_db()
            if payout.status not in (PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED):
                break
            if payouts.can_sign(payout, user):
                payouts.payout_approve(payout=payout, actor=user, second_factor=_proof())
        payout.refresh_from_db()
        if payout.status == PayoutStatus.RECHECKED:
            payer = next((u for u in [*officials, *committee] if payouts.can_pay(payout, u)), None)
            if payer is not None:
                payouts.payout_pay(
                    payout=payout,
                    actor=payer,
                    bank_reference=_bank_reference(compound),
                    payment_date=timezone.localdate(),
                    second_factor=_proof(),
                )
        payout.refresh_from_db()
    figures = settlement.figures["figures"] if settlement.figures else {}
    paid = f", payout #{payout.pk} {payout.get_status_display()}" if payout else ""
    return (
        f"{DEMO_YEAR} {settlement.get_status_display()}: score {figures.get('score')}, "
        f"release {figures.get('released')} fen, kept {figures.get('kept')} fen{paid}"
    )


def seed_settlements_demo(*, stdout=None) -> dict:
    """Settle the demo's first year for every pilot; returns {slug: line}."""
    out = stdout or sys.stdout
    summary = {}
    for slug in SLUGS:
        compound = Compound.objects.filter(slug=slug).select_related("community__street_office").first()
        if compound is None:
            continue
        with quietly():
            line = _settle(compound)
        summary[slug] = line
        out.write(f"  settlements {compound.name:<6} {line}\n")
    return summary


def _bank_reference(compound) -> str:
    """A bank serial number like the demo's other payments (escrow/demo/payouts.py), not a
    code made of the slug: the payout page shows it to every member."""
    return f"ZGYH{timezone.localdate():%Y%m%d}{zlib.crc32(compound.slug.encode()) % 100:02d}{9000 + DEMO_YEAR % 1000:04d}"
