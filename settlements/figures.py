"""A settlement's figures: read from the closed journal of the year (its four disclosed
quarters), the frozen assessment scores and the policy in force; and the arithmetic of
DESIGN.md §7, which ``tools/verify_settlement.py`` repeats with the standard library only.

Every amount is integer fen. Rounding (docs/settlements.md):
* reserve without a budget = ⌈necessary costs × months ÷ 12⌉ (rounded up: the owners keep the fen);
* score = mean of the quarterly totals, rounded half up to 0.01; its band is the one whose
  [low, high] contains the score's whole points (89.75 → the 80–89 band);
* release = ⌊distributable × rate ÷ 100⌋ (rounded down); kept = distributable − release;
* a negative or zero distributable releases and keeps nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from assessments.selectors import frozen_scores
from common.errors import ApplicationError
from communities.models import Compound
from escrow.ledger.selectors import net_debit
from escrow.models import (
    NECESSARY_COST_CATEGORIES,
    AccountKind,
    BudgetLine,
    BudgetStatus,
    Category,
    Disclosure,
    DisclosureStatus,
    EntryKind,
    EscrowAccount,
    JournalLine,
    LedgerAccount,
)
from escrow.transparency.public_export import canonical_json, export_through

SETTLEMENT_FORMAT = "gongguan-settlement/1"

# The formulas printed beside each figure (the same words in the JSON, in every language).
FORMULAS = {
    "fees_received": "Σ income accounts, year's entries (transfers to the owners' fund excluded)",
    "necessary_costs": "Σ necessary-cost accounts (51xx), year's entries",
    "other_expenses": "Σ other expense accounts (52xx–56xx, settlement releases excluded), year's entries",
    "reserve": "next year's approved monthly budget × months, or ⌈necessary_costs × months ÷ 12⌉",
    "distributable": "fees_received − necessary_costs − other_expenses − reserve",
    "score": "mean of the year's closed quarterly round totals, half up to 0.01",
    "release_rate": "rate of the band containing ⌊score⌋",
    "released": "⌊distributable × release_rate ÷ 100⌋, 0 if distributable ≤ 0",
    "kept": "distributable − released, 0 if distributable ≤ 0",
}


class SettlementError(ApplicationError):
    """A settlement that cannot be made as asked (names the field in ``extra.fields``)."""


def field_error(field: str, message: str) -> SettlementError:
    return SettlementError(message, extra={"fields": {field: [message]}})


# --------------------------------------------------------------------------- arithmetic


def mean_score(totals: list[str]) -> str:
    values = [Decimal(str(t)) for t in totals]
    return str((sum(values) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def band_for(bands: list[dict], score: str) -> dict:
    points = int(Decimal(score))  # whole points, rounded down (scores are not negative)
    for band in bands:
        if band["low"] <= points <= band["high"]:
            return band
    raise ValueError(score)


def arithmetic(
    *,
    fees_received: int,
    necessary_costs: int,
    other_expenses: int,
    budget_monthly: int | None,
    reserve_months: int,
    score_totals: list[str],
    bands: list[dict],
) -> dict:
    """The §7 figures from their inputs; a pure function (the verifier has a copy)."""
    if budget_monthly is not None:
        reserve = budget_monthly * reserve_months
    else:
        reserve = -((-necessary_costs * reserve_months) // 12)
    distributable = fees_received - necessary_costs - other_expenses - reserve
    score = mean_score(score_totals)
    band = band_for(bands, score)
    if distributable > 0:
        released = distributable * band["rate"] // 100
        kept = distributable - released
    else:
        released = kept = 0
    return {
        "fees_received": fees_received,
        "necessary_costs": necessary_costs,
        "other_expenses": other_expenses,
        "reserve": reserve,
        "distributable": distributable,
        "score": score,
        "band": {"low": band["low"], "high": band["high"]},
        "release_rate": band["rate"],
        "renewal_recommended": bool(band["renew"]),
        "released": released,
        "kept": kept,
        "nothing_to_release": distributable <= 0,
    }


# --------------------------------------------------------------------------- inputs


def year_disclosures(compound: Compound, year: int) -> list[Disclosure]:
    """The published disclosures in force of ``year`` — its four quarters, or in the escrow
    account's first year those from the quarter it opened in — or a SettlementError naming ``year``."""
    rows = {
        d.quarter: d
        for d in Disclosure.objects.filter(
            compound=compound, year=year, status=DisclosureStatus.PUBLISHED, superseded_by__isnull=True
        ).order_by("quarter", "-version")
    }
    # The first year of an escrow account counts from the quarter it opened in.
    opened = EscrowAccount.objects.filter(compound=compound).values_list("opened_on", flat=True).first()
    first = (opened.month - 1) // 3 + 1 if opened and opened.year == year else 1
    missing = [q for q in range(first, 5) if q not in rows]
    if missing:
        raise field_error(
            "year",
            _("year: %(y)s is not fully disclosed yet (quarters not published: %(q)s).")
            % {"y": year, "q": ", ".join(f"Q{q}" for q in missing)},
        )
    return [rows[q] for q in range(first, 5)]


