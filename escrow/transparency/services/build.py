"""Building a disclosure in steps that each commit, resumable after a kill: claim (a lease), freeze (close the books through the quarter's end under the escrow-account lock, then read the figures), render each file, ready. The beat jobs queue due builds, sweep abandoned ones and flag overdue quarters.

A disclosed quarter is closed: ``_freeze`` moves ``EscrowAccount.closed_through`` to the
quarter's end, and the ledger's posting service refuses any entry dated on or before it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.notifications import notify
from common.periods import previous_quarter, quarter_bounds
from communities.audit import audit_record
from communities.models import Compound, Role
from communities.selectors import users_with_roles
from escrow.ledger.services import lock_escrow_account
from escrow.models import (
    PUBLISH_WITHIN_DAYS,
    Disclosure,
    DisclosureFile,
    DisclosureFormat,
    DisclosureStatus,
    EscrowAccount,
)
from escrow.transparency import render as disclosure_render
from escrow.transparency.services.figures import disclosure_document, disclosure_figures, figures_digest
from escrow.transparency.services.notifications import (
    _disclosure_list_url,
    _notify_build_failing,
    _notify_officials_ready,
)

logger = logging.getLogger(__name__)


CLAIM_LEASE = dt.timedelta(minutes=10)

# The running build touches ``heartbeat_at`` every HEARTBEAT_EVERY; a build whose heartbeat
# is older than HEARTBEAT_STALE (its worker died) is taken over by the sweep (every 30 s),
# so a killed build resumes within a minute. The lease still ends a build that is alive
# but makes no progress.
HEARTBEAT_EVERY = dt.timedelta(seconds=5)
HEARTBEAT_STALE = dt.timedelta(seconds=20)


def heartbeat_every() -> float:
    return float(getattr(settings, "DISCLOSURE_HEARTBEAT_SECONDS", HEARTBEAT_EVERY.total_seconds()))


def heartbeat_stale() -> dt.timedelta:
    seconds = getattr(settings, "DISCLOSURE_HEARTBEAT_STALE_SECONDS", None)
    return dt.timedelta(seconds=seconds) if seconds is not None else HEARTBEAT_STALE


def _abandoned(now: dt.datetime) -> Q:
    """A build left behind: its heartbeat stopped, or it made no progress for the lease."""
    return Q(status=DisclosureStatus.BUILDING) & (
        Q(heartbeat_at__lt=now - heartbeat_stale()) | Q(claimed_at__lt=now - CLAIM_LEASE)
    )


# A build that keeps failing is reported after this many attempts and given up after MAX.
REPORT_AFTER_ATTEMPTS = 3


MAX_BUILD_ATTEMPTS = 10


# The order files are rendered in; the cheap ones first.
RENDER_ORDER = (DisclosureFormat.JSON, DisclosureFormat.CSV, DisclosureFormat.HTML, DisclosureFormat.PDF)


def disclosure_ensure(*, compound: Compound, year: int, quarter: int, actor=None) -> tuple[Disclosure, bool]:
    """The quarter's first version, created pending if missing (safe under races: the
    (compound, year, quarter, version) constraint decides)."""
    existing = Disclosure.objects.filter(compound=compound, year=year, quarter=quarter, version=1).first()
    if existing is not None:
        return existing, False
    start, end = quarter_bounds(year, quarter)
    try:
        with transaction.atomic():
            disclosure = Disclosure.objects.create(
                compound=compound,
                year=year,
                quarter=quarter,
                version=1,
                period_start=start,
                period_end=end,
                requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        return Disclosure.objects.get(compound=compound, year=year, quarter=quarter, version=1), False
    return disclosure, True


def _claim(disclosure_id: int, now: dt.datetime) -> int | None:
    """Take the build; the new ``attempts`` value is this run's token, None if busy or done."""
    with transaction.atomic():
        taken = Disclosure.objects.filter(
            Q(status=DisclosureStatus.PENDING) | _abandoned(now),
            pk=disclosure_id,
        ).update(
            status=DisclosureStatus.BUILDING, claimed_at=now, heartbeat_at=now, attempts=F("attempts") + 1
        )
        if not taken:
            return None
        return Disclosure.objects.values_list("attempts", flat=True).get(pk=disclosure_id)


class LostClaim(Exception):
    """Another run took the build over (this one was too slow); stop without writing."""


def _mine(disclosure_id: int, token: int):
    return Disclosure.objects.filter(pk=disclosure_id, attempts=token, status=DisclosureStatus.BUILDING)


