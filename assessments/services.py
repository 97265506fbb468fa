"""Every write of the assessment: templates, weights, rounds, scores, the survey,
closing, sign-off and objections. Keyword-only, explicit actor, durable transaction,
audit event in the same transaction, ``ValidationError({field: …})`` for bad input.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import notify
from common.errors import ConflictError, PermissionDeniedError
from communities.audit import audit_record, snapshot
from communities.models import (
    Compound,
    Duty,
    DutyListVersion,
    Membership,
    Party,
    Role,
    ServiceContract,
    StreetOffice,
    UnitOwnership,
    _active_q,
)
from communities.permissions import Capability, active_memberships, standing_in
from communities.selectors import active_company, users_with_roles

from . import scoring
from .default_template import DEFAULT_TITLE, default_template_sections
from .models import (
    AssessmentRound,
    AssessmentTemplate,
    DutyCheck,
    EvidencePhoto,
    ItemScore,
    Objection,
    ObjectionDecision,
    RoundScorer,
    RoundSignoff,
    RoundStatus,
    ScoringParty,
    SignoffRole,
    SurveyAnswer,
    TemplateItem,
    TemplateSection,
    WeightPolicy,
)

logger = logging.getLogger(__name__)

SCORING_DAYS = 14  # a round is open this long after it opens
OBJECTION_DAYS = 7  # the company may object this long after publication


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def previous_quarter(day: dt.date) -> tuple[int, int]:
    q = (day.month - 1) // 3 + 1
    return (day.year, q - 1) if q > 1 else (day.year - 1, 4)


def round_url(rnd: AssessmentRound) -> str:
    return reverse("assessments:round-detail", kwargs={"slug": rnd.compound.slug, "pk": rnd.pk})


def _is_street_admin(actor, office: StreetOffice) -> bool:
    return active_memberships(actor).filter(role=Role.STREET_ADMIN, street_office=office).exists()


def _require(actor, compound: Compound, capability: Capability, message: str):
    standing = standing_in(actor, compound)
    if not standing.can(capability):
        raise PermissionDeniedError(message)
    return standing


# --------------------------------------------------------------------------- templates and weights


def validate_template_sections(sections, *, street_office: StreetOffice) -> list[dict]:
    """Sections with items; each item a title, whole maximum points 1–100, guidance and
    optionally the number of a duty in the office's duty list; the items sum to 100."""
    if not isinstance(sections, list) or not sections:
        raise ValidationError({"sections": _("A template needs at least one section.")})
    duty_numbers = _office_duty_numbers(street_office)
    errors: dict[str, str] = {}
    clean: list[dict] = []
    total = 0
    for i, section in enumerate(sections, start=1):
        title = str(section.get("title", "")).strip()
        if not title:
            errors[f"sections.{i}.title"] = _("Each section needs a title.")
        items = section.get("items") or []
        if not items:
            errors[f"sections.{i}.items"] = _("Each section needs at least one item.")
        out_items = []
        for j, item in enumerate(items, start=1):
            key = f"sections.{i}.items.{j}"
            item_title = str(item.get("title", "")).strip()
            if not item_title:
                errors[f"{key}.title"] = _("Each item needs a title.")
            try:
                points = int(str(item.get("max_points", "")).strip())
            except ValueError:
                points = 0
            if not 1 <= points <= 100:
                errors[f"{key}.max_points"] = _("Maximum points must be a whole number from 1 to 100.")
            duty = item.get("duty_number")
            if duty in ("", None):
                duty = None
            else:
                try:
                    duty = int(duty)
                except (TypeError, ValueError):
                    duty = -1
                if duty_numbers and duty not in duty_numbers:
                    errors[f"{key}.duty_number"] = _("There is no duty %(n)s in the duty list.") % {"n": duty}
            total += max(points, 0)
            out_items.append(
                {
                    "title": item_title,
                    "max_points": points,
                    "guidance": str(item.get("guidance", "")).strip(),
                    "duty_number": duty,
                }
            )
        clean.append({"title": title, "items": out_items})
    if not errors and total != 100:
        errors["sections"] = _("The items' maximum points add up to %(n)s; they must add up to 100.") % {
            "n": total
        }
    if errors:
        raise ValidationError(errors)
    return clean


def _office_duty_numbers(office: StreetOffice) -> set[int]:
    latest = (
        DutyListVersion.objects.filter(street_office=office, compound__isnull=True)
        .order_by("-version")
        .first()
    )
    if latest is None:
        return set()
    return set(latest.duties.values_list("number", flat=True))


