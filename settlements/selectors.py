"""Reads: a compound's settlements (public: confirmed or released; the parties: all),
the preview of the current year, the contract's score history and recommendation."""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum
from django.utils import timezone

from assessments.selectors import frozen_scores
from communities.models import Compound, Role, ServiceContract
from communities.permissions import Standing
from escrow.models import (
    NECESSARY_COST_CATEGORIES,
    AccountKind,
    BudgetLine,
    BudgetStatus,
    Category,
    EscrowAccount,
    LedgerAccount,
)
from settlements.figures import arithmetic, journal_sums
from settlements.models import Settlement, SettlementStatus
from settlements.services.policy import policy_in_force

PUBLIC_STATUSES = (SettlementStatus.CONFIRMED, SettlementStatus.RELEASED)
PARTY_ROLES = {
    Role.COMMITTEE_MEMBER,
    Role.COMMITTEE_CHAIR,
    Role.COMMUNITY_OFFICIAL,
    Role.STREET_ADMIN,
    Role.STREET_INSPECTOR,
    Role.COMPANY_MANAGER,
    Role.COMPANY_STAFF,
}


def sees_unconfirmed(standing: Standing) -> bool:
    return bool(standing.roles & PARTY_ROLES)


def settlements_for(compound: Compound, standing: Standing) -> list[Settlement]:
    qs = Settlement.objects.filter(compound=compound).exclude(status=SettlementStatus.SUPERSEDED)
    if not sees_unconfirmed(standing):
        qs = qs.filter(status__in=PUBLIC_STATUSES)
    return list(qs.select_related("payout", "policy").order_by("-year"))


def public_settlements(compound: Compound) -> list[Settlement]:
    """For the compound's public page (include ``settlements/_public_block.html``)."""
    return list(
        Settlement.objects.filter(compound=compound, status__in=PUBLIC_STATUSES).order_by("-year")[:3]
    )


def settlement_get(compound: Compound, year: int, standing: Standing) -> Settlement | None:
    for settlement in settlements_for(compound, standing):
        if settlement.year == year:
            return settlement
    return None


def preview(compound: Compound, *, today: dt.date | None = None) -> dict | None:
    """ "If settled today": the current year's figures from the journal so far and the rounds
    closed so far, under the policy in force. Not a settlement: nothing is frozen."""
    today = today or timezone.localdate()
    escrow = EscrowAccount.objects.filter(compound=compound).first()
    scores = frozen_scores(compound, today.year)
    if escrow is None or not scores:
        return None
    policy = policy_in_force(compound.community.street_office)
    kinds = dict(LedgerAccount.objects.filter(compound=compound).values_list("category", "kind"))
    sums = journal_sums(compound, today.year, escrow.entry_count)
    budget = BudgetLine.objects.filter(
        budget__compound=compound, budget__year=today.year + 1, budget__status=BudgetStatus.APPROVED
    ).aggregate(s=Sum("monthly_amount_fen"))["s"]
    return arithmetic(
        fees_received=-sum(v for c, v in sums.items() if kinds.get(c) == AccountKind.INCOME),
        necessary_costs=sum(v for c, v in sums.items() if c in NECESSARY_COST_CATEGORIES),
        other_expenses=sum(
            v
            for c, v in sums.items()
            if kinds.get(c) == AccountKind.EXPENSE
            and c not in NECESSARY_COST_CATEGORIES
            and c != Category.SETTLEMENT_RELEASE
        ),
        budget_monthly=budget,
        reserve_months=policy.reserve_months,
        score_totals=[str(s.total) for s in scores],
        bands=policy.bands,
    ) | {"year": today.year, "quarters": [s.quarter for s in scores]}


def contract_history(compound: Compound) -> list[dict]:
    """Each contract with the settlements of its years: score, band and recommendation."""
    settled = {
        s.year: s
        for s in Settlement.objects.filter(compound=compound, figures__isnull=False).exclude(
            status__in=[SettlementStatus.SUPERSEDED]
        )
    }
    out = []
    for contract in (
        ServiceContract.objects.filter(compound=compound).select_related("company").order_by("-start_date")
    ):
        last = contract.end_date.year if contract.end_date else timezone.localdate().year
        years = [settled[y] for y in sorted(settled) if contract.start_date.year <= y <= last]
        out.append(
            {
                "contract": contract,
                "years": [
                    {
                        "year": s.year,
                        "score": s.figures["figures"]["score"],
                        "rate": s.figures["figures"]["release_rate"],
                        "renew": s.figures["figures"]["renewal_recommended"],
                    }
                    for s in years
                ],
                "recommended": years[-1].figures["figures"]["renewal_recommended"] if years else None,
            }
        )
    return out