def _freeze(disclosure_id: int, token: int) -> None:
    with transaction.atomic():
        disclosure = (
            _mine(disclosure_id, token)
            .select_for_update(of=("self",))
            .select_related("compound", "supersedes")
            .first()
        )
        if disclosure is None:
            raise LostClaim
        if disclosure.figures is not None:
            return
        # The compound's ledger lock: no posting runs between the closing and the reading.
        escrow = lock_escrow_account(disclosure.compound_id)
        if escrow.closed_through is None or escrow.closed_through < disclosure.period_end:
            before = escrow.closed_through
            escrow.closed_through = disclosure.period_end
            escrow.save(update_fields=["closed_through"])
            audit_record(
                actor=None,
                action="books.close",
                obj=escrow,
                compound=disclosure.compound,
                before={"closed_through": before.isoformat() if before else None},
                after={"closed_through": escrow.closed_through.isoformat(), "disclosure": disclosure.pk},
            )
        figures = disclosure_figures(
            disclosure.compound,
            disclosure.year,
            disclosure.quarter,
            version=disclosure.version,
            correction_reason=disclosure.correction_reason,
            supersedes_digest=disclosure.supersedes.digest if disclosure.supersedes else None,
            through=escrow.entry_count,
        )
        disclosure.figures = figures
        disclosure.digest = figures_digest(figures)
        disclosure.entry_count = escrow.entry_count
        disclosure.head_hash = escrow.head_hash
        disclosure.generated_at = timezone.now()
        disclosure.claimed_at = timezone.now()
        disclosure.save(
            update_fields=["figures", "digest", "entry_count", "head_hash", "generated_at", "claimed_at"]
        )
        audit_record(
            actor=None,
            action="disclosure.freeze",
            obj=disclosure,
            compound=disclosure.compound,
            after={
                "digest": disclosure.digest,
                "entry_count": escrow.entry_count,
                "head_hash": escrow.head_hash,
            },
        )


def render_file(document: dict, fmt: str) -> bytes:
    """One file of a disclosure, in the site's default language (Chinese)."""
    with translation.override(settings.LANGUAGE_CODE):
        if fmt == DisclosureFormat.JSON:
            return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8") + b"\n"
        if fmt == DisclosureFormat.CSV:
            return disclosure_render.render_csv(document)
        if fmt == DisclosureFormat.HTML:
            return disclosure_render.render_html(document)
        if fmt == DisclosureFormat.PDF:
            return disclosure_render.render_pdf(document)
    raise ValueError(fmt)


def _render_missing(disclosure_id: int, token: int, after_file=None) -> None:
    disclosure = Disclosure.objects.get(pk=disclosure_id)
    document = disclosure_document(disclosure)
    for fmt in RENDER_ORDER:
        if DisclosureFile.objects.filter(disclosure_id=disclosure_id, format=fmt).exists():
            continue
        content = render_file(document, fmt)
        with transaction.atomic():
            # Still ours? Then store the file and renew the lease in the same commit.
            if not _mine(disclosure_id, token).select_for_update().exists():
                raise LostClaim
            DisclosureFile.objects.create(
                disclosure_id=disclosure_id,
                format=fmt,
                content=content,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
            _mine(disclosure_id, token).update(claimed_at=timezone.now())
        if after_file is not None:
            after_file(fmt)


class _Heartbeat:
    """A daemon thread that touches the claimed build's ``heartbeat_at`` every few seconds
    (on its own database connection) until the build ends; it dies with the worker."""

    def __init__(self, disclosure_id: int, token: int):
        self.disclosure_id, self.token = disclosure_id, token
        self.every = heartbeat_every()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"disclosure-{disclosure_id}-heartbeat", daemon=True
        )

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    if not _mine(self.disclosure_id, self.token).update(heartbeat_at=timezone.now()):
                        return  # taken over or finished: nothing left to keep alive
                except Exception:  # a failed beat only risks an early takeover
                    logger.exception("disclosure %s: heartbeat failed", self.disclosure_id)
        finally:
            connections.close_all()  # this thread's connections only

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 10)


def disclosure_build(disclosure_id: int, *, after_file=None) -> Disclosure | None:
    """Run (or continue) the build of one disclosure; None if another run holds it or it
    is already built. ``after_file`` is a test hook called after each committed file."""
    token = _claim(disclosure_id, timezone.now())
    if token is None:
        return None
    with _Heartbeat(disclosure_id, token):
        return _build_claimed(disclosure_id, token, after_file)


