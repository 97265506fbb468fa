"""Every write of the street dashboard: refreshing rollups and flags, deciding a flag."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from common.errors import PermissionDeniedError
from common.periods import add_months, months_between
from communities.audit import audit_record, snapshot
from communities.models import Compound, StreetOffice
from street import flags as flag_rules
from street import rollups
from street.models import CompoundMonth, Flag, FlagStatus, StreetDashboard
from street.permissions import street_role

MAX_MONTHS = 60


def office_compounds(office: StreetOffice) -> list[Compound]:
    return list(
        Compound.objects.filter(community__street_office=office)
        .select_related("community", "escrow_account")
        .order_by("name", "pk")
    )


@transaction.atomic(durable=True)
def dashboard_ensure(*, street_office: StreetOffice, slug: str = "", actor=None) -> StreetDashboard:
    """The office's dashboard row (its URL slug), created once."""
    existing = StreetDashboard.objects.filter(street_office=street_office).first()
    if existing:
        return existing
    slug = slugify(slug) or f"office-{street_office.pk}"
    if StreetDashboard.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("This slug is already used by another street office.")})
    dashboard = StreetDashboard.objects.create(street_office=street_office, slug=slug)
    audit_record(actor=actor, action="street.dashboard_create", obj=dashboard, after=snapshot(dashboard))
    return dashboard


def _months(compounds: list[Compound], months: int | None, today: dt.date) -> list[dt.date]:
    current = today.replace(day=1)
    if months is None:
        first = min(rollups.history_start(compounds) or current, current)
        first = max(first, add_months(current, -(MAX_MONTHS - 1)))
    else:
        if not 1 <= int(months) <= MAX_MONTHS:
            raise ValidationError({"months": _("Between 1 and %(n)d months.") % {"n": MAX_MONTHS}})
        first = add_months(current, -(int(months) - 1))
    return months_between(first, current)


def rollups_refresh(street_office: StreetOffice, *, months: int | None = None, now=None, actor=None) -> int:
    """Recompute the office's rollups for the last ``months`` months (when None: every
    month since the source tables start, ``rollups.history_start``, at most 60 — the
    backfill). One short transaction per compound; the refresh time is stored on the
    dashboard. Returns the number of rows written."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    compounds = office_compounds(street_office)
    month_list = _months(compounds, months, today)
    written = 0
    for compound in compounds:
        figures = rollups.compute(compound, month_list, now=now)
        with transaction.atomic(durable=True):
            for f in figures:
                CompoundMonth.objects.update_or_create(
                    compound=compound, month=f.month, defaults={**f.values, "refreshed_at": now}
                )
                written += 1
    with transaction.atomic(durable=True):
        dashboard, _created = StreetDashboard.objects.get_or_create(
            street_office=street_office, defaults={"slug": f"office-{street_office.pk}"}
        )
        dashboard.rollups_refreshed_at = now
        dashboard.save(update_fields=["rollups_refreshed_at"])
        audit_record(
            actor=actor,
            action="street.rollups_refresh",
            obj=dashboard,
            after={"months": [m.isoformat() for m in (month_list[0], month_list[-1])], "rows": written},
        )
    return written


@transaction.atomic(durable=True)
def flags_refresh(street_office: StreetOffice, *, now=None, actor=None) -> list[Flag]:
    """Recompute the office's flags. A flag the data still raises keeps its decision;
    one it no longer raises becomes inactive; the same data gives the same flags."""
    now = now or timezone.now()
    compounds = office_compounds(street_office)
    findings = flag_rules.detect(compounds, now=now)
    existing = {f.key: f for f in Flag.objects.select_for_update().filter(street_office=street_office)}
    seen = set()
    for finding in findings:
        seen.add(finding.key)
        flag = existing.get(finding.key)
        if flag is None:
            flag = Flag.objects.create(
                street_office=street_office,
                compound_id=finding.compound_id,
                kind=finding.kind,
                key=finding.key,
                evidence=finding.evidence,
                raised_at=now,
                seen_at=now,
            )
            existing[finding.key] = flag
        else:
            flag.evidence, flag.active, flag.seen_at = finding.evidence, True, now
            flag.save(update_fields=["evidence", "active", "seen_at"])
    Flag.objects.filter(street_office=street_office, active=True).exclude(key__in=seen).update(active=False)
    dashboard, _created = StreetDashboard.objects.get_or_create(
        street_office=street_office, defaults={"slug": f"office-{street_office.pk}"}
    )
    dashboard.flags_refreshed_at = now
    dashboard.save(update_fields=["flags_refreshed_at"])
    audit_record(actor=actor, action="street.flags_refresh", obj=dashboard, after={"raised": sorted(seen)})
    return sorted((existing[k] for k in seen), key=lambda f: f.key)


@transaction.atomic(durable=True)
def flag_decide(*, flag_id: int, street_office: StreetOffice, decision: str, reason: str, actor) -> Flag:
    """Acknowledge or dismiss a flag, with a reason. Street admins of the office only."""
    if street_role(actor, street_office) != "admin":
        raise PermissionDeniedError(_("Only a street-office admin may acknowledge or dismiss a flag."))
    if decision not in (FlagStatus.ACKNOWLEDGED, FlagStatus.DISMISSED):
        raise ValidationError({"decision": _("Choose acknowledge or dismiss.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why: a reason is required.")})
    if len(reason) > 1000:
        raise ValidationError({"reason": _("At most 1,000 characters.")})
    flag = Flag.objects.select_for_update().filter(pk=flag_id, street_office=street_office).first()
    if flag is None:
        from common.errors import NotFoundError

        raise NotFoundError(_("No such flag."))
    before = snapshot(flag, ["status", "reason", "decided_by_id", "decided_at"])
    flag.status, flag.reason, flag.decided_by, flag.decided_at = decision, reason, actor, timezone.now()
    flag.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action=f"street.flag_{decision}",
        obj=flag,
        compound=flag.compound,
        before=before,
        after=snapshot(flag, ["status", "reason", "decided_by_id", "decided_at"]),
    )
    return flag


def history_missing(street_office: StreetOffice, *, today: dt.date | None = None) -> bool:
    """True when the office's rollups do not reach back to where its data starts (a new
    office, or one whose refreshes began after its pilots did): it needs a backfill."""
    today = today or timezone.localdate()
    compounds = office_compounds(street_office)
    months = _months(compounds, None, today)
    have = set(
        CompoundMonth.objects.filter(compound__in=compounds, month=months[0]).values_list(
            "compound_id", flat=True
        )
    )
    return any(c.pk not in have for c in compounds)


def refresh_all(*, months: int | None = 3, now=None) -> dict:
    """The beat job: every street office's rollups, then its flags. An office whose
    history is missing is backfilled from the start of its data first (once: afterwards
    its first month is there)."""
    out = {}
    today = timezone.localdate(now) if now else None
    for office in StreetOffice.objects.order_by("pk"):
        span = None if months is not None and history_missing(office, today=today) else months
        rows = rollups_refresh(office, months=span, now=now)
        raised = flags_refresh(office, now=now)
        out[office.pk] = {"rows": rows, "flags": len(raised)}
    return out
