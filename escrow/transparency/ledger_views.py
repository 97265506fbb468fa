"""Escrow ledger pages. Thin: access through ``escrow.ledger.permissions``, reads through
``escrow.ledger.selectors``; the entries list takes the same filters as the API, validated
by the same serializer. Amounts become yuan here, at the edge (``common.money``)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import format_yuan
from escrow.ledger import selectors
from escrow.ledger.permissions import LEDGER_BALANCES, LEDGER_ENTRIES, access_ledger
from escrow.ledger.serializers import (
    LEDGER_CATEGORIES,
    SEARCH_MAX_LENGTH,
    LedgerEntryQuerySerializer,
    choice_label,
)
from escrow.models import AccountKind, Category, EntryKind
from escrow.payouts import selectors as payout_selectors
from escrow.transparency import ledger_selectors

FILTER_PARAMS = (
    "date_from",
    "date_to",
    "category",
    "direction",
    "q",
    "kind",
    "account",
    "amount_min",
    "amount_max",
)
PAGE_SIZE = 20  # a phone screen or two


def _balances_context(balances: selectors.LedgerBalances) -> dict:
    groups = []
    for kind in (
        AccountKind.ASSET,
        AccountKind.INCOME,
        AccountKind.EXPENSE,
        AccountKind.LIABILITY,
        AccountKind.EQUITY,
    ):
        accounts = balances.of_kind(kind)
        if accounts:
            groups.append(
                {
                    "label": AccountKind(kind).label,
                    "accounts": [
                        {
                            "code": a.code,
                            "label": a.category_label,
                            "balance": format_yuan(a.balance),
                            "used": a.version > 0,
                        }
                        for a in accounts
                    ],
                }
            )
    return {
        "cash": format_yuan(balances.cash),
        "total_income": format_yuan(balances.total_income),
        "total_expense": format_yuan(balances.total_expense),
        "groups": groups,
    }


def signed_yuan(fen: int | None) -> str:
    """'+¥1,234.50' / '−¥500.00' for cash in and out; '—' for no cash movement."""
    if fen is None:
        return "—"
    if fen == 0:
        return format_yuan(0)
    return ("+" if fen > 0 else "−") + format_yuan(abs(fen))


def category_labels(codes: list[str]) -> str:
    return " / ".join(choice_label(Category, code) for code in codes)


def _entry_rows(rows: list[ledger_selectors.LedgerRow], slug: str) -> list[dict]:
    out = []
    for row in rows:
        e = row.entry
        out.append(
            {
                "sequence": e.sequence,
                "kind": e.kind,
                "kind_label": choice_label(EntryKind, e.kind),
                "memo": e.memo,
                "date": e.effective_date,
                "category": category_labels(row.categories),
                "categories": row.categories,
                "counterparty": row.counterparty,
                "cash_fen": row.cash_fen,
                "amount": signed_yuan(row.cash_fen),
                "direction": "" if not row.cash_fen else ("in" if row.cash_fen > 0 else "out"),
                "balance": "—" if row.balance_fen is None else format_yuan(row.balance_fen),
                "total": format_yuan(e.total),
                "trail_url": reverse("escrow:ledger-payout-trail", args=[slug, row.payout_id])
                if row.payout_id
                else None,
                "reverses": e.reverses_sequence,
                "reversed_by": e.reversed_by_sequence,
                "hash": e.hash,
                "prev_hash": e.prev_hash,
                "lines": [
                    {
                        "code": line.account.code,
                        "label": choice_label(Category, line.account.category),
                        "side": line.side,
                        "amount": format_yuan(line.amount),
                    }
                    for line in e.line_list
                ],
            }
        )
    return out


def _totals_context(totals: ledger_selectors.LedgerTotals) -> dict:
    return {
        "count": totals.count,
        "income": format_yuan(totals.income),
        "expense": format_yuan(totals.expense),
        "from_cache": totals.from_cache,
    }


def _presets(slug: str, opened_on: dt.date | None) -> list[dict]:
    """Quick periods for a phone: this month, last month, this year — clipped to the
    days the ledger can have (from the opening day to today)."""
    if opened_on is None:
        return []
    today = timezone.localdate()
    month_start = today.replace(day=1)
    last_month_end = month_start - dt.timedelta(days=1)
    periods = [
        (_("This month"), month_start, today),
        (_("Last month"), last_month_end.replace(day=1), last_month_end),
        (_("This year"), today.replace(month=1, day=1), today),
        (
            _("Last year"),
            today.replace(year=today.year - 1, month=1, day=1),
            today.replace(month=1, day=1) - dt.timedelta(days=1),
        ),
    ]
    out = []
    base = reverse("escrow:ledger", args=[slug])
    for label, start, end in periods:
        if end < opened_on:
            continue
        start = max(start, opened_on)
        if start > end:
            continue
        out.append(
            {
                "label": label,
                "date_from": start.isoformat(),
                "date_to": end.isoformat(),
                "url": base + "?" + urlencode({"date_from": start.isoformat(), "date_to": end.isoformat()}),
            }
        )
    return out


def _page_url(filters: dict, **cursor) -> str:
    params = {k: v for k, v in filters.items() if v}
    params.update(cursor)
    return "?" + urlencode(params)


def filter_query(request, compound):
    """The validated filters of a ledger request (the page's form, an export link).
    Empty inputs of the filter form mean "no filter", not a bad value."""
    data = {k: v for k, v in request.GET.items() if v.strip()}
    return LedgerEntryQuerySerializer(data=data, context={"compound": compound})


def form_errors(query) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in query.errors.items()}


def _budget_context(compound, year: int) -> dict:
    """The year's necessary-cost budget against the ledger (escrow.payouts.selectors)."""
    report = payout_selectors.budget_vs_actual(compound, year)

    def rows(items, label):
        return [
            {
                "key": r.key,
                "label": label(r.key),
                "budget": format_yuan(r.budget_fen),
                "actual": format_yuan(r.actual_fen),
                "difference": format_yuan(r.difference_fen),
            }
            for r in items
        ]

    return {
        "year": year,
        "approved": report.budget is not None,
        "months": rows(report.months, lambda key: key),
        "categories": rows(report.categories, lambda key: choice_label(Category, key)),
        "budget_total": format_yuan(report.budget_total),
        "actual_total": format_yuan(report.actual_total),
        "actual_total_fen": report.actual_total,
    }


@login_required
def ledger_page(request, slug):
    """The members' view of the escrow ledger: balances for every member; for those who
    may read the journal, every entry as a row (date, category, counterparty, cash in or
    out, running balance), newest first, with filters, totals of the filter, older/newer
    links and CSV/XLSX exports of the same filter."""
    compound, standing = access_ledger(request.user, slug, LEDGER_BALANCES)
    can_read_entries = standing.can(LEDGER_ENTRIES)
    chosen = {name: request.GET.get(name, "").strip() for name in FILTER_PARAMS}
    head = selectors.chain_head(compound)
    balances = selectors.ledger_balances(compound)
    context = {
        "compound": compound,
        "head": head,
        "balances": _balances_context(balances),
        "can_read_entries": can_read_entries,
        "chosen": chosen,
        "filtered": any(chosen.values()),
        "kinds": EntryKind.choices,
        "categories": [(code, choice_label(Category, code)) for code in LEDGER_CATEGORIES],
        "directions": [("income", _("Money in")), ("expense", _("Money out"))],
        "search_max": SEARCH_MAX_LENGTH,
        "presets": _presets(slug, head.opened_on) if can_read_entries else [],
        "accounts": [
            {"code": a.code, "category": a.category, "label": choice_label(Category, a.category)}
            for a in balances.accounts
        ]
        if can_read_entries
        else [],
        "errors": {},
        "entries": [],
        "totals": None,
    }
    if can_read_entries:
        context["budget"] = _budget_context(compound, timezone.localdate().year)
    status = 200
    if can_read_entries:
        query = filter_query(request, compound)
        if query.is_valid():
            filters = query.filters()
            page = selectors.ledger_entry_page(
                compound,
                filters=filters,
                before=query.validated_data.get("before"),
                after=query.validated_data.get("after"),
                size=PAGE_SIZE,
            )
            context["entries"] = _entry_rows(ledger_selectors.ledger_rows(page.entries), slug)
            context["totals"] = _totals_context(
                ledger_selectors.ledger_totals(
                    compound, filters, balances=balances, entry_count=head.entry_count
                )
            )
            context["older_url"] = _page_url(chosen, before=page.older) if page.older else None
            context["newer_url"] = _page_url(chosen, after=page.newer) if page.newer else None
            export_query = _page_url(chosen) if any(chosen.values()) else ""
            context["export_csv_url"] = reverse("escrow:ledger-export-csv", args=[slug]) + export_query
            context["export_xlsx_url"] = reverse("escrow:ledger-export-xlsx", args=[slug]) + export_query
        else:
            context["errors"] = form_errors(query)
            status = 400
    context["export_jsonl_url"] = reverse("escrow:ledger-export-jsonl", args=[slug])
    return render(request, "escrow/ledger/ledger.html", context, status=status)
