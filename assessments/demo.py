"""Demo data for the assessment and the repairs, through the real services.

``seed_assessments_demo()`` runs after the seed's escrow stages (``seed_demo``'s
``_seed_disclosures``): it needs the pilot compounds, their committees, community
officials, property staff and stewards, which the seed creates.

- **Owners for the survey**: a share of each pilot's units gets one demo owner
  (``communities.services.unit_owner_add``; people who cannot log in), so the owners'
  survey has answers.
- **A year of repair requests** (25 Dec 2025 – today), reported by owners and the
  steward, accepted and fixed by the company's staff, confirmed and rated by the owner;
  in each quarter the share fixed on time and the ratings follow that quarter's target.
- **Four closed quarterly rounds per pilot** (2025 Q4 – 2026 Q3), opened the first day
  after the quarter, scored by every scorer, answered by the owners, closed, signed off
  by the chair and a community official and published. 尚城国际's 2025 Q4 round is
  opened and closed in December 2025, *before* 华懋物业 took over on the 25th, and
  assesses the outgoing 鑫鼎物业: about 62. Its later rounds rise to about 93.

History is replayed as ``escrow/demo/payouts.py`` does it: ``timezone.now`` (and the
field defaults that captured it) is patched to each step's moment, signers pass
``SecondFactor(method="totp", at=<that moment>)``, nothing is e-mailed. Deterministic
(random choices seeded by compound and quarter) and idempotent: a round that exists is
skipped, a compound that has requests gets no more, a unit that has an owner keeps it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import sys
import zlib
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from unittest import mock

from django.conf import settings
from django.test.utils import override_settings
from django.utils import timezone, translation

from accounts.models import User
from accounts.stepup import SecondFactor
from communities import services as community_services
from communities.models import AuditEvent, Compound, Membership, Role, Unit, _active_q
from communities.selectors import current_duty_list

from . import repairs, services
from .models import (
    AssessmentRound,
    AssessmentTemplate,
    DutyCheck,
    EvidencePhoto,
    RepairCategory,
    RepairRequest,
    RoundSignoff,
    RoundStatus,
    TemplateItem,
    WeightPolicy,
)

# Target totals per pilot, 2025 Q4 … 2026 Q3 (the pilots' average went 62 → 93).
TARGETS: dict[str, list[int]] = {
    "shangcheng": [62, 79, 87, 93],
    # The other pilots start as low: they were "problem compounds" before the scheme too.
    "yinquan": [63, 78, 88, 94],
    "longquan": [61, 77, 86, 92],
    "dangui": [60, 75, 85, 93],
    "ganhe": [64, 80, 88, 93],
}
QUARTERS = [(2025, 4), (2026, 1), (2026, 2), (2026, 3)]
HANDOVER = dt.date(2025, 12, 25)
REPAIRS_FROM = dt.datetime(2025, 12, 26, 9, 0)
OWNED_SHARE = 0.6  # of each pilot's units get a demo owner

REPAIR_TEXTS = {
    RepairCategory.PLUMBING: ["卫生间天花板漏水", "厨房下水管堵塞", "楼上渗水到客厅墙面", "水表井盖破损"],
    RepairCategory.ELECTRICAL: ["楼道声控灯不亮", "单元门禁断电", "地下车库照明损坏"],
    RepairCategory.LIFT: ["电梯异响", "电梯按钮失灵", "电梯停在两层之间"],
    RepairCategory.BUILDING: ["外墙瓷砖脱落", "单元门闭门器损坏", "屋面防水层起鼓"],
    RepairCategory.CLEANING: ["垃圾站满溢未清运", "楼道小广告未清理"],
    RepairCategory.GREENING: ["绿化带枯树未补种", "草坪长期未修剪"],
    RepairCategory.SAFETY: ["消防通道被车辆占用", "监控摄像头不工作"],
}
COMMENTS_LOW = "抽查发现问题未按期整改"
COMMENTS_OK = "抽查合格"


class _Clock:
    def __init__(self):
        self.moment = timezone.now()

    def __call__(self):
        return self.moment


@contextmanager
def _replaying(clock: _Clock):
    """The clock set back to each step's moment (only in the seed command)."""
    fields = [
        (AuditEvent, "created_at"),
        (RoundSignoff, "signed_at"),
        (DutyCheck, "created_at"),
        (EvidencePhoto, "uploaded_at"),
        (AssessmentTemplate, "created_at"),
        (WeightPolicy, "created_at"),
    ]
    with ExitStack() as stack:
        stack.enter_context(mock.patch("django.utils.timezone.now", clock))
        for model, name in fields:
            stack.enter_context(mock.patch.object(model._meta.get_field(name), "_get_default", clock))
        stack.enter_context(override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"))
        stack.enter_context(_quiet_logs())
        stack.enter_context(translation.override(settings.LANGUAGE_CODE))
        yield


@contextmanager
def _quiet_logs():
    """The (eager) e-mail tasks log a line each: thousands while replaying a year."""
    logger = logging.getLogger("celery.app.trace")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def _rng(*parts) -> random.Random:
    return random.Random(zlib.crc32(":".join(str(p) for p in parts).encode()))  # noqa: S311 - demo data


def pilot_compounds() -> list[Compound]:
    return list(
        Compound.objects.filter(slug__in=TARGETS).select_related("community__street_office").order_by("pk")
    )


def seed_assessments_demo(
    *, compounds: list[Compound] | None = None, stdout=None, today: dt.date | None = None
):
    """Owners, a year of repair requests and four published rounds per pilot compound
    (see the module docstring). Returns counts of what it made."""
    out = stdout or sys.stdout
    compounds = compounds if compounds is not None else pilot_compounds()
    today = today or timezone.localdate()
    made = {"owners": 0, "repairs": 0, "rounds": 0}
    clock = _Clock()
    real_now = timezone.now()
    with _replaying(clock):
        for compound in compounds:
            made["owners"] += _owners(compound, clock)
            made["repairs"] += _repairs(compound, clock, today, real_now)
            made["rounds"] += _rounds(compound, clock, today, real_now)
    out.write(
        f"  assessments demo: {made['owners']} owners, {made['repairs']} repair requests, {made['rounds']} rounds\n"
    )
    return made


# --------------------------------------------------------------------------- owners


def _owners(compound: Compound, clock: _Clock) -> int:
    clock.moment = _at(dt.date(2025, 6, 1))
    rng = _rng("owners", compound.slug)
    units = list(Unit.objects.filter(compound=compound).order_by("pk"))
    owned = set(Unit.objects.filter(compound=compound, ownerships__isnull=False).values_list("pk", flat=True))
    number = list(TARGETS).index(compound.slug) if compound.slug in TARGETS else 9
    n = 0
    for index, unit in enumerate(units):
        draw = rng.random()  # drawn for every unit, so a second run draws the same
        if unit.pk in owned or draw > OWNED_SHARE:
            continue
        phone = f"+861375{number:02d}{index:05d}"
        user = User.objects.filter(phone=phone).first()
        if user is None:
            user = User.objects.create_user(
                phone=phone, password=None, display_name=f"{unit.building.name}业主"
            )
        community_services.unit_owner_add(unit=unit, user=user, start_date=dt.date(2018, 1, 1), actor=None)
        n += 1
    return n


def _unit_owner(unit: Unit):
    ownership = unit.ownerships.filter(_active_q()).select_related("user").order_by("pk").first()
    return ownership.user if ownership else None


# --------------------------------------------------------------------------- repairs


def _quarter_index(day: dt.date) -> int:
    for i, (year, quarter) in enumerate(QUARTERS):
        start, end = services.quarter_bounds(year, quarter)
        if start <= day <= end:
            return i
    return len(QUARTERS) - 1


def _repairs(compound: Compound, clock: _Clock, today: dt.date, real_now) -> int:
    if RepairRequest.objects.filter(compound=compound).exists():
        return 0
    targets = TARGETS.get(compound.slug, [85] * 4)
    owned_units = list(
        Unit.objects.filter(compound=compound, ownerships__isnull=False).distinct().select_related("building")
    )
    steward = (
        Membership.objects.filter(role=Role.STEWARD, compound=compound, steward_assignments__isnull=False)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if not owned_units:
        return 0
    rng = _rng("repairs", compound.slug)
    made = _leaking_flat(compound, clock, real_now)
    per_month = 8 if compound.slug == "shangcheng" else 4
    day = REPAIRS_FROM.date()
    while day < today:
        for _ in range(per_month):
            moment = _at(
                day + dt.timedelta(days=rng.randrange(0, 28)), rng.randrange(8, 20), rng.randrange(60)
            )
            if moment >= real_now - dt.timedelta(days=4):
                continue
            target = targets[min(_quarter_index(moment.date()), 3)] / 100
            made += _one_repair(compound, clock, rng, moment, target, owned_units, steward)
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return made


RESIDENT_PHONE = "+8613800000001"  # the seed's resident log-in (陈先生, 尚城国际)


def _leaking_flat(compound: Compound, clock: _Clock, real_now) -> int:
    """The story of the seed: the resident's flat leaks from the flat above; reported on a
    Sunday evening, fixed the next morning, confirmed and rated."""
    from communities.models import UnitOwnership

    if compound.slug != "shangcheng":
        return 0
    ownership = (
        UnitOwnership.objects.filter(compound=compound, user__phone=RESIDENT_PHONE)
        .select_related("unit", "user")
        .first()
    )
    reported = _at(dt.date(2026, 11, 22), 20, 15)
    clock.moment = reported
    staff = repairs.repair_staff(compound)  # as of that evening
    if ownership is None or not staff or reported + dt.timedelta(days=2) > real_now:
        return 0
    req = repairs.repair_report(
        compound=compound,
        actor=ownership.user,
        category=RepairCategory.PLUMBING,
        urgency="urgent",
        description="卫生间天花板漏水，楼上渗下来的，已经滴到地面",
        unit=ownership.unit,
    )
    clock.moment = reported + dt.timedelta(minutes=40)
    repairs.repair_accept(request=req, actor=staff[0])
    clock.moment = reported + dt.timedelta(hours=13)
    repairs.repair_start(request=req, actor=staff[0])
    clock.moment = reported + dt.timedelta(hours=16)
    repairs.repair_done(request=req, actor=staff[0], note="楼上卫生间防水层破损，已重做防水并更换地漏")
    clock.moment = reported + dt.timedelta(hours=26)
    repairs.repair_confirm(request=req, actor=ownership.user, rating=5, comment="第二天就修好了，很及时")
    return 1


def _one_repair(compound, clock, rng, moment, target, owned_units, steward) -> int:
    category = rng.choice(list(REPAIR_TEXTS))
    text = rng.choice(REPAIR_TEXTS[category])
    urgent = category in (RepairCategory.PLUMBING, RepairCategory.LIFT) and rng.random() < 0.5
    common = category in (RepairCategory.CLEANING, RepairCategory.GREENING, RepairCategory.SAFETY)
    clock.moment = moment
    if common and steward is not None and steward.is_active_on(moment.date()):
        building = steward.steward_assignments.order_by("pk").first().building
        req = repairs.repair_report(
            compound=compound,
            actor=steward.user,
            category=category,
            urgency="normal",
            description=text,
            building=building,
            location="公共区域",
            from_patrol=True,
        )
        confirmer = steward.user
    else:
        unit = rng.choice(owned_units)
        owner = _unit_owner(unit)
        if owner is None:
            return 0
        req = repairs.repair_report(
            compound=compound,
            actor=owner,
            category=category,
            urgency="urgent" if urgent else "normal",
            description=text,
            unit=None if common else unit,
            building=unit.building if common else None,
            location="公共区域" if common else "",
        )
        confirmer = owner
    staff = repairs.repair_staff(compound)
    if not staff:
        return 1
    limit = repairs.time_limit(req.urgency)
    on_time = rng.random() < target
    took = limit * (rng.uniform(0.15, 0.85) if on_time else rng.uniform(1.1, 2.2))
    clock.moment = moment + took * 0.1
    repairs.repair_accept(request=req, actor=staff[0])
    if not on_time:
        clock.moment = moment + limit * 0.8
        repairs.repairs_remind(clock.moment)
        clock.moment = moment + limit + dt.timedelta(minutes=5)
        repairs.repairs_remind(clock.moment)
    clock.moment = moment + took
    repairs.repair_done(request=req, actor=staff[0], note="已处理完毕")
    clock.moment = moment + took + dt.timedelta(hours=rng.randrange(2, 30))
    rating = max(1, min(5, round(rng.gauss(target * 5 + 0.2, 0.6))))
    repairs.repair_confirm(request=req, actor=confirmer, rating=rating, comment="")
    return 1


# --------------------------------------------------------------------------- rounds


def _rounds(compound: Compound, clock: _Clock, today: dt.date, real_now) -> int:
    targets = TARGETS.get(compound.slug, [85] * 4)
    made = 0
    for index, (year, quarter) in enumerate(QUARTERS):
        if AssessmentRound.objects.filter(compound=compound, year=year, quarter=quarter).exists():
            continue
        _start, end = services.quarter_bounds(year, quarter)
        before_handover = compound.slug == "shangcheng" and (year, quarter) == (2025, 4)
        opened_on = dt.date(2025, 12, 15) if before_handover else end + dt.timedelta(days=1)
        if _at(opened_on + dt.timedelta(days=12)) > real_now:
            continue
        made += _one_round(compound, clock, year, quarter, opened_on, targets[index] / 100, before_handover)
    return made


def _one_round(compound, clock, year, quarter, opened_on, target, before_handover) -> int:
    rng = _rng("round", compound.slug, year, quarter)
    clock.moment = _at(opened_on, 8, 30)
    official = (
        Membership.objects.filter(
            _active_q(on=opened_on), role=Role.COMMUNITY_OFFICIAL, community=compound.community
        )
        .order_by("pk")
        .first()
    )
    rnd = services.round_open(compound=compound, year=year, quarter=quarter, actor=None)
    # Duty checks of the quarter: the share checked follows the target.
    duty_list = current_duty_list(compound)
    _start, end = services.quarter_bounds(year, quarter)
    if duty_list is not None and official is not None:
        for duty in duty_list.duties.filter(by_company=True):
            if rng.random() < target:
                services_day = min(end, opened_on - dt.timedelta(days=1))
                clock.moment = _at(services_day, 16)
                DutyCheck.objects.get_or_create(
                    compound=compound,
                    duty=duty,
                    checked_on=services_day,
                    defaults={"checked_by": official.user, "ok": True, "note": "季度检查"},
                )
    items = list(TemplateItem.objects.filter(template=rnd.template).order_by("number"))
    # Owners' survey: about half the owned units answer.
    units = Unit.objects.filter(compound=compound, ownerships__isnull=False).distinct().order_by("pk")
    for unit in units:
        if rng.random() < 0.5:
            continue
        owner = _unit_owner(unit)
        if owner is None:
            continue
        clock.moment = _at(opened_on + dt.timedelta(days=rng.randrange(0, 2)), rng.randrange(8, 22))
        rating = max(1, min(5, round(rng.gauss(target * 5 + 0.1, 0.7))))
        services.survey_answer(round=rnd, unit=unit, actor=owner, rating=rating)
    # Every scorer scores: each item near the target share of its points.
    scorers = list(rnd.scorers.select_related("user").order_by("pk"))
    for n, scorer in enumerate(scorers):
        last = n == len(scorers) - 1
        if before_handover and last:
            break  # closed by the official before the handover, one scorer short
        clock.moment = _at(opened_on + dt.timedelta(days=2 + n), 10 + n % 8)
        lean = rng.uniform(-0.04, 0.04)
        sheet = {}
        for item in items:
            share = max(0.0, min(1.0, target + lean + rng.uniform(-0.05, 0.05)))
            points = (Decimal(item.max_points) * Decimal(str(share))).quantize(Decimal("0.5"))
            points = min(points, Decimal(item.max_points))
            sheet[item.pk] = {
                "points": str(points),
                "comment": COMMENTS_LOW if points * 2 < item.max_points else COMMENTS_OK,
            }
        services.score_submit(round=rnd, actor=scorer.user, scores=sheet)
    rnd.refresh_from_db()
    if rnd.status == RoundStatus.OPEN:
        clock.moment = _at(opened_on + dt.timedelta(days=9), 17)
        services.round_close(
            round=rnd, actor=None, reason="before_handover" if before_handover else "deadline"
        )
    # Sign-off: the chair, then a community official, each with a fresh second factor.
    signed_on = opened_on + dt.timedelta(days=10)
    chair = (
        Membership.objects.filter(_active_q(on=signed_on), role=Role.COMMITTEE_CHAIR, compound=compound)
        .select_related("user")
        .first()
    )
    for n, person in enumerate([chair.user if chair else None, official.user if official else None]):
        if person is None:
            continue
        clock.moment = _at(signed_on, 10 + n)
        services.round_signoff(
            round=rnd, actor=person, second_factor=SecondFactor(method="totp", at=clock.moment)
        )
    return 1
