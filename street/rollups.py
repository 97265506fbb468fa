"""Compute one compound's monthly figures from the apps' selectors and source tables.

Run by the beat job and the refresh button (``services.rollups_refresh``), never by a page.
Flow figures are computed for every month asked for. Stock figures are as of the month's
end, read back from the source tables' own dates (``stock_at``): payouts waiting (submitted
before, not yet decided), the latest disclosure published by then and whether one was
late, repair requests open and overdue then, stewards in office then — so a backfill gives
the same history as if the refresh had run every month. The current month's are as of
the refresh, through the apps' selectors.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from assessments.models import AssessmentRound, RepairRequest, RoundStatus
from assessments.scoring import round2
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
    EscrowAccount,
    FeeBill,
    JournalLine,
    Payment,
    PayoutRequest,
    PayoutStatus,
)
from meetings.models import Meeting
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


def disclosure_state(
    compound: Compound, today: dt.date, *, published_by: dt.datetime | None = None
) -> tuple[str, bool | None]:
    """The latest published quarter ("2026Q3") and whether a later quarter is overdue:
    ended more than 15 days ago and not published. ``None`` without an escrow account.
    ``published_by``: as it stood then (only disclosures published by that moment)."""
    published = Disclosure.objects.filter(compound=compound, status=DisclosureStatus.PUBLISHED)
    if published_by is not None:
        published = published.filter(published_at__lte=published_by)
    last = published.order_by("-year", "-quarter").values_list("year", "quarter").first()
    account = getattr(compound, "escrow_account", None)
    if account is not None and account.opened_on > today:
        account = None  # not open yet then
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
        elif month < current:
            v.update(stock_at(compound, _end_of(month), has_account=has_account))
        out.append(MonthFigures(month=month, values=v))
    return out


def _end_of(month: dt.date) -> dt.datetime:
    """The last moment of the month, local time."""
    return timezone.make_aware(dt.datetime.combine(add_months(month, 1), dt.time.min)) - dt.timedelta(
        microseconds=1
    )


def stock_at(compound: Compound, at: dt.datetime, *, has_account: bool) -> dict:
    """The stock figures as they stood at ``at`` (a past month's end), from the dates the
    source rows keep: a payout waits from ``submitted_at`` until ``decided_at`` (paid,
    rejected or withdrawn); a repair request is open from ``reported_at`` until ``done_at``
    (the requests of the 365 days before, as the repairs page counts them) and overdue
    once past ``due_at``; the median hours to fix are of those fixed by then; a steward is
    in office between the membership's start and end dates."""
    day = timezone.localdate(at)
    opened = getattr(compound, "escrow_account", None)
    has_account = has_account and opened is not None and opened.opened_on <= day
    waiting = (
        PayoutRequest.objects.filter(compound=compound, submitted_at__lte=at)
        .filter(Q(decided_at__isnull=True) | Q(decided_at__gt=at))
        .exclude(status=PayoutStatus.DRAFT)
        .aggregate(n=Count("pk"), holds=Sum("amount_fen"), oldest=Min("submitted_at"))
    )
    label, late = disclosure_state(compound, day, published_by=at)
    repairs = RepairRequest.objects.filter(
        compound=compound, reported_at__lte=at, reported_at__gte=at - dt.timedelta(days=365)
    )
    open_then = repairs.filter(Q(done_at__isnull=True) | Q(done_at__gt=at))
    durations = sorted(
        (done - reported).total_seconds() / 3600
        for reported, done in repairs.filter(done_at__lte=at).values_list("reported_at", "done_at")
    )
    stewards = (
        StewardAssignment.objects.filter(compound=compound, membership__start_date__lte=day)
        .exclude(membership__end_date__lt=day)
        .values("membership__user_id")
        .distinct()
        .count()
    )
    return {
        "open_holds_fen": (waiting["holds"] or 0) if has_account else None,
        "payouts_waiting": waiting["n"] if has_account else None,
        "payouts_oldest_days": (at - waiting["oldest"]).days if waiting["oldest"] and has_account else None,
        "disclosure_last": label,
        "disclosure_late": late,
        "repairs_open": open_then.count(),
        "repairs_overdue": open_then.filter(due_at__lt=at).count(),
        "repairs_median_hours": round2(Fraction(statistics.median(durations)).limit_denominator(10**6))
        if durations
        else None,
        "stewards": stewards,
    }


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


def history_start(compounds: list[Compound]) -> dt.date | None:
    """The first month the source tables have something to say for these compounds: an
    escrow account opened, a bill, a payment, a meeting held, a published assessment
    round (its quarter's last month, when its score starts to count). None: nothing yet."""
    ids = [c.pk for c in compounds]
    days = [c.escrow_account.opened_on for c in compounds if _has_account(c)]
    days.append(FeeBill.objects.filter(compound_id__in=ids).aggregate(d=Min("period"))["d"])
    days.append(Payment.objects.filter(compound_id__in=ids).aggregate(d=Min("received_on"))["d"])
    first_meeting = Meeting.objects.filter(compound_id__in=ids, opened_at__isnull=False).aggregate(
        d=Min("opened_at")
    )["d"]
    if first_meeting is not None:
        days.append(timezone.localdate(first_meeting))
    first_round = (
        AssessmentRound.objects.filter(compound_id__in=ids, status=RoundStatus.PUBLISHED)
        .order_by("year", "quarter")
        .values_list("year", "quarter")
        .first()
    )
    if first_round is not None:
        days.append(quarter_end(*first_round))
    days = [d for d in days if d is not None]
    return min(days).replace(day=1) if days else None


def _has_account(compound: Compound) -> bool:
    try:
        return compound.escrow_account is not None
    except EscrowAccount.DoesNotExist:
        return False
