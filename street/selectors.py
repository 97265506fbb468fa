"""Reads of the street dashboard: rows, totals, charts and flags — from the rollups only
(a fixed number of queries whatever the journal's length)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.periods import add_months
from communities.models import Community, Compound, StreetOffice
from escrow.fees.selectors import RateRow
from street.models import CompoundMonth, Flag, FlagStatus, StreetDashboard
from street.settlement import settlement_label, settlement_params, settlement_subqueries

# Sort keys → SQL over the compound and its rollup row of the month (``m``, a FilteredRelation).
SORT_FIELDS = {
    "name": "name",
    "collection_rate": "rate",
    "balance": "m__escrow_balance_fen",
    "payouts_waiting": "m__payouts_waiting",
    "oldest_waiting": "m__payouts_oldest_days",
    "score": "m__score",
    "repairs_open": "m__repairs_open",
    "repairs_overdue": "m__repairs_overdue",
    "meetings_held": "meetings_through",
    "topics_resolved": "topics_through",
    "flags": "open_flags",
}
# What the sort menu says for each field (the page never shows the field names).
SORT_LABELS = {
    "name": gettext_lazy("Compound"),
    "collection_rate": gettext_lazy("Collection rate"),
    "balance": gettext_lazy("Escrow balance"),
    "payouts_waiting": gettext_lazy("Payouts waiting"),
    "oldest_waiting": gettext_lazy("Oldest payout waiting"),
    "score": gettext_lazy("Score"),
    "repairs_open": gettext_lazy("Repairs open"),
    "repairs_overdue": gettext_lazy("Repairs overdue"),
    "meetings_held": gettext_lazy("Meetings held"),
    "topics_resolved": gettext_lazy("Topics resolved"),
    "flags": gettext_lazy("Open flags"),
}
FILTER_FIELDS = ("sort", "month", "community", "flagged", "late", "q", "page")
PAGE_SIZE = 25  # a phone screen's worth of rows at a time
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class DashboardQuery:
    month: dt.date
    sort: str = "name"
    descending: bool = False
    community: int | None = None
    flagged: bool = False
    late: bool = False
    q: str = ""
    page: int = 1

    @classmethod
    def parse(cls, params, *, today: dt.date | None = None) -> DashboardQuery:
        """From the query string; unknown fields, sorts or dates → ValidationError naming them."""
        today = today or timezone.localdate()
        errors = {}
        unknown = sorted(set(params) - set(FILTER_FIELDS) - {"format"})
        for name in unknown:
            errors[name] = _("Unknown filter. Use one of: %(fields)s.") % {"fields": ", ".join(FILTER_FIELDS)}
        month = today.replace(day=1)
        raw_month = (params.get("month") or "").strip()
        if raw_month:
            match = _MONTH.match(raw_month)
            try:
                if not match:
                    raise ValueError
                month = dt.date(int(match[1]), int(match[2]), 1)
                if month > today.replace(day=1):
                    errors["month"] = _("The month cannot be in the future.")
            except ValueError:
                errors["month"] = _("Write the month as YYYY-MM, e.g. 2026-11.")
        sort = (params.get("sort") or "name").strip()
        descending = sort.startswith("-")
        if sort.lstrip("-") not in SORT_FIELDS:
            errors["sort"] = _("Unknown sort. Use one of: %(fields)s.") % {"fields": ", ".join(SORT_FIELDS)}
        community = None
        raw_community = (params.get("community") or "").strip()
        if raw_community:
            if not raw_community.isdigit():
                errors["community"] = _("Choose a community from the list.")
            else:
                community = int(raw_community)
        page = 1
        raw_page = (params.get("page") or "").strip()
        if raw_page:
            if not raw_page.isdigit() or int(raw_page) < 1:
                errors["page"] = _("A page number: 1, 2, 3 …")
            else:
                page = int(raw_page)
        flags = {}
        for name in ("flagged", "late"):
            raw = (params.get(name) or "").strip()
            if raw not in ("", "0", "1"):
                errors[name] = _("Use 1 (yes) or leave it empty.")
            flags[name] = raw == "1"
        if errors:
            raise ValidationError(errors)
        return cls(
            month=month,
            sort=sort.lstrip("-"),
            descending=descending,
            community=community,
            q=(params.get("q") or "").strip()[:50],
            page=page,
            **flags,
        )


# The rollup fields a dashboard row shows (of the month; the previous month's rate and score).
ROW_FIELDS = (
    "billed_fen",
    "received_fen",
    "escrow_balance_fen",
    "open_holds_fen",
    "payouts_waiting",
    "payouts_oldest_days",
    "disclosure_last",
    "disclosure_late",
    "score",
    "repairs_open",
    "repairs_overdue",
    "repairs_median_hours",
    "action_items_overdue",
    "stewards",
)
PREVIOUS_FIELDS = ("billed_fen", "received_fen", "score")
_DECIMALS = {"score": Decimal("0.01"), "repairs_median_hours": Decimal("0.01")}


class MonthFigures:
    """A compound's rollup figures of one month as the page reads them: the attributes of
    ``CompoundMonth`` that a row shows (``None`` for any not read), and its collection rate."""

    __slots__ = (*ROW_FIELDS, "month")

    def __init__(self, month: dt.date | None = None, **values):
        self.month = month
        for name in ROW_FIELDS:
            setattr(self, name, values.get(name))
        for name, exp in _DECIMALS.items():  # SQLite gives a float
            value = getattr(self, name)
            if value is not None and not isinstance(value, Decimal):
                setattr(self, name, Decimal(str(value)).quantize(exp))
        if self.disclosure_late is not None:
            self.disclosure_late = bool(self.disclosure_late)
        if self.disclosure_last is None:
            self.disclosure_last = ""

    @property
    def collection_rate(self) -> Decimal | None:
        return RateRow(
            period=self.month, billed_fen=self.billed_fen or 0, received_fen=self.received_fen or 0
        ).rate


@dataclass
class Row:
    compound: Compound
    m: MonthFigures | CompoundMonth | None
    previous: MonthFigures | CompoundMonth | None
    meetings_held: int = 0
    topics_resolved: int = 0
    open_flags: int = 0
    settlement: str | None = None

    @cached_property
    def links(self) -> dict:
        return _links(self.compound.slug)

    @cached_property
    def collection_rate(self) -> Decimal | None:
        return self.m.collection_rate if self.m else None

    @property
    def collection_trend(self) -> Decimal | None:
        if not (self.m and self.previous):
            return None
        now, before = self.collection_rate, self.previous.collection_rate
        return None if now is None or before is None else now - before

    @property
    def available_fen(self) -> int | None:
        if not self.m or self.m.escrow_balance_fen is None or self.m.open_holds_fen is None:
            return None
        return self.m.escrow_balance_fen - self.m.open_holds_fen

    @property
    def score_trend(self) -> Decimal | None:
        if not (self.m and self.previous) or self.m.score is None or self.previous.score is None:
            return None
        return self.m.score - self.previous.score


@dataclass
class Totals:
    compounds: int
    money_managed_fen: int
    meetings_held: int
    topics_resolved: int
    score_then: Decimal | None
    score_now: Decimal | None
    stewards: int | None
    billed_fen: int
    first_month: dt.date | None
    last_month: dt.date | None


def _mean(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


_PLACEHOLDER = "slug-placeholder"
_LINK_NAMES = {
    "compound": "compound-members",
    "collection": "escrow:collection",
    "ledger": "escrow:ledger",
    "payouts": "escrow:payout-list",
    "disclosures": "escrow:disclosure-list",
    "score": "assessments:public",
    "repairs": "assessments:repair-list",
    "meetings": "meetings:home",
    "settlement": "settlements:list",
}


@lru_cache(maxsize=8)
def _link_patterns(urlconf, prefix) -> dict:
    return {k: reverse(name, kwargs={"slug": _PLACEHOLDER}) for k, name in _LINK_NAMES.items()}


def _links(slug: str) -> dict:
    """The source page of each figure. Reversed once (per URLconf and script prefix) with a
    placeholder slug, then filled in: a page of rows would otherwise reverse hundreds of URLs."""
    patterns = _link_patterns(get_urlconf(), get_script_prefix())
    return {k: url.replace(_PLACEHOLDER, slug) for k, url in patterns.items()}


def _compounds(office: StreetOffice, query: DashboardQuery):
    """The office's compounds as the filters say, each with its rollup row of the month
    (LEFT JOIN: a compound without one still shows, as "not yet available")."""
    qs = Compound.objects.filter(community__street_office=office)
    if query.community:
        qs = qs.filter(community_id=query.community)
    if query.q:
        qs = qs.filter(Q(name__icontains=query.q) | Q(slug__icontains=query.q))
    qs = qs.annotate(m=FilteredRelation("street_months", condition=Q(street_months__month=query.month)))
    if query.late:
        qs = qs.filter(m__disclosure_late=True)
    if query.flagged:
        qs = qs.filter(
            Exists(Flag.objects.filter(compound=OuterRef("pk"), active=True, status=FlagStatus.OPEN))
        )
    return qs


def _through(field_name: str, month: dt.date):
    return Subquery(
        CompoundMonth.objects.filter(compound=OuterRef("pk"), month__lte=month)
        .values("compound")
        .annotate(s=Sum(field_name))
        .values("s")[:1]
    )


def _sortable(qs, key: str, month: dt.date):
    if key == "rate":
        return qs.annotate(
            rate=Case(
                When(m__billed_fen__gt=0, then=F("m__received_fen") * 1000 / F("m__billed_fen")),
                default=None,
                output_field=BigIntegerField(),
            )
        )
    if key == "meetings_through":
        return qs.annotate(meetings_through=_through("meetings_held", month))
    if key == "topics_through":
        return qs.annotate(topics_through=_through("topics_resolved", month))
    if key == "open_flags":
        return qs.annotate(open_flags=_open_flags())
    return qs


def _open_flags():
    return Coalesce(
        Subquery(
            Flag.objects.filter(compound=OuterRef("pk"), active=True, status=FlagStatus.OPEN)
            .values("compound")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )


def _rows_sql(n: int) -> str:
    """One query for the figures of ``n`` compounds (the page's): the compound and its
    community, the month's rollup (``m``) and the previous month's (``p``), meetings and
    topics up to the month, open flags, the latest settlement in force. Plain SQL (the
    same on PostgreSQL and SQLite): built by the ORM it cost more to compile than to run."""
    c, cm = Compound._meta.db_table, Community._meta.db_table
    rollup, flag = CompoundMonth._meta.db_table, Flag._meta.db_table
    settlement = settlement_subqueries("c.id")
    return f"""
        SELECT c.id, c.name, c.slug, c.community_id, cm.name, m.id,
               {", ".join(f"m.{f}" for f in ROW_FIELDS)},
               p.id, {", ".join(f"p.{f}" for f in PREVIOUS_FIELDS)},
               (SELECT SUM(u.meetings_held) FROM {rollup} u WHERE u.compound_id = c.id AND u.month <= %s),
               (SELECT SUM(u.topics_resolved) FROM {rollup} u WHERE u.compound_id = c.id AND u.month <= %s),
               (SELECT COUNT(*) FROM {flag} f WHERE f.compound_id = c.id AND f.active AND f.status = %s),
               {settlement}
        FROM {c} c
        JOIN {cm} cm ON cm.id = c.community_id
        LEFT JOIN {rollup} m ON m.compound_id = c.id AND m.month = %s
        LEFT JOIN {rollup} p ON p.compound_id = c.id AND p.month = %s
        WHERE c.id IN ({", ".join(["%s"] * n)})"""  # noqa: S608 - names from the models; values are parameters


def _read_rows(ids: list[int], month: dt.date) -> list[Row]:
    """The rows of these compounds, in this order (see ``_rows_sql``)."""
    if not ids:
        return []
    previous = add_months(month, -1)
    params = [month, month, FlagStatus.OPEN, *settlement_params(), month, previous, *ids]
    with connection.cursor() as cursor:
        cursor.execute(_rows_sql(len(ids)), params)
        fetched = cursor.fetchall()
    communities: dict[int, Community] = {}
    by_id = {}
    k, j = len(ROW_FIELDS), len(PREVIOUS_FIELDS)
    for rec in fetched:
        pk, name, slug, community_id, community_name, m_id = rec[:6]
        m_values, p_id = rec[6 : 6 + k], rec[6 + k]
        p_values = rec[7 + k : 7 + k + j]
        meetings, topics, open_flags, s_year, s_status = rec[7 + k + j :]
        if community_id not in communities:
            communities[community_id] = Community(id=community_id, name=community_name)
        compound = Compound(id=pk, name=name, slug=slug, community=communities[community_id])
        by_id[pk] = Row(
            compound=compound,
            m=MonthFigures(month, **dict(zip(ROW_FIELDS, m_values, strict=True))) if m_id else None,
            previous=MonthFigures(previous, **dict(zip(PREVIOUS_FIELDS, p_values, strict=True)))
            if p_id
            else None,
            meetings_held=meetings or 0,
            topics_resolved=topics or 0,
            open_flags=open_flags or 0,
            settlement=settlement_label(s_year, s_status),
        )
    return [by_id[pk] for pk in ids if pk in by_id]  # (one deleted in between: left out)


def dashboard(
    office: StreetOffice,
    query: DashboardQuery,
    *,
    page: int | None = None,
    refreshed_at: dt.datetime | None | object = ...,
) -> dict:
    """The rows (one page of ``PAGE_SIZE`` when ``page`` is given, else all) sorted in the
    database, and the totals. Three queries whatever the number of compounds or of ledger
    lines: which compounds are on the page (and how many rows in all), their figures (the
    rollups of the month and the one before, sums up to the month, open flags, settlement
    status: ``_read_rows``), and the totals (cached under the refresh time, so none at all
    most of the time; pass ``refreshed_at`` when the caller has it)."""
    qs = _compounds(office, query)
    key = SORT_FIELDS[query.sort]
    order = F(key).desc(nulls_last=True) if query.descending else F(key).asc(nulls_last=True)
    ordered = _sortable(qs, key, query.month).order_by(order, "name", "pk")
    paging = {}
    if page is not None:
        # Which compounds are on the page (sorted and cut in the database, with the number
        # of rows the filters keep as a window count), then their figures.
        def page_of(n):
            return list(
                ordered.annotate(total=Window(Count("pk"))).values_list("pk", "total")[
                    (n - 1) * PAGE_SIZE : n * PAGE_SIZE
                ]
            )

        chosen = page_of(page)
        if chosen:
            count = chosen[0][1]
        else:  # past the last page, or nothing matches: the last page
            count = qs.count()
            if count:
                page = -(-count // PAGE_SIZE)
                chosen = page_of(page)
        pages = max(1, -(-count // PAGE_SIZE))
        page = min(page, pages)
        ids = [pk for pk, _n in chosen]
        paging = {
            "count": count,
            "page": page,
            "pages": pages,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if page < pages else None,
        }
    else:
        ids = list(ordered.values_list("pk", flat=True))
    rows = []
    for start in range(0, len(ids), 500):  # an export of every compound: 500 at a time
        rows += _read_rows(ids[start : start + 500], query.month)
    return {"rows": rows, "totals": totals(office, query, refreshed_at=refreshed_at), **paging}


def totals(
    office: StreetOffice, query: DashboardQuery, *, refreshed_at: dt.datetime | None | object = ...
) -> Totals:
    """The seed's headline figures from the rollups up to the month, for the compounds the
    filters keep: compounds, money managed (every fee payment received), meetings held,
    topics resolved, the mean of each compound's first and latest score, stewards now.
    Rollups change only when they are refreshed, so the figures are cached under the
    refresh time: exact, and computed once per refresh and filter."""
    refreshed = refreshed_at
    if refreshed is ...:
        refreshed = (
            StreetDashboard.objects.filter(street_office=office)
            .values_list("rollups_refreshed_at", flat=True)
            .first()
        )
    signature = "|".join(
        str(x)
        for x in (office.pk, refreshed, query.month, query.community, query.q, query.flagged, query.late)
    )
    key = "street-totals:" + hashlib.sha256(signature.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached
    compounds = _compounds(office, query)
    qs = CompoundMonth.objects.filter(compound__in=compounds.values("pk"), month__lte=query.month)
    agg = qs.aggregate(
        received=Sum("money_in_fen"),
        billed=Sum("billed_fen"),
        meetings=Sum("meetings_held"),
        topics=Sum("topics_resolved"),
        first=Min("month"),
        last=Max("month"),
    )
    scored = qs.filter(score__isnull=False)
    # Each compound's first and latest scored month, and its latest steward count: one
    # ordered read of the rollups each (a row per compound and month), portable to SQLite.
    first_score = _first_per_compound(
        scored.order_by("compound_id", "month").values_list("compound_id", "score")
    )
    last_score = _first_per_compound(
        scored.order_by("compound_id", "-month").values_list("compound_id", "score")
    )
    stewards = _first_per_compound(
        qs.filter(stewards__isnull=False)
        .order_by("compound_id", "-month")
        .values_list("compound_id", "stewards")
    )
    result = Totals(
        compounds=compounds.count(),
        money_managed_fen=agg["received"] or 0,
        meetings_held=agg["meetings"] or 0,
        topics_resolved=agg["topics"] or 0,
        score_then=_mean(first_score.values()),
        score_now=_mean(last_score.values()),
        stewards=sum(stewards.values()) if stewards else None,
        billed_fen=agg["billed"] or 0,
        first_month=agg["first"],
        last_month=agg["last"],
    )
    cache.set(key, result, 3600)
    return result


def office_flags(office: StreetOffice, *, status: str = "", include_inactive: bool = False):
    qs = Flag.objects.filter(street_office=office).select_related("compound", "decided_by")
    if not include_inactive:
        qs = qs.filter(active=True)
    if status:
        if status not in FlagStatus.values:
            raise ValidationError(
                {"status": _("Unknown status. Use one of: %(s)s.") % {"s": ", ".join(FlagStatus.values)}}
            )
        qs = qs.filter(status=status)
    return list(qs.order_by("status", "compound__name", "kind", "key"))


# --------------------------------------------------------------------------- charts


@dataclass
class LineChart:
    """A server-drawn SVG line chart (the house way of assessments.TrendChart) with one or
    more series sharing x labels; ``table`` is the same numbers for screen readers."""

    labels: list[str]
    series: list[tuple[str, list[Decimal | None]]]
    top: Decimal | None = None
    width: int = 340
    height: int = 180
    pad: int = 30
    colours: tuple = ("#234", "#c5502e", "#2f7d4f", "#7a4fb0")

    @property
    def ymax(self) -> Decimal:
        values = [v for _n, vs in self.series for v in vs if v is not None]
        biggest = max(values, default=Decimal(0))
        return max(self.top or Decimal(0), biggest) or Decimal(1)

    def _x(self, i: int) -> float:
        n = len(self.labels)
        span = self.width - 2 * self.pad
        return round(self.pad + (span * i / (n - 1) if n > 1 else span / 2), 1)

    def _y(self, v) -> float:
        return round(self.pad + (self.height - 2 * self.pad) * (1 - float(v) / float(self.ymax)), 1)

    @property
    def lines(self) -> list[dict]:
        out = []
        for k, (name, values) in enumerate(self.series):
            pts = [(self._x(i), self._y(v), v) for i, v in enumerate(values) if v is not None]
            out.append(
                {
                    "name": name,
                    "colour": self.colours[k % len(self.colours)],
                    "points": " ".join(f"{x},{y}" for x, y, _v in pts),
                    "dots": [{"x": x, "y": y, "value": v} for x, y, v in pts],
                }
            )
        return out

    @property
    def ticks(self) -> list[dict]:
        step = max(1, len(self.labels) // 6)
        return [{"x": self._x(i), "label": label} for i, label in enumerate(self.labels) if i % step == 0]

    @property
    def gridlines(self) -> list[dict]:
        return [
            {"y": self._y(self.ymax * f), "value": (self.ymax * f).quantize(Decimal("1"))}
            for f in (0, Decimal("0.5"), 1)
        ]

    @property
    def right(self) -> int:
        return self.width - self.pad

    @property
    def table(self) -> list[dict]:
        return [
            {"label": label, "values": [vs[i] for _n, vs in self.series]}
            for i, label in enumerate(self.labels)
        ]


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


CHART_MAX_MONTHS = 60


def charts(
    office: StreetOffice, *, compound_ids: list[int] | None = None, months: int | None = None, today=None
) -> dict:
    """Collection rate and score per compound; income vs necessary costs per month (office).
    ``months``: the last so many; None: every month since the office's rollups start (the
    backfill starts them where the data does), at least 12 and at most 60."""
    today = today or timezone.localdate()
    last = today.replace(day=1)
    compounds = Compound.objects.filter(community__street_office=office).order_by("name", "pk")
    if compound_ids is not None:
        compounds = compounds.filter(pk__in=compound_ids)
    compounds = list(compounds)
    if months is None:
        start = CompoundMonth.objects.filter(compound__in=compounds, month__lte=last).aggregate(
            m=Min("month")
        )["m"]
        months = 12
        if start is not None:
            months = (last.year - start.year) * 12 + last.month - start.month + 1
        months = min(max(months, 12), CHART_MAX_MONTHS)
    first = add_months(last, -(months - 1))
    month_list = [add_months(first, k) for k in range(months)]
    labels = [m.strftime("%Y-%m") for m in month_list]
    rows = {
        (r.compound_id, r.month): r
        for r in CompoundMonth.objects.filter(compound__in=compounds, month__gte=first, month__lte=last)
    }
    per_compound = []
    for c in compounds:
        rates = [
            RateRow(m, rows[(c.pk, m)].billed_fen, rows[(c.pk, m)].received_fen).rate
            if (c.pk, m) in rows
            else None
            for m in month_list
        ]
        scores = [rows[(c.pk, m)].score if (c.pk, m) in rows else None for m in month_list]
        per_compound.append(
            {
                "compound": c,
                "collection": LineChart(labels, [(_("Collection rate %"), rates)], top=Decimal(100)),
                "score": LineChart(labels, [(_("Score"), scores)], top=Decimal(100)),
                "has_data": any(v is not None for v in rates + scores),
            }
        )
    money = (
        CompoundMonth.objects.filter(compound__in=compounds, month__gte=first, month__lte=last)
        .values("month")
        .annotate(income=Sum("income_fen"), costs=Sum("necessary_costs_fen"))
    )
    by_month = {r["month"]: r for r in money}
    income = [_yuan(by_month[m]["income"]) if m in by_month else None for m in month_list]
    costs = [_yuan(by_month[m]["costs"]) if m in by_month else None for m in month_list]
    return {
        "first_month": first,
        "last_month": last,
        "compounds": per_compound,
        "money": LineChart(labels, [(_("Income (yuan)"), income), (_("Necessary costs (yuan)"), costs)]),
        "has_money": any(v is not None for v in income),
    }


def _first_per_compound(rows) -> dict:
    """compound id → the value of its first row, for rows ordered by compound first."""
    out: dict = {}
    for compound_id, value in rows:
        out.setdefault(compound_id, value)
    return out