def _build_claimed(disclosure_id: int, token: int, after_file) -> Disclosure | None:
    try:
        _freeze(disclosure_id, token)
        _render_missing(disclosure_id, token, after_file=after_file)
        with transaction.atomic():
            if not _mine(disclosure_id, token).update(status=DisclosureStatus.READY, last_error=""):
                raise LostClaim
    except LostClaim:
        logger.warning("disclosure %s: build taken over by a newer run", disclosure_id)
        return None
    except Exception as exc:
        # Leave it building with its claim: the sweep retries once the lease is over.
        error = f"{type(exc).__name__}: {exc}"[:2000]
        _mine(disclosure_id, token).update(last_error=error)
        if token == REPORT_AFTER_ATTEMPTS:
            _notify_build_failing(disclosure_id, error)
        raise
    disclosure = Disclosure.objects.select_related("compound").get(pk=disclosure_id)
    _notify_officials_ready(disclosure)
    return disclosure


# The build task (escrow/transparency/tasks.py) calls this module, so this module finds
# it by its name in Celery's registry (escrow/apps.py registers every task at start-up).
BUILD_TASK = "escrow.disclosure_build"


def _send_build(disclosure_id: int) -> None:
    current_app.tasks[BUILD_TASK].delay(disclosure_id)


def _queue_build(disclosure: Disclosure) -> None:
    transaction.on_commit(lambda: _send_build(disclosure.pk))


def disclosures_build_due(*, today: dt.date | None = None) -> list[int]:
    """Beat, the first day after each quarter: the previous quarter's disclosure for every
    compound whose escrow account was open by its end. Returns the ids queued."""
    today = today or timezone.localdate()
    year, quarter = previous_quarter(today)
    _start, end = quarter_bounds(year, quarter)
    queued = []
    for escrow in EscrowAccount.objects.filter(opened_on__lte=end).select_related("compound").order_by("pk"):
        disclosure, _created = disclosure_ensure(compound=escrow.compound, year=year, quarter=quarter)
        if disclosure.status in (DisclosureStatus.PENDING, DisclosureStatus.BUILDING):
            queued.append(disclosure.pk)
    for pk in queued:
        _send_build(pk)
    return queued


def disclosures_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Requeue builds that a killed worker left behind: pending for over a minute, or
    building with a stopped heartbeat (or a claim older than the lease)."""
    now = now or timezone.now()
    ids = list(
        Disclosure.objects.filter(
            Q(status=DisclosureStatus.PENDING, created_at__lt=now - dt.timedelta(minutes=1))
            | _abandoned(now),
            attempts__lt=MAX_BUILD_ATTEMPTS,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        _send_build(pk)
    return ids


def disclosures_flag_overdue(*, today: dt.date | None = None) -> list[int]:
    """Daily: a quarter ended more than 15 days ago whose disclosure is not published is
    flagged to the street office's admins (once per disclosure)."""
    today = today or timezone.localdate()
    year, quarter = previous_quarter(today)
    _start, end = quarter_bounds(year, quarter)
    flagged = []
    if (today - end).days <= PUBLISH_WITHIN_DAYS:
        return flagged
    for escrow in EscrowAccount.objects.filter(opened_on__lte=end).select_related("compound__community"):
        compound = escrow.compound
        published = Disclosure.objects.filter(
            compound=compound, year=year, quarter=quarter, status=DisclosureStatus.PUBLISHED
        ).exists()
        if published:
            continue
        disclosure, created = disclosure_ensure(compound=compound, year=year, quarter=quarter)
        if created:
            _queue_build(disclosure)
        with transaction.atomic():
            if not Disclosure.objects.filter(pk=disclosure.pk, overdue_flagged_at__isnull=True).update(
                overdue_flagged_at=timezone.now()
            ):
                continue
            notify(
                users=users_with_roles(compound, [Role.STREET_ADMIN]),
                kind="disclosure.overdue",
                title=_(
                    "%(compound)s: the %(y)s Q%(q)s disclosure is still not published %(days)s days after the quarter ended"
                )
                % {"compound": compound.name, "y": year, "q": quarter, "days": PUBLISH_WITHIN_DAYS},
                url=_disclosure_list_url(compound),
                compound=compound,
            )
            audit_record(actor=None, action="disclosure.overdue", obj=disclosure, compound=compound)
        flagged.append(disclosure.pk)
    return flagged
