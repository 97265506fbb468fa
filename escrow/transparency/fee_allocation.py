"""“Where my fee went” (我的物业费去哪了): a resident's payments spread over the
compound's expense categories, in proportion, without losing a fen.

The rule, for a period [date_from, date_to] (both days included):

- T = the resident's payments: ``Payment`` rows of their units with ``received_on``
  in the period (unidentified receipts count once they are assigned to the unit, on
  the day the money came).
- I = the compound's income in the period: credits minus debits on every account of
  kind income (property fees, parking, advertising, interest, other), over entries
  whose effective date is in the period.
- E_c = the compound's spending on expense category c in the period: debits minus
  credits on that expense account (a reversal counts against it); E = Σ E_c.
- The part of T that counts as spent is S = min(T, T × E ÷ I), rounded half up to the
  fen, when I > 0. If the compound spent as much as it took in or more (E ≥ I, or
  I ≤ 0 with E > 0), all of T counts as spent; if it spent nothing (E ≤ 0), none.
- S is split over the categories with E_c > 0 in proportion to E_c by
  ``common.money.ratio_split`` (largest remainder), so the parts add up to S exactly.
- The rest, T − S, is still held in the escrow account.

So Σ rows + kept = T, to the fen. The percents are shares of T in tenths of a per
cent, split by the same largest-remainder rule so that they add up to 100.0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum

from common.money import ratio_split
from communities.models import Compound, Unit, UnitOwnership, _active_q
from escrow.ledger.selectors import net_debit
from escrow.models import AccountKind, Category, JournalLine, Payment


@dataclass(frozen=True)
class AllocationRow:
    category: str
    label: str
    amount: int  # fen of the resident's payments
    percent_tenths: int  # share of the total, in tenths of a per cent
    compound_spent: int  # E_c: what the compound spent on this category, fen

    @property
    def percent(self) -> str:
        return f"{self.percent_tenths // 10}.{self.percent_tenths % 10}"


@dataclass(frozen=True)
class Allocation:
    date_from: dt.date
    date_to: dt.date
    total: int  # T
    payments: int  # how many payments make up T
    income: int  # I
    expenses: int  # E
    spent: int  # S
    kept: int  # T − S
    kept_percent_tenths: int
    rows: list[AllocationRow]

    @property
    def kept_percent(self) -> str:
        return f"{self.kept_percent_tenths // 10}.{self.kept_percent_tenths % 10}"


def owned_units(user, compound: Compound) -> list[Unit]:
    """The units ``user`` owns in ``compound`` today."""
    if not getattr(user, "is_authenticated", False):
        return []
    unit_ids = UnitOwnership.objects.filter(_active_q(), user=user, compound=compound).values("unit_id")
    return list(
        Unit.objects.filter(compound=compound, pk__in=unit_ids)
        .select_related("building")
        .order_by("building__name", "entrance", "number")
    )


def spent_share(total: int, income: int, expenses: int) -> int:
    """S = min(T, T × E ÷ I), half up; all of T when E ≥ I; nothing when E ≤ 0."""
    if total <= 0 or expenses <= 0:
        return 0
    if income <= 0 or expenses >= income:
        return total
    share = (Decimal(total) * expenses / income).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(total, int(share))


def _net_debits(compound: Compound, date_from: dt.date, date_to: dt.date) -> dict[tuple[str, str], int]:
    """(kind, category) → debits − credits on income and expense accounts in the period."""
    rows = (
        JournalLine.objects.filter(
            compound=compound,
            account__kind__in=[AccountKind.INCOME, AccountKind.EXPENSE],
            entry__effective_date__gte=date_from,
            entry__effective_date__lte=date_to,
        )
        .values_list("account__kind", "account__category")
        .annotate(net=Sum(net_debit()))
        .order_by()
    )
    return {(kind, category): net for kind, category, net in rows}


def allocate(
    total: int, income: int, by_category: dict[str, int]
) -> tuple[int, list[tuple[str, int, int]], int, int]:
    """The arithmetic of the rule, without the database: (spent, [(category, fen,
    percent in tenths)], kept, kept percent in tenths). Categories come in chart order;
    only those with E_c > 0 get a row."""
    spent = spent_share(total, income, sum(by_category.values()))
    order = {value: index for index, value in enumerate(Category.values)}
    weighted = sorted(
        (c for c, v in by_category.items() if v > 0), key=lambda c: (order.get(c, len(order)), c)
    )
    amounts = ratio_split(spent, [by_category[c] for c in weighted]) if weighted else []
    kept = total - sum(amounts)
    percents = ratio_split(1000, [*amounts, kept]) if total > 0 else [0] * (len(amounts) + 1)
    return spent, list(zip(weighted, amounts, percents[:-1], strict=True)), kept, percents[-1]


def fee_allocation(
    *, compound: Compound, units, date_from: dt.date, date_to: dt.date, owner=None
) -> Allocation:
    """The resident's payments for ``units`` in the period, spread by the rule above.
    With ``owner``, only payments received while that person owned the unit count: a
    new owner never sees (nor can work out) the previous owner's payments."""
    payments = Payment.objects.filter(
        compound=compound,
        unit__in=list(units),
        unit__isnull=False,
        received_on__gte=date_from,
        received_on__lte=date_to,
    )
    if owner is not None:
        payments = payments.filter(
            Exists(
                UnitOwnership.objects.filter(
                    Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("received_on")),
                    user=owner,
                    unit_id=OuterRef("unit_id"),
                    start_date__lte=OuterRef("received_on"),
                )
            )
        )
    paid = payments.aggregate(total=Sum("amount_fen"), count=Count("pk"))
    total = paid["total"] or 0
    net = _net_debits(compound, date_from, date_to)
    income = -sum(v for (kind, _c), v in net.items() if kind == AccountKind.INCOME)
    by_category = {c: v for (kind, c), v in net.items() if kind == AccountKind.EXPENSE}
    spent, parts, kept, kept_percent = allocate(total, income, by_category)
    labels = dict(Category.choices)
    rows = [
        AllocationRow(
            category=c,
            label=str(labels.get(c, c)),
            amount=amount,
            percent_tenths=percent,
            compound_spent=by_category[c],
        )
        for c, amount, percent in parts
    ]
    rows.sort(key=lambda row: (-row.amount, -row.compound_spent))  # stable: chart order breaks ties
    return Allocation(
        date_from=date_from,
        date_to=date_to,
        total=total,
        payments=paid["count"] or 0,
        income=income,
        expenses=sum(by_category.values()),
        spent=spent,
        kept=kept,
        kept_percent_tenths=kept_percent,
        rows=rows,
    )
