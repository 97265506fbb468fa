"""The officials' actions on a disclosure — request, publish, correct (a new version), reopen the books — and the predicates the pages ask first (``*_refusal``, ``can_*``)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import notify
from common.errors import ApplicationError, PermissionDeniedError
from communities.audit import audit_record
from communities.models import Compound, Role
from communities.permissions import Capability, standing_in
from communities.selectors import users_with_roles
from escrow.ledger.services import lock_escrow_account
from escrow.models import (
    CORRECTION_REASON_MAX_CHARS,
    Disclosure,
    DisclosureStatus,
    EscrowAccount,
    JournalEntry,
)
from escrow.transparency.services.build import _queue_build, disclosure_ensure
from escrow.transparency.services.figures import DisclosureError, check_period
from escrow.transparency.services.notifications import _disclosure_list_url, _notify_members_published


def _official_refusal(actor, compound: Compound) -> ApplicationError | None:
    if not standing_in(actor, compound).can(Capability.PUBLISH_DISCLOSURE):
        return PermissionDeniedError(_("Only a community official or a street-office admin may do this."))
    return None


def _require(actor, compound: Compound) -> None:
    refusal = _official_refusal(actor, compound)
    if refusal is not None:
        raise refusal


def disclosure_publish_refusal(disclosure: Disclosure, actor) -> ApplicationError | None:
    """Publishing: an official; the newest version, built, from figures the books still
    agree with (not reopened and changed since). Publishing a published version is a no-op."""
    refusal = _official_refusal(actor, disclosure.compound)
    if refusal is not None:
        return refusal
    if Disclosure.objects.filter(supersedes=disclosure).exists():
        return DisclosureError(_("This version has been corrected; publish the newest version instead."))
    if disclosure.status == DisclosureStatus.PUBLISHED:
        return None
    if disclosure.status != DisclosureStatus.READY:
        return DisclosureError(_("This disclosure is still being built; publish it once it is ready."))
    escrow = EscrowAccount.objects.get(compound_id=disclosure.compound_id)
    moved = JournalEntry.objects.filter(
        compound_id=disclosure.compound_id,
        sequence__gt=disclosure.entry_count,
        effective_date__lte=disclosure.period_end,
    ).exists()
    if escrow.closed_through is None or escrow.closed_through < disclosure.period_end or moved:
        return DisclosureError(
            _(
                "The quarter was reopened after this version was built, so its figures may be out of date; "
                "issue a corrected version and publish that."
            )
        )
    return None


def disclosure_correct_refusal(disclosure: Disclosure, actor) -> ApplicationError | None:
    """Correcting: an official; the newest version, once built."""
    refusal = _official_refusal(actor, disclosure.compound)
    if refusal is not None:
        return refusal
    if Disclosure.objects.filter(supersedes=disclosure).exists():
        return DisclosureError(_("This version has already been corrected; correct the newest version."))
    if disclosure.status not in (DisclosureStatus.READY, DisclosureStatus.PUBLISHED):
        return DisclosureError(
            _("This disclosure is still being built; it can be corrected once it is ready.")
        )
    return None


def books_reopen_refusal(disclosure: Disclosure, actor) -> ApplicationError | None:
    """Reopening: an official; only the latest closed and disclosed quarter, never while
    a version of it is being built."""
    refusal = _official_refusal(actor, disclosure.compound)
    if refusal is not None:
        return refusal
    escrow = EscrowAccount.objects.get(compound_id=disclosure.compound_id)
    if Disclosure.objects.filter(
        compound_id=disclosure.compound_id,
        year=disclosure.year,
        quarter=disclosure.quarter,
        status__in=[DisclosureStatus.PENDING, DisclosureStatus.BUILDING],
    ).exists():
        return DisclosureError(_("A version of this quarter is being built; wait until it is ready."))
    if Disclosure.objects.filter(
        compound_id=disclosure.compound_id, period_start__gt=disclosure.period_end, figures__isnull=False
    ).exists():
        return DisclosureError(
            _("A later quarter has been disclosed; only the latest disclosed quarter can be reopened.")
        )
    if escrow.closed_through is None or escrow.closed_through < disclosure.period_start:
        return DisclosureError(_("This quarter is not closed; entries can already be dated in it."))
    if escrow.closed_through > disclosure.period_end:
        return DisclosureError(
            _(
                "A later quarter is closed too (books closed through %(d)s); only the latest closed quarter can be reopened."
            )
            % {"d": escrow.closed_through}
        )
    return None


def can_publish(disclosure: Disclosure, actor) -> bool:
    """Whether the version is ready and ``disclosure_publish_refusal`` has nothing against it."""
    return (
        disclosure.status == DisclosureStatus.READY and disclosure_publish_refusal(disclosure, actor) is None
    )


def can_correct(disclosure: Disclosure, actor) -> bool:
    """Whether ``disclosure_correct_refusal`` has nothing against it."""
    return disclosure_correct_refusal(disclosure, actor) is None


def can_reopen(disclosure: Disclosure, actor) -> bool:
    """Whether ``books_reopen_refusal`` has nothing against it."""
    return books_reopen_refusal(disclosure, actor) is None


@transaction.atomic(durable=True)
def disclosure_request(*, compound: Compound, year, quarter, actor) -> Disclosure:
    """An official asks for a past quarter's disclosure. The current version if one
    exists; otherwise a new pending one, built after commit."""
    _require(actor, compound)
    escrow = EscrowAccount.objects.filter(compound=compound).first()
    check_period(escrow, year, quarter)
    year, quarter = int(year), int(quarter)
    current = (
        Disclosure.objects.filter(compound=compound, year=year, quarter=quarter, superseded_by__isnull=True)
        .order_by("-version")
        .first()
    )
    if current is not None:
        return current
    disclosure, created = disclosure_ensure(compound=compound, year=year, quarter=quarter, actor=actor)
    if created:
        audit_record(actor=actor, action="disclosure.request", obj=disclosure, compound=compound)
        _queue_build(disclosure)
    return disclosure


def _locked(disclosure: Disclosure) -> Disclosure:
    return Disclosure.objects.select_for_update().select_related("compound").get(pk=disclosure.pk)


@transaction.atomic(durable=True)
def disclosure_publish(*, disclosure: Disclosure, actor) -> Disclosure:
    """Publish a ready disclosure (``disclosure_publish_refusal`` checked under the disclosure and
    escrow-account locks); members are told after commit; publishing it again changes nothing;
    audited."""
    _require(actor, disclosure.compound)
    disclosure = _locked(disclosure)
    if disclosure.status == DisclosureStatus.READY:
        # Same lock order as the build (disclosure, then the ledger lock).
        lock_escrow_account(disclosure.compound_id)
    refusal = disclosure_publish_refusal(disclosure, actor)
    if refusal is not None:
        raise refusal
    if disclosure.status == DisclosureStatus.PUBLISHED:
        return disclosure
    disclosure.status = DisclosureStatus.PUBLISHED
    disclosure.published_at = timezone.now()
    disclosure.published_by = actor
    disclosure.save(update_fields=["status", "published_at", "published_by"])
    audit_record(
        actor=actor,
        action="disclosure.publish",
        obj=disclosure,
        compound=disclosure.compound,
        after={"digest": disclosure.digest, "version": disclosure.version},
    )
    _notify_members_published(disclosure)
    return disclosure


@transaction.atomic(durable=True)
def disclosure_correct(*, disclosure: Disclosure, reason: str, actor) -> Disclosure:
    """Issue the next version of a built disclosure, with the reason; the old version
    stays visible, marked as superseded by this one."""
    _require(actor, disclosure.compound)
    reason = (reason or "").strip()
    if not reason:
        raise DisclosureError(
            _("reason: say what the correction changes and why."), extra={"fields": {"reason": []}}
        )
    if len(reason) > CORRECTION_REASON_MAX_CHARS:
        message = _("reason: at most %(n)s characters (it is published with the correction).") % {
            "n": CORRECTION_REASON_MAX_CHARS
        }
        raise DisclosureError(message, extra={"fields": {"reason": [message]}})
    disclosure = _locked(disclosure)
    refusal = disclosure_correct_refusal(disclosure, actor)
    if refusal is not None:
        raise refusal
    correction = Disclosure.objects.create(
        compound=disclosure.compound,
        year=disclosure.year,
        quarter=disclosure.quarter,
        version=disclosure.version + 1,
        period_start=disclosure.period_start,
        period_end=disclosure.period_end,
        supersedes=disclosure,
        correction_reason=reason,
        requested_by=actor,
    )
    audit_record(
        actor=actor,
        action="disclosure.correct",
        obj=correction,
        compound=disclosure.compound,
        after={"supersedes": disclosure.version, "reason": reason},
    )
    _queue_build(correction)
    return correction


@transaction.atomic(durable=True)
def books_reopen(*, disclosure: Disclosure, reason: str, actor) -> EscrowAccount:
    """Reopen a disclosed quarter so that correcting entries can be dated in it. Only the
    latest closed quarter can be reopened (a later quarter's opening balance would
    change under its own disclosure otherwise). The next build closes it again."""
    _require(actor, disclosure.compound)
    reason = (reason or "").strip()
    if not reason:
        raise DisclosureError(_("reason: say why the quarter is reopened."), extra={"fields": {"reason": []}})
    disclosure = _locked(disclosure)
    escrow = lock_escrow_account(disclosure.compound_id)
    refusal = books_reopen_refusal(disclosure, actor)
    if refusal is not None:
        raise refusal
    before = escrow.closed_through
    escrow.closed_through = disclosure.period_start - dt.timedelta(days=1)
    if escrow.closed_through < escrow.opened_on:
        escrow.closed_through = None
    escrow.save(update_fields=["closed_through"])
    audit_record(
        actor=actor,
        action="books.reopen",
        obj=escrow,
        compound=disclosure.compound,
        before={"closed_through": before.isoformat()},
        after={
            "closed_through": escrow.closed_through.isoformat() if escrow.closed_through else None,
            "reason": reason,
            "disclosure": disclosure.pk,
        },
    )
    notify(
        users=users_with_roles(disclosure.compound, [Role.STREET_ADMIN, Role.COMMITTEE_CHAIR]),
        kind="books.reopen",
        title=_("%(compound)s: %(y)s Q%(q)s reopened for corrections")
        % {"compound": disclosure.compound.name, "y": disclosure.year, "q": disclosure.quarter},
        body=reason,
        url=_disclosure_list_url(disclosure.compound),
        compound=disclosure.compound,
    )
    return escrow
