"""Money a compound can commit to payouts now: cash − open holds − next month's necessary-cost reserve; the payout policy (signatures needed, resolution threshold) and a request's signing progress. Reads only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone

from common.periods import add_months
from communities.models import Compound
from escrow.ledger.services import (
    cash_balance,
)
from escrow.models import (
    HOLDING_STATUSES,
    BudgetLine,
    BudgetStatus,
    Decision,
    PayoutPolicy,
    PayoutRequest,
    SignatureStep,
)


@dataclass(frozen=True)
class Availability:
    """A compound's money for payouts: cash, open holds and reserve; ``available`` is what a new
    request may still commit."""

    cash: int
    holds: int
    reserve: int

    @property
    def available(self) -> int:
        """What a payout may use: cash − open holds − the protected reserve."""
        return self.cash - self.holds - self.reserve

    @property
    def available_for_necessary_costs(self) -> int:
        """Necessary monthly costs may use the reserve (it exists for them)."""
        return self.cash - self.holds


def reserve_fen(compound: Compound, *, on: dt.date | None = None) -> int:
    """Next month's budgeted necessary costs (the approved budget of that month's year)."""
    month = add_months(on or timezone.localdate(), 1)
    total = (
        BudgetLine.objects.filter(
            budget__compound=compound, budget__year=month.year, budget__status=BudgetStatus.APPROVED
        ).aggregate(s=Sum("monthly_amount_fen"))["s"]
        or 0
    )
    return total


def payout_availability(compound: Compound, *, exclude: PayoutRequest | None = None) -> Availability:
    """Cash, open holds and reserve of a compound. Exact only under the compound lock."""
    holds = PayoutRequest.objects.filter(compound=compound, status__in=HOLDING_STATUSES)
    if exclude is not None:
        holds = holds.exclude(pk=exclude.pk)
    return Availability(
        cash=cash_balance(compound),
        holds=holds.aggregate(s=Sum("amount_fen"))["s"] or 0,
        reserve=reserve_fen(compound),
    )


def payout_policy(compound: Compound) -> PayoutPolicy:
    """The compound's payout settings: its stored row, or the defaults (DESIGN.md §6)
    unsaved — a read never writes, so a page can call it on GET."""
    return PayoutPolicy.objects.filter(compound=compound).first() or PayoutPolicy(compound=compound)


def _approvals_needed(policy: PayoutPolicy, step: str) -> int:
    return policy.committee_approvals if step == SignatureStep.REVIEW else policy.community_approvals


@dataclass(frozen=True)
class Progress:
    """How far a request's signatures have come: approvals given and needed per step."""

    review_done: int
    review_needed: int
    recheck_done: int
    recheck_needed: int


def payout_progress(payout: PayoutRequest, policy: PayoutPolicy | None = None) -> Progress:
    """Approvals so far against the policy (reads ``payout.signatures``; prefetch it)."""
    policy = policy or payout_policy(payout.compound)
    done = {SignatureStep.REVIEW: 0, SignatureStep.RECHECK: 0}
    for signature in payout.signatures.all():
        if signature.decision == Decision.APPROVE:
            done[signature.step] += 1
    return Progress(
        review_done=done[SignatureStep.REVIEW],
        review_needed=_approvals_needed(policy, SignatureStep.REVIEW),
        recheck_done=done[SignatureStep.RECHECK],
        recheck_needed=_approvals_needed(policy, SignatureStep.RECHECK),
    )
