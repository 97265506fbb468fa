"""The flags an inspector needs, computed from stored data only: the same data gives
the same flags (each identified by a stable ``key``; evidence sorted).

Rules (written on the page too, ``RULES``):

* split payouts — payouts to one payee (same name, case and spaces ignored) filed within
  30 days that together reach the compound's resolution threshold while each is under it;
* cost outlier — an expense category's cost per m² over the last 12 full months whose
  robust z-score ``0.6745 × (x − median) / MAD`` across the office's compounds is above
  3.5 in absolute value (at least 3 compounds with that category; MAD 0 → no flag);
* a signature step (committee review or community recheck) waiting more than 7 days;
* a quarter's disclosure not published 15 days after the quarter ended;
* the collection rate falling three months in a row (four complete months, each lower);
* one payee bank account (as stored: masked, bank prefix + last four digits) paid to two
  differently named payees.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from common.periods import add_months, ended_quarters, quarter_end
from communities.models import Compound, Unit
from escrow.ledger.selectors import net_debit
from escrow.models import (
    PUBLISH_WITHIN_DAYS,
    AccountKind,
    Category,
    Disclosure,
    DisclosureStatus,
    EscrowAccount,
    JournalLine,
    PayoutPolicy,
    PayoutRequest,
    PayoutStatus,
)
from street.models import CompoundMonth, FlagKind

SPLIT_WINDOW_DAYS = 30
SIGNATURE_WAIT_DAYS = 7
Z_LIMIT = Decimal("3.5")
Z_MIN_COMPOUNDS = 3
COUNTED = (PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED, PayoutStatus.RECHECKED, PayoutStatus.PAID)
DEFAULT_THRESHOLD = PayoutPolicy._meta.get_field("resolution_threshold_fen").default


@dataclass
class Finding:
    compound_id: int
    kind: str
    key: str
    evidence: dict = field(default_factory=dict)


def _payee(name: str) -> str:
    return "".join(name.split()).casefold()


def _filed_on(p) -> dt.date:
    return timezone.localdate(p.submitted_at or p.created_at)


def split_payouts(compounds: list[Compound]) -> list[Finding]:
    thresholds = dict(
        PayoutPolicy.objects.filter(compound__in=compounds).values_list(
            "compound_id", "resolution_threshold_fen"
        )
    )
    groups = defaultdict(list)
    for p in PayoutRequest.objects.filter(compound__in=compounds, status__in=COUNTED).order_by("pk"):
        threshold = thresholds.get(p.compound_id, DEFAULT_THRESHOLD)
        if p.amount_fen < threshold:
            groups[(p.compound_id, _payee(p.payee_name))].append(p)
    out = []
    for (compound_id, _name), payouts in sorted(groups.items()):
        threshold = thresholds.get(compound_id, DEFAULT_THRESHOLD)
        payouts.sort(key=lambda p: (_filed_on(p), p.pk))
        i = 0
        while i < len(payouts):
            j, total = i, 0
            window = []
            while (
                j < len(payouts) and (_filed_on(payouts[j]) - _filed_on(payouts[i])).days <= SPLIT_WINDOW_DAYS
            ):
                total += payouts[j].amount_fen
                window.append(payouts[j])
                j += 1
            if len(window) >= 2 and total >= threshold:
                out.append(
                    Finding(
                        compound_id,
                        FlagKind.SPLIT_PAYOUTS,
                        f"split:{compound_id}:{window[0].pk}",
                        {
                            "payee": window[0].payee_name,
                            "threshold_fen": threshold,
                            "total_fen": total,
                            "payouts": [
                                {"pk": p.pk, "amount_fen": p.amount_fen, "filed_on": _filed_on(p).isoformat()}
                                for p in window
                            ],
                            "payout_pk": window[0].pk,
                        },
                    )
                )
                i = j
            else:
                i += 1
    return out


def robust_z(value: Decimal, values: list[Decimal]) -> Decimal | None:
    """0.6745 × (value − median) / MAD (Iglewicz and Hoaglin); None when MAD is 0."""
    median = statistics.median(values)
    mad = statistics.median([abs(v - median) for v in values])
    if not mad:
        return None
    return (Decimal("0.6745") * (value - median) / mad).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def cost_outliers(compounds: list[Compound], today: dt.date) -> list[Finding]:
    last = today.replace(day=1)
    first = add_months(last, -12)
    areas = {
        row["compound_id"]: row["a"]
        for row in Unit.objects.filter(compound__in=compounds)
        .values("compound_id")
        .annotate(a=Sum("floor_area"))
    }
    costs = defaultdict(dict)
    for compound_id, category, total in (
        JournalLine.objects.filter(
            compound__in=compounds,
            account__kind=AccountKind.EXPENSE,
            entry__effective_date__gte=first,
            entry__effective_date__lt=last,
        )
        .values_list("compound_id", "account__category")
        .annotate(s=Sum(net_debit()))
    ):
        if areas.get(compound_id) and total:
            costs[category][compound_id] = (Decimal(total) / areas[compound_id]).quantize(Decimal("0.01"))
    out = []
    for category, per_compound in sorted(costs.items()):
        if len(per_compound) < Z_MIN_COMPOUNDS:
            continue
        values = list(per_compound.values())
        for compound_id, value in sorted(per_compound.items()):
            z = robust_z(value, values)
            if z is not None and abs(z) > Z_LIMIT:
                out.append(
                    Finding(
                        compound_id,
                        FlagKind.COST_OUTLIER,
                        f"cost:{compound_id}:{category}:{first.isoformat()}",
                        {
                            "category": category,
                            "from": first.isoformat(),
                            "to": (last - dt.timedelta(days=1)).isoformat(),
                            "fen_per_m2": str(value),
                            "median_fen_per_m2": str(statistics.median(values)),
                            "z": str(z),
                            "others": {str(k): str(v) for k, v in sorted(per_compound.items())},
                        },
                    )
                )
    return out


def signatures_waiting(compounds: list[Compound], now: dt.datetime) -> list[Finding]:
    limit = now - dt.timedelta(days=SIGNATURE_WAIT_DAYS)
    out = []
    for p in PayoutRequest.objects.filter(
        compound__in=compounds,
        status__in=[PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED],
        waiting_since__lt=limit,
    ).order_by("pk"):
        out.append(
            Finding(
                p.compound_id,
                FlagKind.SIGNATURE_WAITING,
                f"sign:{p.pk}:{p.status}",
                {
                    "payout_pk": p.pk,
                    "status": p.status,
                    "waiting_since": timezone.localtime(p.waiting_since).isoformat(),
                    "days": (now - p.waiting_since).days,
                    "amount_fen": p.amount_fen,
                },
            )
        )
    return out


def disclosures_late(compounds: list[Compound], today: dt.date) -> list[Finding]:
    published = set(
        Disclosure.objects.filter(compound__in=compounds, status=DisclosureStatus.PUBLISHED).values_list(
            "compound_id", "year", "quarter"
        )
    )
    out = []
    for account in EscrowAccount.objects.filter(compound__in=compounds).order_by("compound_id"):
        for year, quarter in ended_quarters(account.opened_on, today):
            due = quarter_end(year, quarter) + dt.timedelta(days=PUBLISH_WITHIN_DAYS)
            if due < today and (account.compound_id, year, quarter) not in published:
                out.append(
                    Finding(
                        account.compound_id,
                        FlagKind.DISCLOSURE_LATE,
                        f"disclosure:{account.compound_id}:{year}Q{quarter}",
                        {
                            "quarter": f"{year}Q{quarter}",
                            "due": due.isoformat(),
                            "days_late": (today - due).days,
                        },
                    )
                )
    return out


def collection_falling(compounds: list[Compound], today: dt.date) -> list[Finding]:
    """From the rollups: the four complete months before this one, each rate lower."""
    current = today.replace(day=1)
    months = [add_months(current, -k) for k in range(4, 0, -1)]
    rows = defaultdict(dict)
    for r in CompoundMonth.objects.filter(compound__in=compounds, month__in=months):
        rows[r.compound_id][r.month] = r.collection_rate
    out = []
    for compound_id, by_month in sorted(rows.items()):
        rates = [by_month.get(m) for m in months]
        if None in rates:
            continue
        if all(rates[k + 1] < rates[k] for k in range(3)):
            out.append(
                Finding(
                    compound_id,
                    FlagKind.COLLECTION_FALLING,
                    f"falling:{compound_id}:{months[-1].isoformat()}",
                    {
                        "rates": [
                            {"month": m.isoformat(), "rate": str(r)}
                            for m, r in zip(months, rates, strict=True)
                        ]
                    },
                )
            )
    return out


def shared_payee_accounts(compounds: list[Compound]) -> list[Finding]:
    names = defaultdict(dict)  # account → payee key → (name, first payout)
    for p in (
        PayoutRequest.objects.filter(compound__in=compounds, status__in=COUNTED)
        .exclude(payee_account_masked="")
        .order_by("pk")
    ):
        names[p.payee_account_masked].setdefault(_payee(p.payee_name), (p.payee_name, p))
    out = []
    for account, payees in sorted(names.items()):
        if len(payees) < 2:
            continue
        listed = sorted(payees.values(), key=lambda item: item[1].pk)
        first = listed[0][1]
        out.append(
            Finding(
                first.compound_id,
                FlagKind.SHARED_PAYEE_ACCOUNT,
                f"account:{account}",
                {
                    "account": account,
                    "payees": [
                        {"name": name, "payout_pk": p.pk, "compound_id": p.compound_id} for name, p in listed
                    ],
                    "payout_pk": first.pk,
                },
            )
        )
    return out


def detect(compounds: list[Compound], *, now: dt.datetime) -> list[Finding]:
    today = timezone.localdate(now)
    return (
        split_payouts(compounds)
        + cost_outliers(compounds, today)
        + signatures_waiting(compounds, now)
        + disclosures_late(compounds, today)
        + collection_falling(compounds, today)
        + shared_payee_accounts(compounds)
    )


def flag_link(flag) -> str:
    """The page a flag's evidence lives on."""
    slug = flag.compound.slug
    e = flag.evidence
    if e.get("payout_pk"):
        return reverse("escrow:payout-detail", kwargs={"slug": slug, "pk": e["payout_pk"]})
    if flag.kind == FlagKind.DISCLOSURE_LATE:
        return reverse("escrow:disclosure-list", kwargs={"slug": slug})
    if flag.kind == FlagKind.COLLECTION_FALLING:
        return reverse("escrow:collection", kwargs={"slug": slug})
    return reverse("escrow:ledger", kwargs={"slug": slug})