def _template_create(*, street_office, title, sections, reason, actor) -> AssessmentTemplate:
    clean = validate_template_sections(sections, street_office=street_office)
    previous = (
        AssessmentTemplate.objects.select_for_update()
        .filter(street_office=street_office)
        .order_by("-version")
        .first()
    )
    template = AssessmentTemplate.objects.create(
        street_office=street_office,
        version=(previous.version + 1) if previous else 1,
        title=title.strip() or DEFAULT_TITLE,
        based_on=previous,
        reason=reason,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    number = 0
    for s_no, section in enumerate(clean, start=1):
        sec = TemplateSection.objects.create(template=template, number=s_no, title=section["title"])
        for item in section["items"]:
            number += 1
            TemplateItem.objects.create(template=template, section=sec, number=number, **item)
    audit_record(actor=actor, action="assessment.template_publish", obj=template)
    return template


@transaction.atomic(durable=True)
def assessment_template_publish(
    *, street_office: StreetOffice, title: str, sections: list[dict], reason: str, actor
) -> AssessmentTemplate:
    """A new version of the office's template; old versions (and the rounds scored on
    them) never change."""
    if actor is not None and not _is_street_admin(actor, street_office):
        raise PermissionDeniedError(_("Only the street office publishes assessment templates."))
    if not (reason or "").strip() and AssessmentTemplate.objects.filter(street_office=street_office).exists():
        raise ValidationError({"reason": _("Say why the template changes.")})
    return _template_create(
        street_office=street_office, title=title, sections=sections, reason=reason.strip(), actor=actor
    )


def validate_weights(**weights) -> dict[str, int]:
    errors, clean = {}, {}
    for party in scoring.PARTIES:
        try:
            value = int(str(weights.get(party, "")).strip())
        except ValueError:
            value = -1
        if not 0 <= value <= 100:
            errors[party] = _("A weight is a whole percentage from 0 to 100.")
        clean[party] = value
    if not errors and sum(clean.values()) != 100:
        errors["objective"] = _("The weights add up to %(n)s %%; they must add up to 100 %%.") % {
            "n": sum(clean.values())
        }
    if errors:
        raise ValidationError(errors)
    return clean


def _policy_create(*, street_office, weights, reason, actor) -> WeightPolicy:
    clean = validate_weights(**weights)
    previous = (
        WeightPolicy.objects.select_for_update()
        .filter(street_office=street_office)
        .order_by("-version")
        .first()
    )
    policy = WeightPolicy.objects.create(
        street_office=street_office,
        version=(previous.version + 1) if previous else 1,
        reason=reason,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **clean,
    )
    audit_record(actor=actor, action="assessment.weights_publish", obj=policy)
    return policy


@transaction.atomic(durable=True)
def weight_policy_publish(*, street_office: StreetOffice, reason: str, actor, **weights) -> WeightPolicy:
    """A new version of the party weights (percent, summing to 100)."""
    if actor is not None and not _is_street_admin(actor, street_office):
        raise PermissionDeniedError(_("Only the street office sets the party weights."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the weights change.")})
    return _policy_create(street_office=street_office, weights=weights, reason=reason.strip(), actor=actor)


def _defaults_ensure(street_office: StreetOffice, actor=None) -> tuple[AssessmentTemplate, WeightPolicy]:
    # Lock the office row: two first rounds opening at once must not both seed v1.
    StreetOffice.objects.select_for_update().filter(pk=street_office.pk).first()
    template = AssessmentTemplate.objects.filter(street_office=street_office).order_by("-version").first()
    if template is None:
        template = _template_create(
            street_office=street_office,
            title=DEFAULT_TITLE,
            sections=default_template_sections(),
            reason="",
            actor=actor,
        )
    policy = WeightPolicy.objects.filter(street_office=street_office).order_by("-version").first()
    if policy is None:
        policy = _policy_create(
            street_office=street_office,
            weights={"community": 30, "committee": 30, "survey": 30, "objective": 10},
            reason="",
            actor=actor,
        )
    return template, policy


@transaction.atomic(durable=True)
def assessment_defaults_seed(
    *, street_office: StreetOffice, actor
) -> tuple[AssessmentTemplate, WeightPolicy]:
    """Give a street office the default template and weights if it has none yet."""
    return _defaults_ensure(street_office, actor)


# --------------------------------------------------------------------------- rounds


# Who scores, by role; a person holding several of these roles scores once, in the
# first party listed here that they belong to.
SCORER_ROLES = [
    (Role.COMMITTEE_CHAIR, ScoringParty.COMMITTEE),
    (Role.COMMITTEE_MEMBER, ScoringParty.COMMITTEE),
    (Role.COMMUNITY_OFFICIAL, ScoringParty.COMMUNITY),
    (Role.STREET_INSPECTOR, ScoringParty.COMMUNITY),
]


def scorers_for(compound: Compound, on: dt.date) -> list[tuple[int, str, str]]:
    """(user id, party, role) of the people who score ``compound`` — committee members,
    the community's officials, the street office's inspectors — except anyone employed
    by a property company (the company never scores itself)."""
    reach = (
        Q(compound=compound, party=Party.COMMITTEE)
        | Q(community_id=compound.community_id, role=Role.COMMUNITY_OFFICIAL)
        | Q(street_office_id=compound.community.street_office_id, role=Role.STREET_INSPECTOR)
    )
    rows = Membership.objects.filter(_active_q(on=on), reach, user__is_active=True).values_list(
        "user_id", "role"
    )
    employed = set(
        Membership.objects.filter(_active_q(on=on), party=Party.COMPANY).values_list("user_id", flat=True)
    )
    roles_by_user: dict[int, set[str]] = {}
    for user_id, role in rows:
        roles_by_user.setdefault(user_id, set()).add(role)
    out = []
    for user_id, roles in sorted(roles_by_user.items()):
        if user_id in employed:
            continue
        role, party = next((r, p) for r, p in SCORER_ROLES if r in roles)
        out.append((user_id, party, role))
    return out


def _round_create(
    *, compound, year, quarter, template, policy, company, actor, version=1, supersedes=None, reason=""
) -> AssessmentRound:
    now = timezone.now()
    start, end = quarter_bounds(year, quarter)
    rnd = AssessmentRound.objects.create(
        compound=compound,
        year=year,
        quarter=quarter,
        version=version,
        period_start=start,
        period_end=end,
        template=template,
        policy=policy,
        company=company,
        opened_at=now,
        opened_by=actor if getattr(actor, "is_authenticated", False) else None,
        deadline=now + dt.timedelta(days=SCORING_DAYS),
        supersedes=supersedes,
        rescore_reason=reason,
    )
    return rnd


@transaction.atomic(durable=True)
def round_open(*, compound: Compound, year: int, quarter: int, actor) -> AssessmentRound:
    """Open the round of ``compound`` for a quarter that has begun; the template, the
    weights and the scorers are fixed now. ``actor`` None is the quarterly beat job."""
    if actor is not None:
        _require(actor, compound, Capability.OPEN_ASSESSMENT_ROUND, _("Only an official opens a round."))
    try:
        year, quarter = int(year), int(quarter)
    except (TypeError, ValueError):
        raise ValidationError({"quarter": _("Give a year and a quarter (1–4).")}) from None
    if not 1 <= quarter <= 4 or not 2000 <= year <= 2100:
        raise ValidationError({"quarter": _("Give a year and a quarter (1–4).")})
    start, _end = quarter_bounds(year, quarter)
    if start > timezone.localdate():
        raise ValidationError({"quarter": _("That quarter has not begun.")})
    # The compound row is the lock: one round per compound and quarter is opened once.
    Compound.objects.select_for_update().filter(pk=compound.pk).first()
    if AssessmentRound.objects.filter(compound=compound, year=year, quarter=quarter).exists():
        raise ConflictError(
            _("This quarter already has a round."),
            extra={"fields": {"quarter": [_("This quarter already has a round.")]}},
        )
    template, policy = _defaults_ensure(compound.community.street_office, actor)
    rnd = _round_create(
        compound=compound,
        year=year,
        quarter=quarter,
        template=template,
        policy=policy,
        company=company_assessed(compound, min(_end, timezone.localdate())),
        actor=actor,
    )
    _scorers_fix(rnd, scorers_for(compound, timezone.localdate()))
    audit_record(actor=actor, action="assessment.round_open", obj=rnd, compound=compound)
    _notify_opened(rnd)
    return rnd


def company_assessed(compound: Compound, day: dt.date):
    """The company whose contract was in force on ``day`` (the quarter's end, or today
    for a round opened early): a round before a handover assesses the outgoing company."""
    contract = (
        ServiceContract.objects.filter(compound=compound, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .select_related("company")
        .order_by("-start_date")
        .first()
    )
    return contract.company if contract else active_company(compound)


def _scorers_fix(rnd: AssessmentRound, scorers) -> None:
    RoundScorer.objects.bulk_create(
        RoundScorer(round=rnd, compound_id=rnd.compound_id, user_id=user_id, party=party, role=role)
        for user_id, party, role in scorers
    )


def _notify_opened(rnd: AssessmentRound) -> None:
    from accounts.models import User

    scorer_ids = rnd.scorers.values("user_id")
    closes = timezone.localtime(rnd.deadline).date().isoformat()
    notify(
        users=User.objects.filter(pk__in=scorer_ids),
        kind="assessment.open",
        compound=rnd.compound,
        title=_("Score the property service of %(c)s for %(p)s") % {"c": rnd.compound.name, "p": rnd.label},
        body=_("Scoring closes on %(d)s.") % {"d": closes},
        url=round_url(rnd),
    )
    owner_ids = UnitOwnership.objects.filter(_active_q(), compound=rnd.compound).values("user_id")
    notify(
        users=User.objects.filter(pk__in=owner_ids).exclude(pk__in=scorer_ids),
        kind="assessment.survey",
        compound=rnd.compound,
        title=_("How satisfied are you with the property service of %(c)s? (%(p)s)")
        % {"c": rnd.compound.name, "p": rnd.label},
        body=_("One answer per flat, changeable until %(d)s. Your name is never shown with it.")
        % {"d": closes},
        url=reverse("assessments:round-survey", kwargs={"slug": rnd.compound.slug, "pk": rnd.pk}),
    )


REMIND_BEFORE = dt.timedelta(days=3)


def rounds_remind_scorers(now: dt.datetime | None = None) -> int:
    """Three days before the deadline, remind the scorers who have not scored — once per
    round (claimed with a conditional UPDATE … WHERE reminded_at IS NULL)."""
    from accounts.models import User

    now = now or timezone.now()
    sent = 0
    due = AssessmentRound.objects.filter(
        status=RoundStatus.OPEN, reminded_at__isnull=True, deadline__lte=now + REMIND_BEFORE, deadline__gt=now
    )
    for rnd in due.select_related("compound"):
        with transaction.atomic(durable=True):
            if not AssessmentRound.objects.filter(pk=rnd.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            waiting = rnd.scorers.filter(submitted_at__isnull=True).values("user_id")
            notify(
                users=User.objects.filter(pk__in=waiting),
                kind="assessment.reminder",
                compound=rnd.compound,
                title=_("Reminder: scoring of %(c)s for %(p)s closes on %(d)s")
                % {
                    "c": rnd.compound.name,
                    "p": rnd.label,
                    "d": timezone.localtime(rnd.deadline).date().isoformat(),
                },
                url=round_url(rnd),
            )
            audit_record(actor=None, action="assessment.remind", obj=rnd, compound=rnd.compound)
            sent += 1
    return sent


def rounds_open_due(today: dt.date | None = None) -> list[int]:
    """The beat job (first day after each quarter): open last quarter's round for every
    compound with a property company under contract. Safe to run again."""
    today = today or timezone.localdate()
    year, quarter = previous_quarter(today)
    opened = []
    compounds = Compound.objects.filter(contracts__status="active").exclude(
        assessment_rounds__year=year, assessment_rounds__quarter=quarter
    )
    for compound in compounds.select_related("community__street_office"):
        try:
            opened.append(round_open(compound=compound, year=year, quarter=quarter, actor=None).pk)
        except ConflictError:
            continue
    return opened


def _lock_round(rnd: AssessmentRound) -> AssessmentRound:
    return AssessmentRound.objects.select_for_update().select_related("compound__community").get(pk=rnd.pk)


def _share_lock_round(rnd: AssessmentRound) -> str:
    """The round's status under a shared row lock: survey answers and score sheets run
    side by side, and closing (FOR UPDATE) waits for them and they for it — so nothing
    is written into a round after its result was frozen."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT status FROM assessments_assessmentround WHERE id = %s FOR SHARE", [rnd.pk])
            row = cursor.fetchone()
        return row[0]
    return AssessmentRound.objects.filter(pk=rnd.pk).values_list("status", flat=True).get()


def _check_open(status: str) -> None:
    if status != RoundStatus.OPEN:
        raise ValidationError({"round": _("This round is closed; nothing can be changed in it.")})


def _parse_points(raw) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value != value.quantize(Decimal("0.1")):
        return None
    return value


@transaction.atomic(durable=True)
def score_submit(*, round: AssessmentRound, actor, scores: dict, photos: dict | None = None) -> RoundScorer:
    """A scorer's sheet: points for every item of the round's template (0 … the item's
    maximum, in tenths), a comment where the points are below half the maximum, and
    optional photos. Submitted once; the round closes when every scorer has scored.

    ``scores`` maps item id → {"points": …, "comment": …}; ``photos`` item id → uploads."""
    from common.attachments import read_checked

    rnd = round
    _check_open(_lock_round(rnd).status)
    scorer = RoundScorer.objects.filter(round=rnd, user=actor).first()
    if scorer is None:
        raise ValidationError({"round": _("You are not a scorer of this round.")})
    if scorer.submitted_at is not None:
        raise ValidationError({"scores": _("You have already scored this round; a sheet is submitted once.")})
    items = list(TemplateItem.objects.filter(template_id=rnd.template_id).order_by("number"))
    errors: dict[str, str] = {}
    rows = []
    scores = {int(k): v for k, v in (scores or {}).items() if str(k).isdigit()}
    for item in items:
        entry = scores.get(item.pk) or {}
        key = f"scores.{item.number}"
        points = _parse_points(entry.get("points", ""))
        comment = str(entry.get("comment", "") or "").strip()
        if points is None:
            errors[f"{key}.points"] = _("Give the points for item %(n)s (a number, at most one decimal).") % {
                "n": item.number
            }
            continue
        if points < 0 or points > item.max_points:
            errors[f"{key}.points"] = _("Item %(n)s: points must be from 0 to %(max)s.") % {
                "n": item.number,
                "max": item.max_points,
            }
            continue
        if points * 2 < item.max_points and not comment:
            errors[f"{key}.comment"] = _("Item %(n)s: below half the points needs a comment saying why.") % {
                "n": item.number
            }
            continue
        rows.append(
            ItemScore(
                round=rnd,
                compound_id=rnd.compound_id,
                scorer=scorer,
                item=item,
                points=points,
                comment=comment,
            )
        )
    extra = set(scores) - {i.pk for i in items}
    if extra:
        errors["scores"] = _("Some scores are for items that are not in this round's template.")
    if errors:
        raise ValidationError(errors)
    created = ItemScore.objects.bulk_create(rows)
    by_item = {row.item_id: row for row in created}
    for item_id, uploads in (photos or {}).items():
        target = by_item.get(int(item_id))
        for upload in uploads or []:
            if target is None:
                continue
            stored, meta = read_checked(upload, field=f"photos.{target.item.number}")
            EvidencePhoto.objects.create(
                compound_id=rnd.compound_id, score=target, file=stored, uploaded_by=actor, **meta
            )
    scorer.submitted_at = timezone.now()
    scorer.save(update_fields=["submitted_at"])
    audit_record(
        actor=actor,
        action="assessment.score_submit",
        obj=scorer,
        compound=rnd.compound,
        after={"round": rnd.pk, "total": str(sum(r.points for r in rows))},
    )
    if not RoundScorer.objects.filter(round=rnd, submitted_at__isnull=True).exists():
        _close(_lock_round(rnd), actor=None, reason="all_scored")
    return scorer


def _owns_unit(user, unit, on: dt.date) -> bool:
    return UnitOwnership.objects.filter(_active_q(on=on), user=user, unit=unit).exists()


@transaction.atomic(durable=True)
def survey_answer(*, round: AssessmentRound, unit, actor, rating, comment: str = "") -> SurveyAnswer:
    """An owner's satisfaction answer for one of their units: one per unit (the database
    keeps it so under simultaneous submits), changeable until the round closes."""
    rnd = round
    try:
        rating = int(str(rating).strip())
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    if (
        unit is None
        or unit.compound_id != rnd.compound_id
        or not _owns_unit(actor, unit, timezone.localdate())
    ):
        raise ValidationError({"unit": _("You can answer only for a unit you own in this compound.")})
    _check_open(_share_lock_round(rnd))
    now = timezone.now()
    comment = (comment or "").strip()[:2000]
    # One statement decides between simultaneous answers for the unit: INSERT … ON
    # CONFLICT (round, unit) DO UPDATE — the last one stands, there is never a second row.
    SurveyAnswer.objects.bulk_create(
        [
            SurveyAnswer(
                round=rnd,
                compound_id=rnd.compound_id,
                unit=unit,
                answered_by=actor,
                rating=rating,
                comment=comment,
                answered_at=now,
                updated_at=now,
            )
        ],
        update_conflicts=True,
        unique_fields=["round", "unit"],
        update_fields=["answered_by", "rating", "comment", "updated_at"],
    )
    answer = SurveyAnswer.objects.get(round=rnd, unit=unit)
    # The audit keeps who answered (the trail is not public); pages never show it.
    audit_record(
        actor=actor,
        action="assessment.survey_answer",
        obj=answer,
        compound=rnd.compound,
        after={"round": rnd.pk, "unit": unit.pk, "rating": rating},
    )
    return answer


def _close(rnd: AssessmentRound, *, actor, reason: str) -> AssessmentRound:
    from .selectors import objective_components

    if rnd.status != RoundStatus.OPEN:
        raise ConflictError(
            _("This round is already closed."),
            extra={"fields": {"round": [_("This round is already closed.")]}},
        )
    items = list(
        TemplateItem.objects.filter(template_id=rnd.template_id).select_related("section").order_by("number")
    )
    infos = [scoring.ItemInfo(i.pk, i.number, i.section.title, i.title, i.max_points) for i in items]
    sheets: dict[int, scoring.Sheet] = {}
    submitted = RoundScorer.objects.filter(round=rnd, submitted_at__isnull=False)
    parties = dict(submitted.values_list("pk", "party"))
    for scorer_id, item_id, points in ItemScore.objects.filter(round=rnd, scorer_id__in=parties).values_list(
        "scorer_id", "item_id", "points"
    ):
        sheets.setdefault(scorer_id, scoring.Sheet(party=parties[scorer_id], points={})).points[item_id] = (
            points
        )
    ratings = list(SurveyAnswer.objects.filter(round=rnd).values_list("rating", flat=True))
    components = objective_components(rnd.compound, rnd.period_start, rnd.period_end)
    objective = scoring.objective_score(c for c, _text in components)
    result = scoring.compute(
        items=infos,
        sheets=list(sheets.values()),
        ratings=ratings,
        objective=objective,
        weights=rnd.policy.as_dict(),
    )
    counts = dict(
        (
            party,
            (
                RoundScorer.objects.filter(round=rnd, party=party).count(),
                sum(1 for p in parties.values() if p == party),
            ),
        )
        for party in ("community", "committee")
    )
    from communities.models import Unit

    rnd.result = {
        "total": scoring.as_text(result.total),
        "rounding": "ROUND_HALF_UP, 0.01, exact inputs",
        "template_version": rnd.template.version,
        "policy_version": rnd.policy.version,
        "weights": result.weights,
        "effective_weights": {p: scoring.as_text(w) for p, w in result.effective_weights.items()},
        "parties": {p: scoring.as_text(v) for p, v in result.parties.items()},
        "scorers": {p: {"fixed": n, "scored": m} for p, (n, m) in counts.items()},
        "survey": {
            "answers": len(ratings),
            "units": Unit.objects.filter(compound_id=rnd.compound_id).count(),
            "mean_rating": scoring.as_text(scoring.mean(ratings)),
        },
        "objective": [
            {
                "key": c.key,
                "numerator": str(c.numerator),
                "denominator": str(c.denominator),
                "score": scoring.as_text(c.score),
                "formula": text,
            }
            for c, text in components
        ],
        "items": [
            {
                "number": row["number"],
                "section": row["section"],
                "title": row["title"],
                "max_points": row["max_points"],
                "mean": scoring.as_text(row["mean"]),
                "community": scoring.as_text(row["community"]),
                "committee": scoring.as_text(row["committee"]),
            }
            for row in result.items
        ],
    }
    rnd.total = scoring.round2(result.total)
    rnd.status = RoundStatus.CLOSED
    rnd.closed_at = timezone.now()
    rnd.close_reason = reason
    rnd.save(update_fields=["result", "total", "status", "closed_at", "close_reason"])
    audit_record(
        actor=actor,
        action="assessment.round_close",
        obj=rnd,
        compound=rnd.compound,
        after={"total": str(rnd.total), "reason": reason},
    )
    notify(
        users=users_with_roles(rnd.compound, [Role.COMMITTEE_CHAIR, Role.COMMUNITY_OFFICIAL]),
        kind="assessment.signoff",
        compound=rnd.compound,
        title=_("The assessment of %(c)s for %(p)s closed at %(t)s: please sign it off")
        % {"c": rnd.compound.name, "p": rnd.label, "t": rnd.total},
        url=round_url(rnd),
    )
    return rnd


@transaction.atomic(durable=True)
def round_close(*, round: AssessmentRound, actor, reason: str = "manual") -> AssessmentRound:
    """Close a round now and freeze its result. Closing twice is refused (409)."""
    rnd = _lock_round(round)
    if actor is not None:
        _require(actor, rnd.compound, Capability.OPEN_ASSESSMENT_ROUND, _("Only an official closes a round."))
    return _close(rnd, actor=actor, reason=reason)


def rounds_close_due(now: dt.datetime | None = None) -> list[int]:
    """The beat job: close every open round whose deadline has passed (each in its own
    transaction; a round closed meanwhile by its last scorer is skipped)."""
    now = now or timezone.now()
    closed = []
    for pk in AssessmentRound.objects.filter(status=RoundStatus.OPEN, deadline__lte=now).values_list(
        "pk", flat=True
    ):
        try:
            rnd = round_close(round=AssessmentRound(pk=pk), actor=None, reason="deadline")
        except ConflictError:
            continue
        closed.append(rnd.pk)
    return closed


@transaction.atomic(durable=True)
def round_signoff(*, round: AssessmentRound, actor, second_factor) -> RoundSignoff:
    """The committee chair or a community official signs the frozen result, behind
    step-up; with both signatures the round is published."""
    from accounts.stepup import check_second_factor

    rnd = _lock_round(round)
    if rnd.status != RoundStatus.CLOSED:
        raise ValidationError({"round": _("Only a closed round waiting for sign-off can be signed.")})
    standing = standing_in(actor, rnd.compound)
    if not standing.can(Capability.SIGN_ASSESSMENT):
        raise PermissionDeniedError(_("The committee chair and a community official sign a round off."))
    if standing.company_ids and rnd.company_id in standing.company_ids:
        raise PermissionDeniedError(_("People of the assessed company do not sign its assessment."))
    done = dict(RoundSignoff.objects.filter(round=rnd).values_list("role", "signer_id"))
    if actor.pk in done.values():
        raise ValidationError({"round": _("You have already signed this round off.")})
    candidates = []
    if Role.COMMITTEE_CHAIR in standing.roles:
        candidates.append(SignoffRole.CHAIR)
    if Role.COMMUNITY_OFFICIAL in standing.roles:
        candidates.append(SignoffRole.OFFICIAL)
    role = next((r for r in candidates if r not in done), None)
    if role is None:
        raise ValidationError({"round": _("Your side has already signed this round off.")})
    proof = check_second_factor(second_factor)
    signoff = RoundSignoff.objects.create(
        round=rnd,
        compound_id=rnd.compound_id,
        role=role,
        signer=actor,
        second_factor=proof.method,
        second_factor_at=proof.at,
    )
    audit_record(actor=actor, action="assessment.signoff", obj=signoff, compound=rnd.compound)
    if len(done) + 1 == len(SignoffRole.values):
        rnd.status = RoundStatus.PUBLISHED
        rnd.published_at = timezone.now()
        rnd.save(update_fields=["status", "published_at"])
        audit_record(actor=actor, action="assessment.publish", obj=rnd, compound=rnd.compound)
        notify(
            users=users_with_roles(
                rnd.compound, [Role.COMPANY_MANAGER, Role.COMPANY_STAFF, Role.COMMITTEE_MEMBER]
            ),
            kind="assessment.published",
            compound=rnd.compound,
            title=_("The assessment of %(c)s for %(p)s is published: %(t)s points")
            % {"c": rnd.compound.name, "p": rnd.label, "t": rnd.total},
            body=_("The property company may object within %(d)s days.") % {"d": OBJECTION_DAYS},
            url=round_url(rnd),
        )
    return signoff


@transaction.atomic(durable=True)
def objection_lodge(*, round: AssessmentRound, actor, reason: str) -> Objection:
    """The assessed company's one objection, within 7 days of publication."""
    rnd = _lock_round(round)
    standing = standing_in(actor, rnd.compound)
    if not standing.can(Capability.OBJECT_TO_ASSESSMENT) or rnd.company_id not in standing.company_ids:
        raise PermissionDeniedError(_("Only the assessed company's manager may object."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what you object to and why.")})
    if rnd.status != RoundStatus.PUBLISHED:
        raise ValidationError({"round": _("Only a published round can be objected to.")})
    if Objection.objects.filter(round=rnd).exists():
        raise ValidationError({"round": _("This round already has an objection; one is allowed.")})
    if timezone.now() > rnd.published_at + dt.timedelta(days=OBJECTION_DAYS):
        raise ValidationError(
            {"round": _("Objections are accepted within %(d)s days of publication.") % {"d": OBJECTION_DAYS}}
        )
    objection = Objection.objects.create(
        round=rnd, compound_id=rnd.compound_id, lodged_by=actor, reason=reason
    )
    audit_record(actor=actor, action="assessment.objection_lodge", obj=objection, compound=rnd.compound)
    notify(
        users=users_with_roles(rnd.compound, [Role.STREET_ADMIN]),
        kind="assessment.objection",
        compound=rnd.compound,
        title=_("The property company objects to the assessment of %(c)s for %(p)s")
        % {"c": rnd.compound.name, "p": rnd.label},
        body=reason,
        url=round_url(rnd),
    )
    return objection


@transaction.atomic(durable=True)
def objection_decide(*, objection: Objection, actor, uphold: bool, reason: str) -> Objection:
    """The street office upholds (the round is rescored as a new version with the
    reason; the scorers and survey answers carry over) or dismisses, with a reason."""
    objection = (
        Objection.objects.select_for_update()
        .select_related("round__compound__community")
        .get(pk=objection.pk)
    )
    rnd = _lock_round(objection.round)
    _require(
        actor,
        rnd.compound,
        Capability.DECIDE_ASSESSMENT_OBJECTION,
        _("The street office decides objections."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the decision.")})
    if objection.decision != ObjectionDecision.PENDING:
        raise ValidationError({"objection": _("This objection has already been decided.")})
    before = snapshot(objection, ["decision"])
    objection.decision = ObjectionDecision.UPHELD if uphold else ObjectionDecision.DISMISSED
    objection.decided_by = actor
    objection.decided_at = timezone.now()
    objection.decision_reason = reason
    objection.save(update_fields=["decision", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=actor, action="assessment.objection_decide", obj=objection, compound=rnd.compound, before=before
    )
    if uphold:
        rnd.status = RoundStatus.SUPERSEDED
        rnd.save(update_fields=["status"])
        version = (
            AssessmentRound.objects.filter(
                compound=rnd.compound, year=rnd.year, quarter=rnd.quarter
            ).aggregate(v=Max("version"))["v"]
            + 1
        )
        new = _round_create(
            compound=rnd.compound,
            year=rnd.year,
            quarter=rnd.quarter,
            template=rnd.template,
            policy=rnd.policy,
            company=rnd.company,
            actor=actor,
            version=version,
            supersedes=rnd,
            reason=reason,
        )
        _scorers_fix(new, rnd.scorers.values_list("user_id", "party", "role"))
        SurveyAnswer.objects.bulk_create(
            SurveyAnswer(
                round=new,
                compound_id=a.compound_id,
                unit_id=a.unit_id,
                answered_by_id=a.answered_by_id,
                rating=a.rating,
                comment=a.comment,
                answered_at=a.answered_at,
                updated_at=a.updated_at,
            )
            for a in rnd.survey_answers.all()
        )
        audit_record(actor=actor, action="assessment.rescore_open", obj=new, compound=rnd.compound)
        _notify_opened(new)
    notify(
        users=[objection.lodged_by],
        kind="assessment.objection_decided",
        compound=rnd.compound,
        title=_("Your objection to the assessment for %(p)s: %(d)s")
        % {"p": rnd.label, "d": objection.get_decision_display()},
        body=reason,
        url=round_url(rnd),
    )
    return objection


@transaction.atomic(durable=True)
def duty_check_record(
    *, compound: Compound, duty: Duty, actor, checked_on=None, ok: bool = True, note: str = ""
) -> DutyCheck:
    """Record that a duty of the compound's list was checked (evidence for the
    objective service data)."""
    _require(actor, compound, Capability.RECORD_DUTY_CHECK, _("You may not record duty checks here."))
    if duty is None or duty.compound_id != compound.pk:
        raise ValidationError({"duty": _("Choose a duty of this compound's list.")})
    checked_on = checked_on or timezone.localdate()
    if checked_on > timezone.localdate():
        raise ValidationError({"checked_on": _("A check cannot be in the future.")})
    check = DutyCheck.objects.create(
        compound=compound,
        duty=duty,
        checked_on=checked_on,
        checked_by=actor,
        ok=ok,
        note=(note or "").strip(),
    )
    audit_record(actor=actor, action="assessment.duty_check", obj=check, compound=compound)
    return check
