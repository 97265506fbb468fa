"""Reads for the assessment and repair pages, the API, the public compound page and the
annual settlement. Private reads take a compound already checked by
``communities.permissions.access_compound``."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Compound, Role
from communities.permissions import Capability, Standing
from escrow.models.disclosures import PUBLISH_WITHIN_DAYS

from . import scoring
from .models import (
    AssessmentRound,
    DutyCheck,
    RepairRequest,
    RepairStatus,
    RoundScorer,
    RoundStatus,
    SurveyAnswer,
    TemplateItem,
)

# --------------------------------------------------------------------------- objective data


def _window(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def objective_components(
    compound: Compound, start: dt.date, end: dt.date
) -> list[tuple[scoring.Component, str]]:
    """The objective service data of a period, each with its formula in words. A figure
    with nothing to count (no requests, no duty list) is left out, not counted as 0."""
    from communities.selectors import current_duty_list

    out: list[tuple[scoring.Component, str]] = []
    since, until = _window(start, end)
    repairs = RepairRequest.objects.filter(compound=compound, reported_at__gte=since, reported_at__lt=until)
    agg = repairs.aggregate(
        n=Count("pk"),
        on_time=Count("pk", filter=Q(done_at__isnull=False) & Q(done_at__lte=F("due_at"))),
        rated=Count("rating"),
        rating_sum=Sum("rating", default=0),
    )
    if agg["n"]:
        c = scoring.Component("repairs_on_time", Fraction(agg["on_time"]), Fraction(agg["n"]))
        out.append(
            (
                c,
                _(
                    "Repairs on time: %(a)s fixed within the time limit ÷ %(b)s reported in the period × 100 = %(s)s"
                )
                % {"a": agg["on_time"], "b": agg["n"], "s": scoring.round2(c.score)},
            )
        )
    if agg["rated"]:
        c = scoring.Component("repair_rating", Fraction(agg["rating_sum"]), Fraction(agg["rated"]), scale=20)
        out.append(
            (
                c,
                _("Owners' rating of repairs: mean %(m)s of 5 (%(n)s ratings) × 20 = %(s)s")
                % {
                    "m": scoring.round2(Fraction(agg["rating_sum"], agg["rated"])),
                    "n": agg["rated"],
                    "s": scoring.round2(c.score),
                },
            )
        )
    duty_list = current_duty_list(compound)
    if duty_list is not None:
        company_duties = [d.pk for d in duty_list.duties.all() if d.by_company]
        if company_duties:
            checked = (
                DutyCheck.objects.filter(
                    compound=compound,
                    duty_id__in=company_duties,
                    checked_on__gte=start,
                    checked_on__lte=end,
                    ok=True,
                )
                .values("duty_id")
                .distinct()
                .count()
            )
            c = scoring.Component("duties_checked", Fraction(checked), Fraction(len(company_duties)))
            out.append(
                (
                    c,
                    _(
                        "Company duties checked: %(a)s of the company's %(b)s duties with a check recorded × 100 = %(s)s"
                    )
                    % {"a": checked, "b": len(company_duties), "s": scoring.round2(c.score)},
                )
            )
    on_time = disclosure_on_time(compound, start, end)
    if on_time is not None:
        c = scoring.Component("disclosure_on_time", Fraction(int(on_time)), Fraction(1))
        out.append(
            (
                c,
                _("Quarterly disclosure published within %(d)s days of the quarter's end: %(yes)s = %(s)s")
                % {
                    "d": PUBLISH_WITHIN_DAYS,
                    "yes": _("yes") if on_time else _("no"),
                    "s": scoring.round2(c.score),
                },
            )
        )
    return out


def disclosure_on_time(compound: Compound, start: dt.date, end: dt.date, now=None) -> bool | None:
    """Was the period's quarterly disclosure published within 15 days of its end, as
    known ``now`` (when the round closes)? None — left out, not judged — when the
    compound has no escrow account, or when the 15 days have not passed and it is not
    published yet."""
    from escrow.models import Disclosure, EscrowAccount

    if not EscrowAccount.objects.filter(compound=compound).exists():
        return None
    now = now or timezone.now()
    year, quarter = end.year, (end.month - 1) // 3 + 1
    day = end + dt.timedelta(days=PUBLISH_WITHIN_DAYS)
    limit = _window(day, day)[1]
    first = (
        Disclosure.objects.filter(
            compound=compound, year=year, quarter=quarter, published_at__isnull=False, published_at__lte=now
        )
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    if first is not None:
        return first < limit
    return None if now < limit else False


# --------------------------------------------------------------------------- rounds


def round_list(compound: Compound) -> QuerySet[AssessmentRound]:
    return (
        AssessmentRound.objects.filter(compound=compound)
        .select_related("template", "policy")
        .order_by("-year", "-quarter", "-version")
    )


def round_get(compound: Compound, pk) -> AssessmentRound:
    from django.http import Http404

    rnd = (
        AssessmentRound.objects.filter(compound=compound, pk=pk)
        .select_related("compound__community", "template", "policy", "company")
        .first()
    )
    if rnd is None:
        raise Http404
    return rnd


def round_items(rnd: AssessmentRound) -> list[TemplateItem]:
    return list(
        TemplateItem.objects.filter(template_id=rnd.template_id).select_related("section").order_by("number")
    )


def my_scorer(rnd: AssessmentRound, user) -> RoundScorer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return RoundScorer.objects.filter(round=rnd, user=user).first()


def scorer_progress(rnd: AssessmentRound) -> dict:
    rows = (
        RoundScorer.objects.filter(round=rnd)
        .values("party")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(submitted_at__isnull=False)))
    )
    return {row["party"]: row for row in rows}


def my_units_answers(rnd: AssessmentRound, user) -> list[dict]:
    """The units this person owns in the round's compound, with their unit's answer."""
    from communities.models import UnitOwnership, _active_q

    if not getattr(user, "is_authenticated", False):
        return []
    units = [
        o.unit
        for o in UnitOwnership.objects.filter(_active_q(), user=user, compound=rnd.compound).select_related(
            "unit__building"
        )
    ]
    answers = {a.unit_id: a for a in SurveyAnswer.objects.filter(round=rnd, unit__in=units)}
    return [{"unit": u, "answer": answers.get(u.pk)} for u in units]


def low_scores(rnd: AssessmentRound) -> list:
    """Scores below half an item's points, with their comments and photos (members see
    them once the round is closed, so they do not sway the scorers still scoring)."""
    from django.db.models import Prefetch

    from .models import EvidencePhoto, ItemScore

    return [
        s
        for s in ItemScore.objects.filter(round=rnd)
        .select_related("item", "scorer")
        .prefetch_related(Prefetch("photos", queryset=EvidencePhoto.objects.order_by("pk")))
        .order_by("item__number", "pk")
        if s.points * 2 < s.item.max_points
    ]


def survey_count(rnd: AssessmentRound) -> int:
    return SurveyAnswer.objects.filter(round=rnd).count()


@dataclass(frozen=True)
class FrozenScore:
    year: int
    quarter: int
    version: int
    total: Decimal
    status: str
    round_id: int


def frozen_scores(compound: Compound, year: int) -> list[FrozenScore]:
    """The frozen totals of the compound's closed rounds of ``year``, one per quarter:
    the version in force (a superseded version is replaced by its rescoring). For the
    annual settlement: the rounds that are published, or closed and awaiting sign-off
    (``status`` says which)."""
    rows = (
        AssessmentRound.objects.filter(
            compound=compound, year=year, status__in=[RoundStatus.CLOSED, RoundStatus.PUBLISHED]
        )
        .order_by("quarter", "-version")
        .values("pk", "year", "quarter", "version", "total", "status")
    )
    seen, out = set(), []
    for row in rows:
        if row["quarter"] in seen:
            continue
        seen.add(row["quarter"])
        out.append(
            FrozenScore(
                year=row["year"],
                quarter=row["quarter"],
                version=row["version"],
                total=row["total"],
                status=row["status"],
                round_id=row["pk"],
            )
        )
    return out


def published_rounds(compound: Compound) -> list[AssessmentRound]:
    """Published rounds in force (not superseded), oldest first: the public trend."""
    return list(
        AssessmentRound.objects.filter(compound=compound, status=RoundStatus.PUBLISHED)
        .select_related("policy", "template")
        .order_by("year", "quarter", "version")
    )


@dataclass
class TrendChart:
    """A server-drawn SVG line chart; ``points`` are also shown as a table."""

    points: list[tuple[str, Decimal]]
    width: int = 340
    height: int = 180
    pad: int = 28

    @property
    def coords(self) -> list[dict]:
        n = len(self.points)
        span_x = self.width - 2 * self.pad
        span_y = self.height - 2 * self.pad
        out = []
        for i, (label, value) in enumerate(self.points):
            x = self.pad + (span_x * i / (n - 1) if n > 1 else span_x / 2)
            y = self.pad + span_y * (1 - float(value) / 100)
            out.append(
                {
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "label_y": round(y - 8, 1),
                    "label": label,
                    "value": value,
                }
            )
        return out

    @property
    def right(self) -> int:
        return self.width - self.pad

    @property
    def polyline(self) -> str:
        return " ".join(f"{c['x']},{c['y']}" for c in self.coords)

    @property
    def gridlines(self) -> list[dict]:
        span_y = self.height - 2 * self.pad
        return [{"y": round(self.pad + span_y * (1 - v / 100), 1), "value": v} for v in (0, 60, 80, 100)]


def public_scores(compound: Compound) -> dict:
    """What anyone may see: the latest published score and the trend of every published
    round (with its breakdown). No names: parties, items and counts only."""
    rounds = published_rounds(compound)
    return {
        "rounds": rounds,
        "latest": rounds[-1] if rounds else None,
        "chart": TrendChart([(r.label, r.total) for r in rounds]) if rounds else None,
    }


# --------------------------------------------------------------------------- repairs


def repairs_visible(compound: Compound, standing: Standing, user) -> QuerySet[RepairRequest]:
    """Staff, committee, officials and stewards see every request; an owner sees their
    own, their units' and the common areas'."""
    qs = RepairRequest.objects.filter(compound=compound).select_related(
        "unit__building", "building", "reported_by"
    )
    if standing.can(Capability.VIEW_ALL_REPAIRS):
        return qs
    from communities.models import UnitOwnership, _active_q

    units = UnitOwnership.objects.filter(_active_q(), user=user, compound=compound).values("unit_id")
    return qs.filter(Q(reported_by=user) | Q(unit_id__in=units) | Q(unit__isnull=True))


def repair_get(compound: Compound, standing: Standing, user, pk) -> RepairRequest:
    from django.http import Http404

    request = repairs_visible(compound, standing, user).filter(pk=pk).first()
    if request is None:
        raise Http404
    return request


@dataclass
class RepairStats:
    since: dt.date
    total: int
    open: int
    fixed: int
    overdue_open: int
    on_time_rate: Decimal | None
    median_hours: Decimal | None
    mean_rating: Decimal | None
    ratings: int
    recent: list[dict]


def repair_stats(compound: Compound, *, days: int = 365, now: dt.datetime | None = None) -> RepairStats:
    """Public figures: counts, median hours from report to fix, mean rating; the recent
    list shows categories and masked places only — never names or unit numbers."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    qs = RepairRequest.objects.filter(compound=compound, reported_at__gte=since)
    agg = qs.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=~Q(status__in=[RepairStatus.DONE, RepairStatus.CONFIRMED])),
        fixed=Count("pk", filter=Q(done_at__isnull=False)),
        on_time=Count("pk", filter=Q(done_at__isnull=False, done_at__lte=F("due_at"))),
        overdue=Count(
            "pk", filter=~Q(status__in=[RepairStatus.DONE, RepairStatus.CONFIRMED]) & Q(due_at__lt=now)
        ),
        rating_sum=Sum("rating", default=0),
        ratings=Count("rating"),
    )
    durations = [
        (done - reported).total_seconds() / 3600
        for reported, done in qs.filter(done_at__isnull=False).values_list("reported_at", "done_at")
    ]
    recent = [
        {
            "category": r.get_category_display(),
            "place": r.masked_place,
            "status": r.get_status_display(),
            "status_code": r.status,
            "reported_at": r.reported_at,
            "rating": r.rating,
        }
        for r in qs.select_related("unit__building", "building").order_by("-reported_at", "-pk")[:10]
    ]
    return RepairStats(
        since=timezone.localtime(since).date(),
        total=agg["total"],
        open=agg["open"],
        fixed=agg["fixed"],
        overdue_open=agg["overdue"],
        on_time_rate=scoring.round2(Fraction(agg["on_time"] * 100, agg["total"])) if agg["total"] else None,
        median_hours=scoring.round2(Fraction(statistics.median(durations)).limit_denominator(10**6))
        if durations
        else None,
        mean_rating=scoring.round2(Fraction(agg["rating_sum"], agg["ratings"])) if agg["ratings"] else None,
        ratings=agg["ratings"],
        recent=recent,
    )


def waiting_for(user, compound: Compound, standing: Standing) -> dict:
    """Counts for the member's start page: rounds to score, requests to handle."""
    open_rounds = AssessmentRound.objects.filter(compound=compound, status=RoundStatus.OPEN)
    out = {
        "to_score": RoundScorer.objects.filter(
            round__in=open_rounds, user=user, submitted_at__isnull=True
        ).count()
    }
    if Role.COMPANY_STAFF in standing.roles or Role.COMPANY_MANAGER in standing.roles:
        out["repairs_open"] = RepairRequest.objects.filter(
            compound=compound,
            status__in=[RepairStatus.REPORTED, RepairStatus.ACCEPTED, RepairStatus.IN_PROGRESS],
        ).count()
    return out
