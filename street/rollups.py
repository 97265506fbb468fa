"""Compute one compound's monthly figures from the apps' selectors and source tables.

Run by the beat job and the refresh button (``services.rollups_refresh``), never by a page.
Flow figures are computed for every month asked for; stock figures that the source tables
cannot give for a past date (open repairs, stewards, the latest disclosure's lateness) are
computed for the current month only and left as they were for the others.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Min, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from assessments.selectors import published_rounds, repair_stats
from common.periods import add_months, quarter_end
from communities.models import Compound, StewardAssignment
from escrow.fees.selectors import collection_rates
from escrow.ledger.selectors import ledger_balances, net_debit
from escrow.models import (
    HOLDING_STATUSES,
    NECESSARY_COST_CATEGORIES,
    PUBLISH_WITHIN_DAYS,
    AccountKind,
    Category,
    Disclosure,
    DisclosureStatus,
    JournalLine,
    Payment,
    PayoutRequest,
)
from meetings.selectors import meeting_counts

NECESSARY = frozenset(NECESSARY_COST_CATEGORIES)
DISCLOSURE_GRACE_DAYS = PUBLISH_WITHIN_DAYS


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


@dataclass
class MonthFigures:
    month: dt.date
    values: dict = field(default_factory=dict)


def ledger_by_month(compound: Compound, first: dt.date) -> dict[tuple[dt.date, str, str], int]:
    """Net debit per (month, account category, kind) from ``first`` on (one grouped query)."""
    rows = (
        JournalLine.objects.filter(compound=compound, entry__effective_date__gte=first)
        .annotate(m=TruncMonth("entry__effective_date"))
        .values_list("m", "account__category", "account__kind")
        .annotate(s=Sum(net_debit()))
    )
    out = {}
    for month, category, kind, total in rows:
        month = month.date() if isinstance(month, dt.datetime) else month
        out[(month, category, kind)] = total
    return out


def disclosure_state(compound: Compound, today: dt.date) -> tuple[str, bool | None]:
    """The latest published quarter ("2026Q3") and whether a later quarter is overdue:
    ended more than 15 days ago and not published. ``None`` without an escrow account."""
    last = (
        Disclosure.objects.filter(compound=compound, status=DisclosureStatus.PUBLISHED)
        .order_by("-year", "-quarter")
        .values_list("year", "quarter")
        .first()
    )
    account = getattr(compound, "escrow_account", None)
    label = f"{last[0]}Q{last[1]}" if last else ""
    if last:
        year, quarter = last
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    elif account is not None:
        year, quarter = account.opened_on.year, (account.opened_on.month - 1) // 3 + 1
    else:
        return label, None
    late = quarter_end(year, quarter) + dt.timedelta(days=DISCLOSURE_GRACE_DAYS) < today
    return label, late


def score_by_month(compound: Compound, months: list[dt.date]) -> dict[dt.date, Decimal | None]:
    """The latest published score whose quarter had ended by the month's end."""
    rounds = [(quarter_end(r.year, r.quarter), r.total) for r in published_rounds(compound)]
    out = {}
    for month in months:
        end = month_end(month)
        scores = [total for qend, total in rounds if qend <= end]
        out[month] = scores[-1] if scores else None
    return out


def compute(
    compound: Compound, months: list[dt.date], *, now: dt.datetime | None = None
) -> list[MonthFigures]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    current = today.replace(day=1)
    first, last = months[0], months[-1]
    rates = collection_rates(compound, first=first, last=last)
    by_month = {r.period: r for r in rates.compound}
    money_in = {
        (m.date() if isinstance(m, dt.datetime) else m): total
        for m, total in Payment.objects.filter(
            compound=compound, received_on__gte=first, received_on__lt=add_months(last, 1)
        )
        .annotate(m=TruncMonth("received_on"))
        .values_list("m")
        .annotate(s=Sum("amount_fen"))
    }
    lines = ledger_by_month(compound, first)
    balances = ledger_balances(compound)
    has_account = bool(balances.accounts)
    cash_now = balances.cash
    cash_after: dict[dt.date, int] = defaultdict(int)
    for (month, category, _kind), total in lines.items():
        if category == Category.ESCROW_CASH:
            cash_after[month] += total
    scores = score_by_month(compound, months)
    meetings = {m: meeting_counts([compound], start=m, end=month_end(m))[compound.pk] for m in months}
    out = []
    for month in months:
        v: dict = {
            "billed_fen": by_month[month].billed_fen,
            "received_fen": by_month[month].received_fen,
            "money_in_fen": money_in.get(month, 0),
            "income_fen": -sum(
                t for (m, _c, k), t in lines.items() if m == month and k == AccountKind.INCOME
            ),
            "necessary_costs_fen": sum(t for (m, c, _k), t in lines.items() if m == month and c in NECESSARY),
            "other_expenses_fen": sum(
                t
                for (m, c, k), t in lines.items()
                if m == month and k == AccountKind.EXPENSE and c not in NECESSARY
            ),
            "escrow_balance_fen": (cash_now - sum(t for m, t in cash_after.items() if m > month))
            if has_account
            else None,
            "score": scores[month],
            "meetings_held": meetings[month].joint_meetings,
            "topics_resolved": meetings[month].topics_resolved,
            "action_items_overdue": meetings[month].actions_overdue if month <= current else None,
        }
        if month == current:
            v.update(_current_stock(compound, now, today, has_account))
        out.append(MonthFigures(month=month, values=v))
    return out


def _current_stock(compound: Compound, now: dt.datetime, today: dt.date, has_account: bool) -> dict:
    waiting = PayoutRequest.objects.filter(compound=compound, status__in=HOLDING_STATUSES).aggregate(
        n=Count("pk"), holds=Sum("amount_fen"), oldest=Min("submitted_at")
    )
    label, late = disclosure_state(compound, today)
    repairs = repair_stats(compound, now=now)
    stewards = (
        StewardAssignment.objects.filter(compound=compound, membership__start_date__lte=today)
        .exclude(membership__end_date__lt=today)
        .values("membership__user_id")
        .distinct()
        .count()
    )
    return {
        "open_holds_fen": (waiting["holds"] or 0) if has_account else None,
        "payouts_waiting": waiting["n"] if has_account else None,
        "payouts_oldest_days": (now - waiting["oldest"]).days if waiting["oldest"] else None,
        "disclosure_last": label,
        "disclosure_late": late,
        "repairs_open": repairs.open,
        "repairs_overdue": repairs.overdue_open,
        "repairs_median_hours": repairs.median_hours,
        "stewards": stewards,
    }
