"""Quarterly disclosures (季度公示): close the books, freeze the figures, render the
files, publish, correct. Format and rules: docs/disclosures.md.

The build is a sequence of steps, each its own transaction, so a worker killed at any
point leaves a state the next run continues from — never a duplicate:

1. **claim** — a conditional ``UPDATE`` takes the row (``pending``, or ``building``
   with a claim older than ``CLAIM_LEASE``) and bumps ``attempts``; that number is the
   claim token every later write of this run is conditional on, so a run whose lease
   was taken over stops instead of writing.
2. **freeze** — under the compound's ledger lock: close the books through the quarter's
   end (``EscrowAccount.closed_through``; posting refuses earlier dates from then on),
   record the chain head, compute the figures and their digest. Skipped if frozen.
3. **render** — each missing file (JSON, CSV, HTML, PDF) is rendered and committed with
   its SHA-256; files already there are kept (unique per disclosure and format).
4. **ready** — the row is marked ready; an official publishes it.

``disclosures_sweep`` (beat, every ten minutes) requeues rows left pending or with a
stale claim. The figures are a pure function of the closed journal, so building again
yields the same figures and digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import defaultdict

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.notifications import notify
from common.errors import ApplicationError, PermissionDeniedError
from common.periods import previous_quarter, quarter_bounds
from communities.audit import audit_record
from communities.models import Compound, Role, UnitOwnership
from communities.permissions import Capability, standing_in
from communities.selectors import users_with_roles
from escrow.fees.selectors import RateRow, collection_rates
from escrow.ledger.selectors import net_debit
from escrow.ledger.services import lock_escrow_account
from escrow.models import (
    PUBLISH_WITHIN_DAYS,
    AccountKind,
    Category,
    Disclosure,
    DisclosureFile,
    DisclosureFormat,
    DisclosureStatus,
    EscrowAccount,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    PayoutRequest,
    PayoutStatus,
)
from escrow.transparency import render as disclosure_render
from escrow.transparency.public_export import canonical_json, export_through

logger = logging.getLogger(__name__)

DISCLOSURE_FORMAT = "gongguan-disclosure/1"
CLAIM_LEASE = dt.timedelta(minutes=10)
# A build that keeps failing is reported after this many attempts and given up after MAX.
REPORT_AFTER_ATTEMPTS = 3
MAX_BUILD_ATTEMPTS = 10
# The order files are rendered in; the cheap ones first.
RENDER_ORDER = (DisclosureFormat.JSON, DisclosureFormat.CSV, DisclosureFormat.HTML, DisclosureFormat.PDF)


class DisclosureError(ApplicationError):
    """A disclosure action that cannot be done as asked."""


# --------------------------------------------------------------------------- periods


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def check_period(escrow: EscrowAccount | None, year, quarter, *, today: dt.date | None = None) -> None:
    """Refuse, naming the field, a quarter that cannot be disclosed (yet)."""
    today = today or timezone.localdate()
    try:
        year, quarter = int(year), int(quarter)
    except (TypeError, ValueError):
        raise DisclosureError(
            _("year, quarter: give a year and a quarter from 1 to 4."),
            extra={"fields": {"year": [], "quarter": []}},
        ) from None
    if not 1 <= quarter <= 4:
        raise DisclosureError(_("quarter: must be 1, 2, 3 or 4."), extra={"fields": {"quarter": []}})
    if not 2000 <= year <= 2100:
        raise DisclosureError(
            _("year: %(y)s is not a plausible year.") % {"y": year}, extra={"fields": {"year": []}}
        )
    if escrow is None:
        raise DisclosureError(_("This compound has no escrow account yet, so there is nothing to disclose."))
    _start, end = quarter_bounds(year, quarter)
    if end >= today:
        raise DisclosureError(
            _(
                "quarter: %(y)s Q%(q)s has not ended yet (it ends on %(end)s); it can be disclosed from the next day."
            )
            % {"y": year, "q": quarter, "end": end},
            extra={"fields": {"quarter": []}},
        )
    if end < escrow.opened_on:
        raise DisclosureError(
            _("quarter: %(y)s Q%(q)s ended before the escrow account opened on %(opened)s.")
            % {"y": year, "q": quarter, "opened": escrow.opened_on},
            extra={"fields": {"quarter": []}},
        )


# --------------------------------------------------------------------------- figures


def _rate(received: int, billed: int) -> str | None:
    """The collection rate as the billing pages show it (``RateRow.rate``), as text."""
    rate = RateRow(period=None, billed_fen=billed, received_fen=received).rate
    return None if rate is None else str(rate)


def disclosure_figures(
    compound: Compound,
    year: int,
    quarter: int,
    *,
    version: int = 1,
    correction_reason: str = "",
    supersedes_digest: str | None = None,
    through: int | None = None,
) -> dict:
    """The disclosure document without ``digest`` and ``generated_at``: a pure function
    of the journal up to entry ``through`` (the chain head when None) and of the
    billing and payout records. Definitions: docs/disclosures.md."""
    through, head_hash = export_through(compound, through)
    start, end = quarter_bounds(year, quarter)
    chart = list(
        LedgerAccount.objects.filter(compound=compound)
        .order_by("code")
        .values_list("pk", "code", "category", "kind")
    )
    cash_id = next(pk for pk, _c, category, _k in chart if category == Category.ESCROW_CASH)

    lines = JournalLine.objects.filter(compound=compound, entry__sequence__lte=through)
    opening = (
        lines.filter(account_id=cash_id, entry__effective_date__lt=start).aggregate(s=Sum(net_debit()))["s"]
        or 0
    )
    in_period = lines.filter(entry__effective_date__gte=start, entry__effective_date__lte=end)
    net = defaultdict(int)  # account id → debits − credits in the period
    for account_id, total in in_period.values_list("account_id").annotate(s=Sum(net_debit())).order_by():
        net[account_id] = total

    def rows(kinds, sign):
        return [
            {"code": code, "category": category, "amount": sign * net[pk]}
            for pk, code, category, kind in chart
            if kind in kinds
        ]

    income = rows({AccountKind.INCOME}, -1)
    expenses = rows({AccountKind.EXPENSE}, 1)
    other = rows({AccountKind.LIABILITY, AccountKind.EQUITY}, -1)
    closing = opening + net[cash_id]

    # Every (entry, expense account) of the period, with the payout it paid.
    expense_ids = {pk: code for pk, code, _cat, kind in chart if kind == AccountKind.EXPENSE}
    items: dict[tuple[int, str], dict] = {}
    for entry_id, seq, date, kind, account_id, amount in (
        in_period.filter(account_id__in=list(expense_ids))
        .annotate(signed=net_debit())
        .order_by("entry__sequence", "id")
        .values_list(
            "entry_id", "entry__sequence", "entry__effective_date", "entry__kind", "account_id", "signed"
        )
    ):
        key = (seq, expense_ids[account_id])
        if key not in items:
            items[key] = {
                "entry": seq,
                "date": date.isoformat(),
                "kind": kind,
                "code": expense_ids[account_id],
                "amount": 0,
                "payout": None,
                "_entry_id": entry_id,
            }
        items[key]["amount"] += amount
    payouts = {
        p.journal_entry_id: p
        for p in PayoutRequest.objects.filter(
            compound=compound, journal_entry_id__in={item["_entry_id"] for item in items.values()}
        )
    }

    expense_items = []
    for key in sorted(items):
        item = items[key]
        payout = payouts.get(item.pop("_entry_id"))
        if payout is not None:
            item["payout"] = {
                "request": payout.pk,
                "category": payout.category,
                "payee": payout.public_payee,
                "purpose": payout.purpose,
            }
        expense_items.append(item)

    table = collection_rates(compound, first=start, last=end)
    collection = {
        "billed": table.total.billed_fen,
        "received": table.total.received_fen,
        "rate": _rate(table.total.received_fen, table.total.billed_fen),
        "buildings": [
            {
                "building": building.name,
                "billed": sum(r.billed_fen for r in months),
                "received": sum(r.received_fen for r in months),
                "rate": _rate(sum(r.received_fen for r in months), sum(r.billed_fen for r in months)),
            }
            for building, months in table.buildings
        ],
    }

    # Holds open at the end of the quarter: submitted by then, not yet decided then.
    cutoff = _end_of_day(end)
    holds = list(
        PayoutRequest.objects.filter(compound=compound, submitted_at__lt=cutoff)
        .exclude(status=PayoutStatus.DRAFT)
        .filter(Q(decided_at__isnull=True) | Q(decided_at__gte=cutoff))
        # Paid by the quarter's end (recorded later): an expense of the quarter, not a hold.
        .exclude(status=PayoutStatus.PAID, payment_date__lte=end)
        .order_by("pk")
        .values_list("pk", "category", "amount_fen", "submitted_at")
    )
    open_holds = {
        "count": len(holds),
        "amount": sum(amount for _pk, _c, amount, _s in holds),
        "items": [
            {
                "request": pk,
                "category": category,
                "amount": amount,
                "submitted_on": timezone.localtime(submitted).date().isoformat(),
            }
            for pk, category, amount, submitted in holds
        ],
    }

    return {
        "format": DISCLOSURE_FORMAT,
        "compound": {"id": compound.pk, "slug": compound.slug, "name": compound.name},
        "period": {"year": year, "quarter": quarter, "start": start.isoformat(), "end": end.isoformat()},
        "version": version,
        "correction_reason": correction_reason,
        "supersedes_digest": supersedes_digest,
        "opening_balance": opening,
        "income": income,
        "income_total": sum(r["amount"] for r in income),
        "expenses": expenses,
        "expense_total": sum(r["amount"] for r in expenses),
        "other_movements": other,
        "other_total": sum(r["amount"] for r in other),
        "closing_balance": closing,
        "expense_items": expense_items,
        "collection": collection,
        "open_holds": open_holds,
        "entries_in_period": JournalEntry.objects.filter(
            compound=compound, sequence__lte=through, effective_date__gte=start, effective_date__lte=end
        ).count(),
        "chain": {"entry_count": through, "head_hash": head_hash},
    }


def figures_digest(figures: dict) -> str:
    """SHA-256 of the canonical JSON of the document without ``digest``/``generated_at``."""
    body = {k: v for k, v in figures.items() if k not in ("digest", "generated_at")}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def disclosure_document(disclosure: Disclosure) -> dict:
    """What the files render: the frozen figures with their digest and generation time."""
    return {
        **disclosure.figures,
        "digest": disclosure.digest,
        "generated_at": timezone.localtime(disclosure.generated_at).isoformat(timespec="seconds"),
    }


# --------------------------------------------------------------------------- build


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
    stale = now - CLAIM_LEASE
    with transaction.atomic():
        taken = Disclosure.objects.filter(
            Q(status=DisclosureStatus.PENDING) | Q(status=DisclosureStatus.BUILDING, claimed_at__lt=stale),
            pk=disclosure_id,
        ).update(status=DisclosureStatus.BUILDING, claimed_at=now, attempts=F("attempts") + 1)
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
    from django.conf import settings

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


def disclosure_build(disclosure_id: int, *, after_file=None) -> Disclosure | None:
    """Run (or continue) the build of one disclosure; None if another run holds it or it
    is already built. ``after_file`` is a test hook called after each committed file."""
    token = _claim(disclosure_id, timezone.now())
    if token is None:
        return None
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
    building with a claim older than the lease."""
    now = now or timezone.now()
    ids = list(
        Disclosure.objects.filter(
            Q(status=DisclosureStatus.PENDING, created_at__lt=now - dt.timedelta(minutes=1))
            | Q(status=DisclosureStatus.BUILDING, claimed_at__lt=now - CLAIM_LEASE),
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


# --------------------------------------------------------------------------- officials' actions


def _official_refusal(actor, compound: Compound) -> ApplicationError | None:
    if not standing_in(actor, compound).can(Capability.PUBLISH_DISCLOSURE):
        return PermissionDeniedError(_("Only a community official or a street-office admin may do this."))
    return None


def _require(actor, compound: Compound) -> None:
    refusal = _official_refusal(actor, compound)
    if refusal is not None:
        raise refusal


# Each ``*_refusal`` answers "why may ``actor`` not do this to ``disclosure`` now" (an
# error to raise or show) or None. Pages ask them to offer only what the service will
# accept; the services ask them again under the locks.


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
    return (
        disclosure.status == DisclosureStatus.READY and disclosure_publish_refusal(disclosure, actor) is None
    )


def can_correct(disclosure: Disclosure, actor) -> bool:
    return disclosure_correct_refusal(disclosure, actor) is None


def can_reopen(disclosure: Disclosure, actor) -> bool:
    return books_reopen_refusal(disclosure, actor) is None


def _disclosure_list_url(compound: Compound) -> str:
    return reverse("escrow:disclosure-list", kwargs={"slug": compound.slug})


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


# --------------------------------------------------------------------------- notifications


def _members_of(compound: Compound) -> list:
    from accounts.models import User

    today = timezone.localdate()
    owners = UnitOwnership.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today), compound=compound, start_date__lte=today
    ).values("user_id")
    people = {u.pk: u for u in User.objects.filter(pk__in=owners, is_active=True)}
    for user in users_with_roles(compound, [r for r in Role.values if r != Role.OWNER]):
        people[user.pk] = user
    return list(people.values())


