"""Running a settlement in steps that each commit, resumable after a kill (modelled on the
disclosure build, escrow/transparency/services/build.py): claim (a conditional UPDATE and
a lease), compute (figures frozen), render each file, ready. The sweep requeues runs a
killed worker left behind; January's beat job runs the year before for every compound."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ConflictError, PermissionDeniedError
from communities.audit import audit_record
from communities.models import Compound, Role
from communities.permissions import standing_in
from escrow.ledger.services import mask_account_number
from escrow.models import EscrowAccount
from settlements import render
from settlements.figures import (
    SettlementError,
    field_error,
    figures_digest,
    settlement_figures,
    year_disclosures,
    year_scores,
)
from settlements.models import Settlement, SettlementFile, SettlementFormat, SettlementStatus
from settlements.notifications import notify_parties
from settlements.services.policy import policy_in_force

logger = logging.getLogger(__name__)

CLAIM_LEASE = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 10
RENDER_ORDER = (SettlementFormat.JSON, SettlementFormat.CSV, SettlementFormat.HTML, SettlementFormat.PDF)
BUILD_TASK = "settlements.settlement_build"


def _send_build(settlement_id: int) -> None:
    current_app.tasks[BUILD_TASK].delay(settlement_id)


def _clean_year(compound: Compound, year, today: dt.date) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise field_error("year", _("year: give a year.")) from None
    if year >= today.year:
        raise field_error(
            "year", _("year: %(y)s has not ended yet; only a past year is settled.") % {"y": year}
        )
    if not EscrowAccount.objects.filter(compound=compound).exists():
        raise field_error(
            "year", _("year: this compound has no escrow account, so there is nothing to settle.")
        )
    year_disclosures(compound, year)
    year_scores(compound, year)
    return year


def _create(*, compound: Compound, year: int, actor, payee_account: str = "") -> Settlement:
    if (
        Settlement.objects.filter(compound=compound, year=year)
        .exclude(status=SettlementStatus.SUPERSEDED)
        .exists()
    ):
        raise field_error(
            "year", _("year: %(y)s is already settled; a change is a correction with a reason.") % {"y": year}
        )
    masked = ""
    if payee_account:
        try:
            masked = mask_account_number(payee_account)
        except Exception:
            raise field_error(
                "payee_account", _("payee_account: a bank account number has at least 8 digits.")
            ) from None
    try:
        with transaction.atomic():
            settlement = Settlement.objects.create(
                compound=compound,
                year=year,
                policy=policy_in_force(compound.community.street_office),
                requested_by=actor if getattr(actor, "is_authenticated", False) else None,
                payee_account_masked=masked,
            )
    except IntegrityError:
        raise field_error("year", _("year: %(y)s is already settled.") % {"y": year}) from None
    audit_record(actor=actor, action="settlement.request", obj=settlement, compound=compound)
    transaction.on_commit(lambda: _send_build(settlement.pk))
    return settlement


@transaction.atomic(durable=True)
def settlement_request(*, compound: Compound, year, actor, payee_account: str = "") -> Settlement:
    """A community official asks for a past year's settlement (its four quarters published)."""
    if Role.COMMUNITY_OFFICIAL not in standing_in(actor, compound).roles:
        raise PermissionDeniedError(_("Only a community official runs a settlement."))
    year = _clean_year(compound, year, timezone.localdate())
    return _create(compound=compound, year=year, actor=actor, payee_account=payee_account)


@transaction.atomic(durable=True)
def settlement_correct(*, settlement: Settlement, actor, reason: str) -> Settlement:
    """A new version, computed again under the policy in force, with its reason. Only before
    anyone has confirmed: after the release, money has moved and a correction is a new payout."""
    if Role.COMMUNITY_OFFICIAL not in standing_in(actor, settlement.compound).roles:
        raise PermissionDeniedError(_("Only a community official corrects a settlement."))
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("reason: say why the settlement is corrected."))
    old = Settlement.objects.select_for_update().get(pk=settlement.pk)
    if old.status != SettlementStatus.READY or old.confirmations.exists():
        raise ConflictError(
            _("Only a settlement that is ready and not yet confirmed by anyone can be corrected.")
        )
    old.status = SettlementStatus.SUPERSEDED
    old.save(update_fields=["status"])
    new = Settlement.objects.create(
        compound=old.compound,
        year=old.year,
        version=old.version + 1,
        correction_reason=reason,
        supersedes=old,
        policy=policy_in_force(old.compound.community.street_office),
        requested_by=actor,
        payee_account_masked=old.payee_account_masked,
    )
    audit_record(
        actor=actor, action="settlement.correct", obj=new, compound=new.compound, after={"reason": reason}
    )
    transaction.on_commit(lambda: _send_build(new.pk))
    return new


# --------------------------------------------------------------------------- the run


class LostClaim(Exception):
    """Another run took the settlement over; stop without writing."""