def year_scores(compound: Compound, year: int) -> list:
    scores = frozen_scores(compound, year)
    if not scores:
        raise field_error(
            "year", _("year: %(y)s has no closed assessment round, so there is no score.") % {"y": year}
        )
    return scores


def journal_sums(compound: Compound, year: int, through: int) -> dict[str, int]:
    """Net debit by category of the year's entries up to ``through`` (transfers excluded)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows = (
        JournalLine.objects.filter(
            compound=compound,
            entry__sequence__lte=through,
            entry__effective_date__gte=start,
            entry__effective_date__lte=end,
        )
        .exclude(entry__kind=EntryKind.OWNERS_FUND_TRANSFER)
        .values_list("account__category")
        .annotate(s=Sum(net_debit()))
        .order_by()
    )
    return dict(rows)


def settlement_figures(
    compound: Compound,
    year: int,
    policy,
    *,
    version: int = 1,
    correction_reason: str = "",
    supersedes_digest: str | None = None,
) -> dict:
    """The settlement document without ``digest``/``generated_at``: a pure function of the
    year's disclosed journal, the frozen scores, next year's approved budget and the policy."""
    disclosures = year_disclosures(compound, year)
    scores = year_scores(compound, year)
    through = max(d.entry_count or 0 for d in disclosures)
    through, head_hash = export_through(compound, through)
    kinds = dict(LedgerAccount.objects.filter(compound=compound).values_list("category", "kind"))
    sums = journal_sums(compound, year, through)
    fees = -sum(v for c, v in sums.items() if kinds.get(c) == AccountKind.INCOME)
    necessary = sum(v for c, v in sums.items() if c in NECESSARY_COST_CATEGORIES)
    other = sum(
        v
        for c, v in sums.items()
        if kinds.get(c) == AccountKind.EXPENSE
        and c not in NECESSARY_COST_CATEGORIES
        and c != Category.SETTLEMENT_RELEASE
    )
    budget = BudgetLine.objects.filter(
        budget__compound=compound, budget__year=year + 1, budget__status=BudgetStatus.APPROVED
    ).aggregate(s=Sum("monthly_amount_fen"))["s"]
    figures = arithmetic(
        fees_received=fees,
        necessary_costs=necessary,
        other_expenses=other,
        budget_monthly=budget,
        reserve_months=policy.reserve_months,
        score_totals=[str(s.total) for s in scores],
        bands=policy.bands,
    )
    return {
        "format": SETTLEMENT_FORMAT,
        "compound": {"id": compound.pk, "slug": compound.slug, "name": compound.name},
        "year": year,
        "version": version,
        "correction_reason": correction_reason,
        "supersedes_digest": supersedes_digest,
        "policy": {
            "street_office": compound.community.street_office.name,
            "version": policy.version,
            "bands": policy.bands,
            "reserve_months": policy.reserve_months,
            "score_rule": policy.score_rule,
        },
        "inputs": {
            "disclosures": [
                {"quarter": d.quarter, "version": d.version, "digest": d.digest, "entry_count": d.entry_count}
                for d in disclosures
            ],
            "chain": {"entry_count": through, "head_hash": head_hash},
            "scores": [
                {"quarter": s.quarter, "round_version": s.version, "total": str(s.total)} for s in scores
            ],
            "budget_monthly_next_year": budget,
        },
        "figures": figures,
        "formulas": FORMULAS,
    }


def figures_digest(document: dict) -> str:
    body = {k: v for k, v in document.items() if k not in ("digest", "generated_at")}
    return hashlib.sha256(canonical_json(body)).hexdigest()
