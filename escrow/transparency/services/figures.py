"""A quarter's figures, read from the closed journal: opening and closing cash, income and expenses by account, collection rates, the payouts with their payees (public form), the chain checkpoint — and their digest. Also which quarters may be disclosed at all."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.periods import quarter_bounds
from communities.models import Compound
from escrow.fees.selectors import RateRow, collection_rates
from escrow.ledger.selectors import net_debit
from escrow.models import (
    AccountKind,
    Category,
    Disclosure,
    EscrowAccount,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    PayoutRequest,
    PayoutStatus,
)
from escrow.transparency.public_export import canonical_json, export_through

DISCLOSURE_FORMAT = "gongguan-disclosure/1"


class DisclosureError(ApplicationError):
    """A disclosure action that cannot be done as asked."""


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def check_period(escrow: EscrowAccount | None, year, quarter, *, today: dt.date | None = None) -> None:
    """Refuse, naming the field, a quarter that cannot be disclosed (yet)."""
    today = today or timezone.localdate()
    try:
        year, quarter = int(year), int(quarter)
    except (TypeError, ValueError):
        raise DisclosureError(
            _("year, quarter: give a year and a quarter from 1 to 4."),
            extra={"fields": {"year": [], "quarter": []}},
        ) from None
    if not 1 <= quarter <= 4:
        raise DisclosureError(_("quarter: must be 1, 2, 3 or 4."), extra={"fields": {"quarter": []}})
    if not 2000 <= year <= 2100:
        raise DisclosureError(
            _("year: %(y)s is not a plausible year.") % {"y": year}, extra={"fields": {"year": []}}
        )
    if escrow is None:
        raise DisclosureError(_("This compound has no escrow account yet, so there is nothing to disclose."))
    _start, end = quarter_bounds(year, quarter)
    if end >= today:
        raise DisclosureError(
            _(
                "quarter: %(y)s Q%(q)s has not ended yet (it ends on %(end)s); it can be disclosed from the next day."
            )
            % {"y": year, "q": quarter, "end": end},
            extra={"fields": {"quarter": []}},
        )
    if end < escrow.opened_on:
        raise DisclosureError(
            _("quarter: %(y)s Q%(q)s ended before the escrow account opened on %(opened)s.")
            % {"y": year, "q": quarter, "opened": escrow.opened_on},
            extra={"fields": {"quarter": []}},
        )


def _rate(received: int, billed: int) -> str | None:
    """The collection rate as the billing pages show it (``RateRow.rate``), as text."""
    rate = RateRow(period=None, billed_fen=billed, received_fen=received).rate
    return None if rate is None else str(rate)


def disclosure_figures(
    compound: Compound,
    year: int,
    quarter: int,
    *,
    version: int = 1,
    correction_reason: str = "",
    supersedes_digest: str | None = None,
    through: int | None = None,
) -> dict:
    """The disclosure document without ``digest`` and ``generated_at``: a pure function
    of the journal up to entry ``through`` (the chain head when None) and of the
    billing and payout records. Definitions: docs/disclosures.md."""
    through, head_hash = export_through(compound, through)
    start, end = quarter_bounds(year, quarter)
    chart = list(
        LedgerAccount.objects.filter(compound=compound)
        .order_by("code")
        .values_list("pk", "code", "category", "kind")
    )
    cash_id = next(pk for pk, _c, category, _k in chart if category == Category.ESCROW_CASH)

    lines = JournalLine.objects.filter(compound=compound, entry__sequence__lte=through)
    opening = (
        lines.filter(account_id=cash_id, entry__effective_date__lt=start).aggregate(s=Sum(net_debit()))["s"]
        or 0
    )
    in_period = lines.filter(entry__effective_date__gte=start, entry__effective_date__lte=end)
    net = defaultdict(int)  # account id → debits − credits in the period
    for account_id, total in in_period.values_list("account_id").annotate(s=Sum(net_debit())).order_by():
        net[account_id] = total

    def rows(kinds, sign):
        return [
            {"code": code, "category": category, "amount": sign * net[pk]}
            for pk, code, category, kind in chart
            if kind in kinds
        ]

    income = rows({AccountKind.INCOME}, -1)
    expenses = rows({AccountKind.EXPENSE}, 1)
    other = rows({AccountKind.LIABILITY, AccountKind.EQUITY}, -1)
    closing = opening + net[cash_id]

    # Every (entry, expense account) of the period, with the payout it paid.
    expense_ids = {pk: code for pk, code, _cat, kind in chart if kind == AccountKind.EXPENSE}
    items: dict[tuple[int, str], dict] = {}
    for entry_id, seq, date, kind, account_id, amount in (
        in_period.filter(account_id__in=list(expense_ids))
        .annotate(signed=net_debit())
        .order_by("entry__sequence", "id")
        .values_list(
            "entry_id", "entry__sequence", "entry__effective_date", "entry__kind", "account_id", "signed"
        )
    ):
        key = (seq, expense_ids[account_id])
        if key not in items:
            items[key] = {
                "entry": seq,
                "date": date.isoformat(),
                "kind": kind,
                "code": expense_ids[account_id],
                "amount": 0,
                "payout": None,
                "_entry_id": entry_id,
            }
        items[key]["amount"] += amount
    payouts = {
        p.journal_entry_id: p
        for p in PayoutRequest.objects.filter(
            compound=compound, journal_entry_id__in={item["_entry_id"] for item in items.values()}
        )
    }

    expense_items = []
    for key in sorted(items):
        item = items[key]
        payout = payouts.get(item.pop("_entry_id"))
        if payout is not None:
            item["payout"] = {
                "request": payout.pk,
                "category": payout.category,
                "payee": payout.public_payee,
                "purpose": payout.purpose,
            }
        expense_items.append(item)

    table = collection_rates(compound, first=start, last=end)
    collection = {
        "billed": table.total.billed_fen,
        "received": table.total.received_fen,
        "rate": _rate(table.total.received_fen, table.total.billed_fen),
        "buildings": [
            {
                "building": building.name,
                "billed": sum(r.billed_fen for r in months),
                "received": sum(r.received_fen for r in months),
                "rate": _rate(sum(r.received_fen for r in months), sum(r.billed_fen for r in months)),
            }
            for building, months in table.buildings
        ],
    }

    # Holds open at the end of the quarter: submitted by then, not yet decided then.
    cutoff = _end_of_day(end)
    holds = list(
        PayoutRequest.objects.filter(compound=compound, submitted_at__lt=cutoff)
        .exclude(status=PayoutStatus.DRAFT)
        .filter(Q(decided_at__isnull=True) | Q(decided_at__gte=cutoff))
        # Paid by the quarter's end (recorded later): an expense of the quarter, not a hold.
        .exclude(status=PayoutStatus.PAID, payment_date__lte=end)
        .order_by("pk")
        .values_list("pk", "category", "amount_fen", "submitted_at")
    )
    open_holds = {
        "count": len(holds),
        "amount": sum(amount for _pk, _c, amount, _s in holds),
        "items": [
            {
                "request": pk,
                "category": category,
                "amount": amount,
                "submitted_on": timezone.localtime(submitted).date().isoformat(),
            }
            for pk, category, amount, submitted in holds
        ],
    }

    return {
        "format": DISCLOSURE_FORMAT,
        "compound": {"id": compound.pk, "slug": compound.slug, "name": compound.name},
        "period": {"year": year, "quarter": quarter, "start": start.isoformat(), "end": end.isoformat()},
        "version": version,
        "correction_reason": correction_reason,
        "supersedes_digest": supersedes_digest,
        "opening_balance": opening,
        "income": income,
        "income_total": sum(r["amount"] for r in income),
        "expenses": expenses,
        "expense_total": sum(r["amount"] for r in expenses),
        "other_movements": other,
        "other_total": sum(r["amount"] for r in other),
        "closing_balance": closing,
        "expense_items": expense_items,
        "collection": collection,
        "open_holds": open_holds,
        "entries_in_period": JournalEntry.objects.filter(
            compound=compound, sequence__lte=through, effective_date__gte=start, effective_date__lte=end
        ).count(),
        "chain": {"entry_count": through, "head_hash": head_hash},
    }


def figures_digest(figures: dict) -> str:
    """SHA-256 of the canonical JSON of the document without ``digest``/``generated_at``."""
    body = {k: v for k, v in figures.items() if k not in ("digest", "generated_at")}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def disclosure_document(disclosure: Disclosure) -> dict:
    """What the files render: the frozen figures with their digest and generation time."""
    return {
        **disclosure.figures,
        "digest": disclosure.digest,
        "generated_at": timezone.localtime(disclosure.generated_at).isoformat(timespec="seconds"),
    }