def _claim(settlement_id: int, now: dt.datetime) -> int | None:
    stale = now - CLAIM_LEASE
    with transaction.atomic():
        taken = Settlement.objects.filter(
            Q(status=SettlementStatus.PENDING) | Q(status=SettlementStatus.BUILDING, claimed_at__lt=stale),
            pk=settlement_id,
        ).update(status=SettlementStatus.BUILDING, claimed_at=now, attempts=F("attempts") + 1)
        if not taken:
            return None
        return Settlement.objects.values_list("attempts", flat=True).get(pk=settlement_id)


def _mine(settlement_id: int, token: int):
    return Settlement.objects.filter(pk=settlement_id, attempts=token, status=SettlementStatus.BUILDING)


def _compute(settlement_id: int, token: int) -> None:
    with transaction.atomic():
        settlement = (
            _mine(settlement_id, token)
            .select_for_update(of=("self",))
            .select_related("compound__community__street_office", "supersedes", "policy")
            .first()
        )
        if settlement is None:
            raise LostClaim
        if settlement.figures is not None:
            return
        document = settlement_figures(
            settlement.compound,
            settlement.year,
            settlement.policy,
            version=settlement.version,
            correction_reason=settlement.correction_reason,
            supersedes_digest=settlement.supersedes.digest if settlement.supersedes else None,
        )
        settlement.figures = document
        settlement.digest = figures_digest(document)
        settlement.release_fen = document["figures"]["released"]
        settlement.kept_fen = document["figures"]["kept"]
        settlement.generated_at = settlement.claimed_at = timezone.now()
        settlement.save(
            update_fields=["figures", "digest", "release_fen", "kept_fen", "generated_at", "claimed_at"]
        )
        audit_record(
            actor=None,
            action="settlement.compute",
            obj=settlement,
            compound=settlement.compound,
            after={
                "digest": settlement.digest,
                "released": settlement.release_fen,
                "kept": settlement.kept_fen,
            },
        )


def _render_missing(settlement_id: int, token: int, after_file=None) -> None:
    settlement = Settlement.objects.get(pk=settlement_id)
    document = render.document_of(settlement)
    for fmt in RENDER_ORDER:
        if SettlementFile.objects.filter(settlement_id=settlement_id, format=fmt).exists():
            continue
        content = render.render_file(document, fmt)
        with transaction.atomic():
            if not _mine(settlement_id, token).select_for_update().exists():
                raise LostClaim
            SettlementFile.objects.create(
                settlement_id=settlement_id,
                format=fmt,
                content=content,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
            _mine(settlement_id, token).update(claimed_at=timezone.now())
        if after_file is not None:
            after_file(fmt)


def settlement_build(settlement_id: int, *, after_file=None) -> Settlement | None:
    """Run (or continue) one settlement; None if another run holds it or it is done.
    ``after_file`` is a test hook called after each committed file."""
    token = _claim(settlement_id, timezone.now())
    if token is None:
        return None
    try:
        _compute(settlement_id, token)
        _render_missing(settlement_id, token, after_file=after_file)
        with transaction.atomic():
            if not _mine(settlement_id, token).update(status=SettlementStatus.READY, last_error=""):
                raise LostClaim
            settlement = Settlement.objects.select_related("compound").get(pk=settlement_id)
            audit_record(actor=None, action="settlement.ready", obj=settlement, compound=settlement.compound)
            notify_parties(settlement, "ready")
    except LostClaim:
        logger.warning("settlement %s: taken over by a newer run", settlement_id)
        return None
    except SettlementError as exc:
        _mine(settlement_id, token).update(last_error=str(exc)[:2000], attempts=MAX_ATTEMPTS)
        raise
    except Exception as exc:
        _mine(settlement_id, token).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    return settlement


def settlements_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Requeue runs a killed worker left behind (pending over a minute, or a stale claim),
    and confirmed settlements whose release payout is not filed yet."""
    now = now or timezone.now()
    ids = list(
        Settlement.objects.filter(
            Q(status=SettlementStatus.PENDING, created_at__lt=now - dt.timedelta(minutes=1))
            | Q(status=SettlementStatus.BUILDING, claimed_at__lt=now - CLAIM_LEASE),
            attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        _send_build(pk)
    for pk in Settlement.objects.filter(status=SettlementStatus.CONFIRMED).values_list("pk", flat=True):
        current_app.tasks["settlements.settlement_release"].delay(pk)
    return ids


def settlements_run_january(*, today: dt.date | None = None) -> list[int]:
    """Beat, in January: the year before, for every compound whose four quarters are
    published and which has a score; others are skipped (an official runs them later)."""
    today = today or timezone.localdate()
    year = today.year - 1
    queued = []
    for escrow in EscrowAccount.objects.select_related("compound__community__street_office").order_by("pk"):
        compound = escrow.compound
        if Settlement.objects.filter(compound=compound, year=year).exists():
            continue
        try:
            with transaction.atomic():
                _clean_year(compound, year, today)
                settlement = _create(compound=compound, year=year, actor=None)
        except SettlementError:
            continue
        queued.append(settlement.pk)
    return queued
