"""Repair and complaint requests (工单): every write, with its time limit, reminder and
escalation. Same rules as every service: keyword-only, explicit actor, durable
transaction, audit event inside it, ``ValidationError({field: …})`` for bad input.

    reported → accepted → in_progress → done → confirmed (rated 1–5)
                                          └──── reopen → reported (a new time limit)
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import notify
from common.errors import PermissionDeniedError
from communities.audit import audit_record, snapshot
from communities.models import Building, Compound, Membership, Party, Role, StewardAssignment, Unit, _active_q
from communities.permissions import Capability, standing_in
from communities.selectors import active_company, users_with_roles

from .models import (
    EvidencePhoto,
    RepairCategory,
    RepairEvent,
    RepairKind,
    RepairRequest,
    RepairStatus,
    Urgency,
)

# Hours to fix, by urgency (the street office's default; settings may override).
DEFAULT_TIME_LIMITS = {Urgency.URGENT: 24, Urgency.NORMAL: 72}
# The reminder goes out when this share of the time limit is left.
REMIND_WHEN_LEFT = 0.25
MAX_PHOTOS = 6


def time_limit(urgency: str) -> dt.timedelta:
    limits = {**DEFAULT_TIME_LIMITS, **getattr(settings, "REPAIR_TIME_LIMIT_HOURS", {})}
    return dt.timedelta(hours=limits[urgency])


def repair_url(request: RepairRequest) -> str:
    return reverse("assessments:repair-detail", kwargs={"slug": request.compound.slug, "pk": request.pk})


def repair_staff(compound: Compound) -> list:
    """The property staff who handle the compound's requests: the active company's
    people assigned to it and its company-wide managers."""
    from accounts.models import User

    company = active_company(compound)
    if company is None:
        return []
    ids = Membership.objects.filter(
        _active_q(),
        Q(compound=compound) | Q(compound__isnull=True),
        party=Party.COMPANY,
        company=company,
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _event(request, actor, action, note=""):
    RepairEvent.objects.create(
        request=request,
        compound_id=request.compound_id,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        note=note,
        at=timezone.now(),
    )


def _photos(request, actor, uploads, field="photos"):
    from common.attachments import read_checked

    uploads = list(uploads or [])
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError({field: _("At most %(n)s photos.") % {"n": MAX_PHOTOS}})
    for upload in uploads:
        stored, meta = read_checked(upload, field=field)
        if not meta["content_type"].startswith("image/"):
            raise ValidationError({field: _("Photos must be PNG or JPEG images.")})
        EvidencePhoto.objects.create(
            compound_id=request.compound_id, repair=request, file=stored, uploaded_by=actor, **meta
        )


@transaction.atomic(durable=True)
def repair_report(
    *,
    compound: Compound,
    actor,
    category: str,
    description: str,
    urgency: str = Urgency.NORMAL,
    kind: str = RepairKind.REPAIR,
    unit: Unit | None = None,
    building: Building | None = None,
    location: str = "",
    from_patrol: bool = False,
    photos=None,
) -> RepairRequest:
    """An owner reports for their own unit or a common area; a steward reports for the
    buildings they look after (a patrol finding is a request like any other)."""
    standing = standing_in(actor, compound)
    if not standing.can(Capability.REPORT_ISSUES):
        raise PermissionDeniedError(_("You may not report requests in this compound."))
    errors = {}
    if category not in RepairCategory.values:
        errors["category"] = _("Choose a category.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose urgent or normal.")
    if kind not in RepairKind.values:
        errors["kind"] = _("Choose repair or complaint.")
    description = (description or "").strip()
    if len(description) < 2:
        errors["description"] = _("Describe the problem in a few words.")
    location = (location or "").strip()[:100]
    if unit is not None and unit.compound_id != compound.pk:
        errors["unit"] = _("That unit is not in this compound.")
    if building is not None and building.compound_id != compound.pk:
        errors["building"] = _("That building is not in this compound.")
    if unit is None and not location:
        errors["location"] = _("Give your unit or the common area (e.g. 3栋 lift hall).")
    is_steward = Role.STEWARD in standing.roles
    if from_patrol and not is_steward:
        errors["from_patrol"] = _("Only stewards record patrol findings.")
    if is_steward and (from_patrol or building is not None):
        target = unit.building_id if unit is not None else (building.pk if building else None)
        assigned = StewardAssignment.objects.filter(
            compound=compound, membership__user=actor, membership__role=Role.STEWARD
        ).values_list("building_id", flat=True)
        if target is None or target not in set(assigned):
            errors["building"] = _("Stewards report for the buildings they look after.")
    if unit is not None and "unit" not in errors:
        owns = unit.ownerships.filter(_active_q(), user=actor).exists()
        if not owns and not (standing.roles - {Role.OWNER, Role.OWNER_REP}):
            errors["unit"] = _("You can report only for a unit you own, or for a common area.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    request = RepairRequest.objects.create(
        compound=compound,
        kind=kind,
        category=category,
        urgency=urgency,
        unit=unit,
        building=building or (unit.building if unit else None),
        location=location,
        description=description[:4000],
        from_patrol=from_patrol,
        reported_by=actor,
        reported_at=now,
        due_at=now + time_limit(urgency),
    )
    _photos(request, actor, photos)
    _event(request, actor, "reported", description[:200])
    audit_record(actor=actor, action="repair.report", obj=request, compound=compound)
    notify(
        users=repair_staff(compound),
        kind="repair.new",
        compound=compound,
        title=_("New %(u)s request #%(n)s: %(c)s")
        % {"u": request.get_urgency_display(), "n": request.pk, "c": request.get_category_display()},
        body=description[:500],
        url=repair_url(request),
    )
    return request


def _lock(request: RepairRequest) -> RepairRequest:
    return RepairRequest.objects.select_for_update().select_related("compound__community").get(pk=request.pk)


def _staff(actor, compound):
    standing = standing_in(actor, compound)
    if not standing.can(Capability.HANDLE_REPAIRS):
        raise PermissionDeniedError(_("Only the property company's staff handle requests."))
    return standing


def _move(request, actor, allowed_from, to, action, note=""):
    request = _lock(request)
    _staff(actor, request.compound)
    if request.status not in allowed_from:
        raise ValidationError(
            {
                "status": _("This request is “%(s)s”; that step is not possible now.")
                % {"s": request.get_status_display()}
            }
        )
    before = snapshot(request, ["status"])
    request.status = to
    fields = ["status"]
    if to == RepairStatus.ACCEPTED:
        request.accepted_by, request.accepted_at = actor, timezone.now()
        fields += ["accepted_by", "accepted_at"]
    if to == RepairStatus.DONE:
        request.done_at, request.done_note = timezone.now(), note
        fields += ["done_at", "done_note"]
    request.save(update_fields=fields)
    _event(request, actor, action, note)
    audit_record(
        actor=actor, action=f"repair.{action}", obj=request, compound=request.compound, before=before
    )
    return request


@transaction.atomic(durable=True)
def repair_accept(*, request: RepairRequest, actor) -> RepairRequest:
    return _move(request, actor, {RepairStatus.REPORTED}, RepairStatus.ACCEPTED, "accepted")


@transaction.atomic(durable=True)
def repair_start(*, request: RepairRequest, actor) -> RepairRequest:
    return _move(
        request, actor, {RepairStatus.REPORTED, RepairStatus.ACCEPTED}, RepairStatus.IN_PROGRESS, "started"
    )


@transaction.atomic(durable=True)
def repair_done(*, request: RepairRequest, actor, note: str = "", photos=None) -> RepairRequest:
    """Staff mark the request fixed; the reporter is asked to confirm and rate it."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what was done.")})
    request = _move(
        request,
        actor,
        {RepairStatus.REPORTED, RepairStatus.ACCEPTED, RepairStatus.IN_PROGRESS},
        RepairStatus.DONE,
        "done",
        note[:2000],
    )
    _photos(request, actor, photos)
    notify(
        users=[request.reported_by],
        kind="repair.done",
        compound=request.compound,
        title=_("Request #%(n)s is fixed: please confirm and rate it") % {"n": request.pk},
        body=note[:500],
        url=repair_url(request),
    )
    return request


