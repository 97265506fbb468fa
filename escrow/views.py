"""Escrow ledger pages. Thin: access through ``escrow.permissions``, reads through
``escrow.selectors``; the entries list takes the same filters as the API, validated
by the same serializer. Amounts become yuan here, at the edge (``common.money``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from common.money import format_yuan
from escrow import selectors
from escrow.models import AccountKind, Category, EntryKind, LedgerAccount
from escrow.permissions import LEDGER_BALANCES, LEDGER_ENTRIES, access_ledger
from escrow.serializers import LedgerEntryQuerySerializer, choice_label

FILTER_PARAMS = ("date_from", "date_to", "kind", "account")
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


def _entry_rows(entries) -> list[dict]:
    return [
        {
            "sequence": e.sequence,
            "kind": e.kind,
            "kind_label": choice_label(EntryKind, e.kind),
            "memo": e.memo,
            "date": e.effective_date,
            "total": format_yuan(e.total),
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
        for e in entries
    ]


def _page_url(filters: dict, **cursor) -> str:
    params = {k: v for k, v in filters.items() if v}
    params.update(cursor)
    return "?" + urlencode(params)


@login_required
def ledger_page(request, slug):
    """The members' view of the escrow ledger: balances for every member; the journal,
    newest first with older/newer links and filters, for those who may read it all."""
    compound, standing = access_ledger(request.user, slug, LEDGER_BALANCES)
    can_read_entries = standing.can(LEDGER_ENTRIES)
    chosen = {name: request.GET.get(name, "").strip() for name in FILTER_PARAMS}
    context = {
        "compound": compound,
        "head": selectors.chain_head(compound),
        "balances": _balances_context(selectors.ledger_balances(compound)),
        "can_read_entries": can_read_entries,
        "chosen": chosen,
        "filtered": any(chosen.values()),
        "kinds": EntryKind.choices,
        "accounts": [
            {"code": code, "category": category, "label": choice_label(Category, category)}
            for code, category in LedgerAccount.objects.filter(compound=compound)
            .order_by("code")
            .values_list("code", "category")
        ]
        if can_read_entries
        else [],
        "errors": {},
        "entries": [],
    }
    status = 200
    if can_read_entries:
        # Empty inputs of the filter form mean "no filter", not a bad value.
        data = {k: v for k, v in request.GET.items() if v.strip()}
        query = LedgerEntryQuerySerializer(data=data, context={"compound": compound})
        if query.is_valid():
            page = selectors.ledger_entry_page(
                compound,
                filters=query.filters(),
                before=query.validated_data.get("before"),
                after=query.validated_data.get("after"),
                size=PAGE_SIZE,
            )
            context["entries"] = _entry_rows(page.entries)
            context["older_url"] = _page_url(chosen, before=page.older) if page.older else None
            context["newer_url"] = _page_url(chosen, after=page.newer) if page.newer else None
        else:
            context["errors"] = {name: [str(m) for m in messages] for name, messages in query.errors.items()}
            status = 400
    return render(request, "escrow/ledger/ledger.html", context, status=status)