def _notify_members_published(disclosure: Disclosure) -> None:
    compound = disclosure.compound
    notify(
        users=_members_of(compound),
        kind="disclosure.published",
        title=_("%(compound)s: the %(y)s Q%(q)s fund disclosure is published")
        % {"compound": compound.name, "y": disclosure.year, "q": disclosure.quarter},
        body=_(
            "Opening balance, income, expenses and closing balance of the escrow account, with every payout."
        ),
        url=_disclosure_list_url(compound),
        compound=compound,
    )


def _notify_officials_ready(disclosure: Disclosure) -> None:
    compound = disclosure.compound
    with transaction.atomic():
        notify(
            users=users_with_roles(compound, [Role.COMMUNITY_OFFICIAL, Role.STREET_ADMIN]),
            kind="disclosure.ready",
            title=_("%(compound)s: the %(y)s Q%(q)s disclosure is ready to publish")
            % {"compound": compound.name, "y": disclosure.year, "q": disclosure.quarter},
            url=_disclosure_list_url(compound),
            compound=compound,
        )


def _notify_build_failing(disclosure_id: int, error: str) -> None:
    disclosure = Disclosure.objects.select_related("compound").get(pk=disclosure_id)
    compound = disclosure.compound
    with transaction.atomic():
        notify(
            users=users_with_roles(compound, [Role.COMMUNITY_OFFICIAL, Role.STREET_ADMIN]),
            kind="disclosure.failing",
            title=_("%(compound)s: the %(y)s Q%(q)s disclosure keeps failing to build")
            % {"compound": compound.name, "y": disclosure.year, "q": disclosure.quarter},
            body=error,
            url=_disclosure_list_url(compound),
            compound=compound,
        )