def may_confirm(request: RepairRequest, actor) -> bool:
    """The reporter; an owner of the unit; for a common area, a steward of the compound."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if request.reported_by_id == actor.pk:
        return True
    if request.unit_id:
        return request.unit.ownerships.filter(_active_q(), user=actor).exists()
    return Role.STEWARD in standing_in(actor, request.compound).roles


@transaction.atomic(durable=True)
def repair_confirm(*, request: RepairRequest, actor, rating, comment: str = "") -> RepairRequest:
    """Confirm a fixed request and rate it 1–5."""
    request = _lock(request)
    if not may_confirm(request, actor):
        raise PermissionDeniedError(_("Only the reporter or an owner of the unit confirms a request."))
    try:
        rating = int(str(rating).strip())
    except (TypeError, ValueError):
        rating = 0
    if request.status != RepairStatus.DONE:
        raise ValidationError({"rating": _("Only a request marked fixed can be confirmed and rated.")})
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    before = snapshot(request, ["status", "rating"])
    request.status = RepairStatus.CONFIRMED
    request.confirmed_at = timezone.now()
    request.rating = rating
    request.rating_comment = (comment or "").strip()[:2000]
    request.save(update_fields=["status", "confirmed_at", "rating", "rating_comment"])
    _event(request, actor, "confirmed", f"{rating}★ {request.rating_comment}".strip())
    audit_record(actor=actor, action="repair.confirm", obj=request, compound=request.compound, before=before)
    return request


@transaction.atomic(durable=True)
def repair_reopen(*, request: RepairRequest, actor, reason: str) -> RepairRequest:
    """Not fixed after all: back to the staff with a new time limit (and a new reminder
    and escalation, each once)."""
    request = _lock(request)
    if not may_confirm(request, actor):
        raise PermissionDeniedError(_("Only the reporter or an owner of the unit reopens a request."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what is still wrong.")})
    if request.status != RepairStatus.DONE:
        raise ValidationError({"status": _("Only a request marked fixed can be reopened.")})
    before = snapshot(request, ["status", "due_at"])
    now = timezone.now()
    request.status = RepairStatus.REPORTED
    request.reopen_count += 1
    request.due_at = now + time_limit(request.urgency)
    request.reminded_at = None
    request.escalated_at = None
    request.save(update_fields=["status", "reopen_count", "due_at", "reminded_at", "escalated_at"])
    _event(request, actor, "reopened", reason[:2000])
    audit_record(actor=actor, action="repair.reopen", obj=request, compound=request.compound, before=before)
    notify(
        users=repair_staff(request.compound),
        kind="repair.reopened",
        compound=request.compound,
        title=_("Request #%(n)s was reopened: not fixed") % {"n": request.pk},
        body=reason[:500],
        url=repair_url(request),
    )
    return request


OPEN_STATUSES = [RepairStatus.REPORTED, RepairStatus.ACCEPTED, RepairStatus.IN_PROGRESS]


def repairs_remind(now: dt.datetime | None = None) -> dict[str, int]:
    """The beat job (every 15 minutes): remind the staff when a quarter of a request's
    time is left, and escalate to the community's officials and secretary once it is
    overdue — each exactly once per time limit. The row is claimed with a conditional
    UPDATE (… WHERE reminded_at IS NULL), so two workers never both send."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    candidates = RepairRequest.objects.filter(status__in=OPEN_STATUSES).filter(
        Q(reminded_at__isnull=True) | Q(escalated_at__isnull=True),
        due_at__lte=now + time_limit(Urgency.NORMAL),
    )
    for request in candidates.select_related("compound__community").order_by("pk"):
        left = request.due_at - now
        if request.escalated_at is None and left < dt.timedelta(0):
            with transaction.atomic(durable=True):
                if RepairRequest.objects.filter(
                    pk=request.pk, escalated_at__isnull=True, status__in=OPEN_STATUSES
                ).update(escalated_at=now, reminded_at=request.reminded_at or now):
                    _event(request, None, "escalated")
                    audit_record(actor=None, action="repair.escalate", obj=request, compound=request.compound)
                    notify(
                        users=users_with_roles(
                            request.compound, [Role.COMMUNITY_OFFICIAL, Role.COMMUNITY_SECRETARY]
                        ),
                        kind="repair.escalation",
                        compound=request.compound,
                        title=_("Request #%(n)s in %(c)s is overdue")
                        % {"n": request.pk, "c": request.compound.name},
                        body=request.description[:500],
                        url=repair_url(request),
                    )
                    counts["escalated"] += 1
        elif request.reminded_at is None and left <= time_limit(request.urgency) * REMIND_WHEN_LEFT:
            with transaction.atomic(durable=True):
                if RepairRequest.objects.filter(
                    pk=request.pk, reminded_at__isnull=True, status__in=OPEN_STATUSES
                ).update(reminded_at=now):
                    _event(request, None, "reminded")
                    audit_record(actor=None, action="repair.remind", obj=request, compound=request.compound)
                    notify(
                        users=repair_staff(request.compound),
                        kind="repair.reminder",
                        compound=request.compound,
                        title=_("Reminder: request #%(n)s is due at %(t)s")
                        % {
                            "n": request.pk,
                            "t": timezone.localtime(request.due_at).strftime("%Y-%m-%d %H:%M"),
                        },
                        url=repair_url(request),
                    )
                    counts["reminded"] += 1
    return counts