def describe(flag) -> list[str]:
    """The evidence as sentences for people (the page and the brief); the API keeps the data."""
    from django.utils.translation import gettext as _

    from common.money import format_yuan

    e = flag.evidence
    if flag.kind == FlagKind.SPLIT_PAYOUTS:
        lines = [
            _("%(n)d payouts to %(payee)s together %(total)s; the resolution threshold is %(threshold)s.")
            % {
                "n": len(e["payouts"]),
                "payee": e["payee"],
                "total": format_yuan(e["total_fen"]),
                "threshold": format_yuan(e["threshold_fen"]),
            }
        ]
        lines += [
            _("Request #%(pk)s: %(amount)s, filed %(day)s")
            % {"pk": p["pk"], "amount": format_yuan(p["amount_fen"]), "day": p["filed_on"]}
            for p in e["payouts"]
        ]
        return lines
    if flag.kind == FlagKind.COST_OUTLIER:
        return [
            _(
                "%(category)s, %(start)s – %(end)s: %(value)s fen per m², the compounds' median %(median)s; robust z = %(z)s."
            )
            % {
                "category": Category(e["category"]).label,
                "start": e["from"],
                "end": e["to"],
                "value": e["fen_per_m2"],
                "median": e["median_fen_per_m2"],
                "z": e["z"],
            }
        ]
    if flag.kind == FlagKind.SIGNATURE_WAITING:
        return [
            _(
                "Request #%(pk)s (%(amount)s) has waited %(days)s days for its next signature, since %(since)s."
            )
            % {
                "pk": e["payout_pk"],
                "amount": format_yuan(e["amount_fen"]),
                "days": e["days"],
                "since": e["waiting_since"][:10],
            }
        ]
    if flag.kind == FlagKind.DISCLOSURE_LATE:
        return [
            _("%(quarter)s was due by %(due)s and is %(days)s days late.")
            % {"quarter": e["quarter"], "due": e["due"], "days": e["days_late"]}
        ]
    if flag.kind == FlagKind.COLLECTION_FALLING:
        return [" → ".join(f"{r['month'][:7]} {r['rate']}%" for r in e["rates"])]
    if flag.kind == FlagKind.SHARED_PAYEE_ACCOUNT:
        return [
            _("Account %(account)s was paid to: %(names)s.")
            % {"account": e["account"], "names": "、".join(p["name"] for p in e["payees"])}
        ]
    return []
