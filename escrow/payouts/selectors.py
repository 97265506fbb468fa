"""Reads of payout requests for the pages and the API.

Every function takes a compound (and the viewer's standing in it) already checked by
``communities.permissions.access_compound``; the querysets never leave that compound.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth
from django.http import Http404

from communities.models import Compound
from communities.permissions import Capability, Standing
from communities.selectors import active_contract
from escrow.models import (
    NECESSARY_COST_CATEGORIES,
    BudgetStatus,
    Category,
    JournalLine,
    NecessaryCostBudget,
    PayoutAttachment,
    PayoutRequest,
    PayoutSignature,
    PayoutStatus,
    Side,
)

# The columns a list row shows; the inbox at 10k requests reads only these.
LIST_FIELDS = (
    "id",
    "compound",
    "applicant",
    "applicant__display_name",
    "applicant__username",
    "category",
    "payee_name",
    "amount_fen",
    "status",
    "submitted_at",
    "waiting_since",
    "created_at",
)


def _visible_q(user) -> Q:
    # A draft is the applicant's work in progress; every other state is part of the
    # approval trail that everyone with the full ledger may follow.
    return ~Q(status=PayoutStatus.DRAFT) | Q(applicant_id=user.pk)


def payouts_visible(*, compound: Compound, standing: Standing, user) -> QuerySet[PayoutRequest]:
    """The requests of ``compound`` this person may see (none without the full ledger)."""
    if not standing.can(Capability.VIEW_FULL_LEDGER):
        return PayoutRequest.objects.none()
    return PayoutRequest.objects.filter(_visible_q(user), compound=compound)


def payout_list(
    *, compound: Compound, standing: Standing, user, status: str = "", category: str = "", mine: bool = False
) -> QuerySet[PayoutRequest]:
    qs = payouts_visible(compound=compound, standing=standing, user=user)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if mine:
        qs = qs.filter(applicant_id=user.pk)
    return qs.select_related("applicant").only(*LIST_FIELDS).order_by("-id")


def payouts_waiting_for(*, compound: Compound, standing: Standing, user) -> QuerySet[PayoutRequest]:
    """What waits for this person's signature: the steps their roles sign, minus their own
    requests, those they signed already and those paid to a company they work for.

    One indexed query (compound, status, -id) with a NOT EXISTS on the (request, signer)
    unique index; nobody of the compound's property company signs at all.
    """
    statuses = []
    if standing.can(Capability.REVIEW_PAYOUT):
        statuses.append(PayoutStatus.SUBMITTED)
    if standing.can(Capability.RECHECK_PAYOUT):
        statuses.append(PayoutStatus.REVIEWED)
    companies = standing.company_ids
    contract = active_contract(compound)
    if not statuses or (contract is not None and contract.company_id in companies):
        return PayoutRequest.objects.none()
    signed = PayoutSignature.objects.filter(request_id=OuterRef("pk"), signer_id=user.pk)
    qs = (
        PayoutRequest.objects.filter(compound=compound, status__in=statuses)
        .exclude(applicant_id=user.pk)
        .exclude(Exists(signed))
    )
    if companies:
        qs = qs.exclude(payee_company_id__in=companies)
    return qs.select_related("applicant").only(*LIST_FIELDS).order_by("-id")


def payout_get(*, compound: Compound, standing: Standing, user, pk) -> PayoutRequest:
    """One request with its evidence and signatures, or Http404 (missing or not visible)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    payout = (
        payouts_visible(compound=compound, standing=standing, user=user)
        .select_related(
            "compound",
            "compound__community",
            "applicant",
            "payee_company",
            "paid_by",
            "journal_entry",
        )
        .prefetch_related(
            Prefetch("attachments", queryset=PayoutAttachment.objects.order_by("id")),
            Prefetch("signatures", queryset=PayoutSignature.objects.select_related("signer").order_by("id")),
        )
        .filter(pk=pk)
        .first()
    )
    if payout is None:
        raise Http404
    return payout


def payout_attachment_get(*, payout: PayoutRequest, pk) -> PayoutAttachment:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    attachment = PayoutAttachment.objects.filter(
        request=payout, compound_id=payout.compound_id, pk=pk
    ).first()
    if attachment is None:
        raise Http404
    return attachment


# --------------------------------------------------------------------------- budgets


def budgets_of(compound: Compound) -> QuerySet[NecessaryCostBudget]:
    """The compound's necessary-cost budgets, newest year first, with lines and signatures."""
    return (
        NecessaryCostBudget.objects.filter(compound=compound)
        .select_related("applicant")
        .prefetch_related(
            "lines", Prefetch("signatures", queryset=PayoutSignature.objects.select_related("signer"))
        )
        .order_by("-year", "-id")
    )


def budget_get(*, compound: Compound, pk: int) -> NecessaryCostBudget:
    budget = budgets_of(compound).filter(pk=pk).first()
    if budget is None:
        raise Http404
    return budget


@dataclass
class BudgetVsActualRow:
    key: str  # "2026-03" for a month, the category code for a category
    budget_fen: int
    actual_fen: int

    @property
    def difference_fen(self) -> int:
        return self.budget_fen - self.actual_fen


@dataclass
class BudgetVsActual:
    year: int
    budget: NecessaryCostBudget | None  # the approved budget of the year, if any
    months: list[BudgetVsActualRow]
    categories: list[BudgetVsActualRow]

    @property
    def budget_total(self) -> int:
        return sum(r.budget_fen for r in self.months)

    @property
    def actual_total(self) -> int:
        return sum(r.actual_fen for r in self.months)


def budget_vs_actual(compound: Compound, year: int) -> BudgetVsActual:
    """The year's approved necessary-cost budget against what the ledger shows was spent,
    per month and per category (actual: the net debits on the necessary-cost accounts by
    the entries' effective dates — reversals included)."""
    budget = (
        NecessaryCostBudget.objects.filter(compound=compound, year=year, status=BudgetStatus.APPROVED)
        .prefetch_related("lines")
        .first()
    )
    monthly: dict[str, int] = {}
    for line in budget.lines.all() if budget else []:
        monthly[line.expense_account] = monthly.get(line.expense_account, 0) + line.monthly_amount_fen
    actual_by: dict[tuple[int, str], int] = {}
    rows = (
        JournalLine.objects.filter(
            compound=compound,
            account__category__in=NECESSARY_COST_CATEGORIES,
            entry__effective_date__year=year,
        )
        .annotate(month=ExtractMonth("entry__effective_date"))
        .values("month", "account__category", "side")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        sign = 1 if row["side"] == Side.DEBIT else -1
        key = (row["month"], row["account__category"])
        actual_by[key] = actual_by.get(key, 0) + sign * row["total"]
    months = [
        BudgetVsActualRow(
            key=f"{year}-{m:02d}",
            budget_fen=sum(monthly.values()),
            actual_fen=sum(v for (month, _c), v in actual_by.items() if month == m),
        )
        for m in range(1, 13)
    ]
    codes = sorted(set(monthly) | {c for (_m, c) in actual_by}, key=lambda c: list(Category.values).index(c))
    categories = [
        BudgetVsActualRow(
            key=code,
            budget_fen=12 * monthly.get(code, 0),
            actual_fen=sum(v for (_m, c), v in actual_by.items() if c == code),
        )
        for code in codes
    ]
    return BudgetVsActual(year=year, budget=budget, months=months, categories=categories)
