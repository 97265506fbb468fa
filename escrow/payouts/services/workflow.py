"""The payout workflow (DESIGN.md §6): 物业申请 → 业委会审核 → 社区复核 → 联签支付.

Every transition locks the compound's escrow account row first and then the request
row, and re-reads the state under those locks — so under any number of concurrent
sign/pay calls exactly one transition happens (invariant 6), and submissions in one
compound cannot together exceed what is available (invariant 4). Segregation of
duties (invariant 7) is checked in ``_check_signer``; the database backs it with a
unique (request, signer) constraint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import notify
from accounts.stepup import STRONG_METHODS, SecondFactor
from common.errors import ApplicationError, ConflictError, PermissionDeniedError
from common.money import MAX_AMOUNT_FEN, format_yuan
from common.periods import add_months
from communities.audit import audit_record, snapshot
from communities.models import Compound, Membership, PropertyCompany, Role, _active_q
from communities.permissions import Capability, Standing, standing_in
from communities.selectors import active_company, users_with_roles
from escrow.errors import InsufficientFundsError, PeriodClosedError
from escrow.ledger.services import (
    cash_balance,
    credit,
    debit,
    ledger_post,
    lock_escrow_account,
    mask_account_number,
)
from escrow.models import (
    CATEGORY_EXPENSE_ACCOUNTS,
    HOLDING_STATUSES,
    AttachmentKind,
    BudgetLine,
    BudgetStatus,
    Category,
    Decision,
    EntryKind,
    NecessaryCostBudget,
    PayoutAttachment,
    PayoutCategory,
    PayoutPolicy,
    PayoutRequest,
    PayoutSignature,
    PayoutStatus,
    SignatureStep,
)
from escrow.payouts.attachments import read_checked

STEP_UP_WINDOW = dt.timedelta(minutes=5)
REMIND_AFTER = dt.timedelta(days=3)
ESCALATE_AFTER = dt.timedelta(days=7)


class PayoutError(ApplicationError):
    """A refused payout action (bad input or a state that does not allow it)."""


class SegregationError(PermissionDeniedError):
    """The person may not sign this request (applicant, second signature, payee company)."""


class StepUpRequiredError(PermissionDeniedError):
    """Signing needs a second factor (TOTP or WebAuthn) passed within the last five minutes."""


def _field_error(field: str, message: str, cls=PayoutError) -> ApplicationError:
    return cls(message, extra={"fields": {field: [message]}})


# --------------------------------------------------------------------------- availability


@dataclass(frozen=True)
class Availability:
    cash: int
    holds: int
    reserve: int

    @property
    def available(self) -> int:
        """What a payout may use: cash − open holds − the protected reserve."""
        return self.cash - self.holds - self.reserve

    @property
    def available_for_necessary_costs(self) -> int:
        """Necessary monthly costs may use the reserve (it exists for them)."""
        return self.cash - self.holds


def reserve_fen(compound: Compound, *, on: dt.date | None = None) -> int:
    """Next month's budgeted necessary costs (the approved budget of that month's year)."""
    month = add_months(on or timezone.localdate(), 1)
    total = (
        BudgetLine.objects.filter(
            budget__compound=compound, budget__year=month.year, budget__status=BudgetStatus.APPROVED
        ).aggregate(s=Sum("monthly_amount_fen"))["s"]
        or 0
    )
    return total


def payout_availability(compound: Compound, *, exclude: PayoutRequest | None = None) -> Availability:
    """Cash, open holds and reserve of a compound. Exact only under the compound lock."""
    holds = PayoutRequest.objects.filter(compound=compound, status__in=HOLDING_STATUSES)
    if exclude is not None:
        holds = holds.exclude(pk=exclude.pk)
    return Availability(
        cash=cash_balance(compound),
        holds=holds.aggregate(s=Sum("amount_fen"))["s"] or 0,
        reserve=reserve_fen(compound),
    )


def payout_policy(compound: Compound) -> PayoutPolicy:
    """The compound's payout settings: its stored row, or the defaults (DESIGN.md §6)
    unsaved — a read never writes, so a page can call it on GET."""
    return PayoutPolicy.objects.filter(compound=compound).first() or PayoutPolicy(compound=compound)


def _approvals_needed(policy: PayoutPolicy, step: str) -> int:
    return policy.committee_approvals if step == SignatureStep.REVIEW else policy.community_approvals


@dataclass(frozen=True)
class Progress:
    """How far a request's signatures have come: approvals given and needed per step."""

    review_done: int
    review_needed: int
    recheck_done: int
    recheck_needed: int


def payout_progress(payout: PayoutRequest, policy: PayoutPolicy | None = None) -> Progress:
    """Approvals so far against the policy (reads ``payout.signatures``; prefetch it)."""
    policy = policy or payout_policy(payout.compound)
    done = {SignatureStep.REVIEW: 0, SignatureStep.RECHECK: 0}
    for signature in payout.signatures.all():
        if signature.decision == Decision.APPROVE:
            done[signature.step] += 1
    return Progress(
        review_done=done[SignatureStep.REVIEW],
        review_needed=_approvals_needed(policy, SignatureStep.REVIEW),
        recheck_done=done[SignatureStep.RECHECK],
        recheck_needed=_approvals_needed(policy, SignatureStep.RECHECK),
    )


# --------------------------------------------------------------------------- content hash


def payout_content_hash(payout: PayoutRequest) -> str:
    """What every signature binds: amount, payee, category and the attachments' hashes."""
    body = {
        "compound": payout.compound_id,
        "request": payout.pk,
        "category": payout.category,
        "expense_account": payout.expense_account,
        "payee_name": payout.payee_name,
        "payee_account": payout.payee_account_masked,
        "payee_company": payout.payee_company_id,
        "amount_fen": payout.amount_fen,
        "purpose": payout.purpose,
        "resolution": [
            payout.resolution_number,
            payout.resolution_date.isoformat() if payout.resolution_date else None,
        ],
        "attachments": sorted(payout.attachments.values_list("sha256", flat=True)),
    }
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()


def budget_content_hash(budget: NecessaryCostBudget) -> str:
    body = {
        "compound": budget.compound_id,
        "budget": budget.pk,
        "year": budget.year,
        "lines": sorted(
            [
                line.expense_account,
                line.payee_name,
                line.payee_account_masked,
                line.payee_company_id or 0,
                line.monthly_amount_fen,
            ]
            for line in budget.lines.all()
        ),
    }
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()


# --------------------------------------------------------------------------- filing


def _clean_amount(amount_fen) -> int:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise _field_error("amount", _("amount: give the amount in whole fen."))
    if amount_fen <= 0:
        raise _field_error("amount", _("amount: the amount must be greater than zero."))
    if amount_fen > MAX_AMOUNT_FEN:
        raise _field_error("amount", _("amount: above the ceiling for one payout."))
    return amount_fen


@transaction.atomic(durable=True)
def payout_create(
    *,
    compound: Compound,
    actor,
    category: str,
    expense_account: str,
    payee_name: str,
    payee_account: str,
    amount_fen: int,
    purpose: str,
    payee_company: PropertyCompany | None = None,
    resolution_number: str = "",
    resolution_date: dt.date | None = None,
) -> PayoutRequest:
    """File a draft request (property staff). Nothing is held until it is submitted."""
    return _create(
        compound=compound,
        actor=actor,
        category=category,
        expense_account=expense_account,
        payee_name=payee_name,
        payee_account=payee_account,
        amount_fen=amount_fen,
        purpose=purpose,
        payee_company=payee_company,
        resolution_number=resolution_number,
        resolution_date=resolution_date,
    )


@transaction.atomic(durable=True)
def payout_file(
    *,
    compound: Compound,
    actor,
    attachments: list[tuple[str, object]] = (),
    submit: bool = False,
    **fields,
) -> PayoutRequest:
    """File a request in one go — the draft, its evidence (``[(kind, upload), …]``) and,
    if asked, its submission — all or nothing: a refused file or a refused submission
    (no invoice, above what is available…) leaves no draft, row or stored file behind.
    Errors about a file name the attachment kind as the field."""
    payout = _create(compound=compound, actor=actor, **fields)
    stored: list[PayoutAttachment] = []
    try:
        payout = _lock(payout)
        for kind, upload in attachments:
            stored.append(_attach(payout, actor=actor, upload=upload, kind=kind, field=kind))
        if submit:
            payout = _submit(payout, actor=actor)
    except BaseException:
        # The rows roll back with the transaction; the files on disk do not.
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return payout


def _create(*, compound: Compound, actor, **fields) -> PayoutRequest:
    standing = standing_in(actor, compound)
    if not standing.can(Capability.APPLY_PAYOUT):
        raise PermissionDeniedError(_("Only property staff of this compound file payout requests."))
    payout = PayoutRequest(compound=compound, applicant=actor)
    known = {
        "category",
        "expense_account",
        "payee_name",
        "payee_account",
        "amount_fen",
        "purpose",
        "payee_company",
        "resolution_number",
        "resolution_date",
    }
    unknown = set(fields) - known
    if unknown:
        raise PayoutError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    values = dict.fromkeys(known, None) | fields
    if values["payee_account"] is None:
        values["payee_account"] = ""
    _apply_fields(payout, **values)
    payout.save()
    audit_record(actor=actor, action="payout.create", obj=payout, compound=compound)
    return payout


def _apply_fields(payout: PayoutRequest, **fields) -> None:
    category = fields["category"]
    if category not in PayoutCategory.values:
        raise _field_error("category", _("category: “%(c)s” is not a payout category.") % {"c": category})
    expense_account = fields["expense_account"] or CATEGORY_EXPENSE_ACCOUNTS[category][0]
    if expense_account not in CATEGORY_EXPENSE_ACCOUNTS[category]:
        raise _field_error(
            "expense_account", _("expense_account: not an account of the category “%(c)s”.") % {"c": category}
        )
    payee_name = (fields["payee_name"] or "").strip()
    if not payee_name:
        raise _field_error("payee_name", _("payee_name: name the payee."))
    purpose = (fields["purpose"] or "").strip()
    if not purpose:
        raise _field_error("purpose", _("purpose: say what the money is for."))
    payee_company = fields["payee_company"]
    if category == PayoutCategory.SETTLEMENT_RELEASE:
        # The settlement release always goes to the compound's own property company.
        payee_company = active_company(payout.compound)
        if payee_company is None:
            raise _field_error(
                "category", _("category: this compound has no property company to release to.")
            )
    resolution_date = fields["resolution_date"]
    if resolution_date and resolution_date > timezone.localdate():
        raise _field_error("resolution_date", _("resolution_date: the date is in the future."))
    payee_account = fields["payee_account"]
    if payee_account is None:  # an update that does not name a new account keeps the stored one
        payee_account = payout.payee_account_masked
    try:
        payee_account = mask_account_number(payee_account)
    except ApplicationError:
        raise _field_error(
            "payee_account", _("payee_account: a bank account number has at least 8 digits.")
        ) from None
    payout.category = category
    payout.expense_account = expense_account
    payout.payee_name = payee_name[:100]
    payout.payee_account_masked = payee_account
    payout.payee_company = payee_company
    payout.amount_fen = _clean_amount(fields["amount_fen"])
    payout.purpose = purpose
    payout.resolution_number = (fields["resolution_number"] or "").strip()[:60]
    payout.resolution_date = resolution_date


# --------------------------------------------------------------------------- what a person may do now
# Each answers "why may ``actor`` not do this to ``payout`` now" (an error to raise or
# show) or None. Pages and the API ask them to offer only what the service will accept;
# the services ask them again under the lock.


def payout_edit_refusal(payout: PayoutRequest, actor) -> ApplicationError | None:
    """Changing a draft or adding evidence to it: the applicant, while it is a draft."""
    if payout.applicant_id != actor.pk:
        return PermissionDeniedError(_("Only the applicant changes a draft."))
    if payout.status != PayoutStatus.DRAFT:
        return ConflictError(_("Only drafts can be changed; withdraw and file a new request."))
    return None


def payout_withdraw_refusal(payout: PayoutRequest, actor) -> ApplicationError | None:
    """Withdrawing: the applicant, before the request is decided and before anyone signed."""
    if payout.applicant_id != actor.pk:
        return PermissionDeniedError(_("Only the applicant withdraws a request."))
    if payout.status not in (PayoutStatus.DRAFT, PayoutStatus.SUBMITTED):
        return ConflictError(_("This request can no longer be withdrawn."))
    if payout.signatures.exists():
        return ConflictError(_("Someone has already signed this request; it can no longer be withdrawn."))
    return None


def payout_payment_refusal(payout: PayoutRequest, actor) -> ApplicationError | None:
    """Recording the transfer: a rechecked request, by the chair or a community official
    who is not a person of the payee or the property company."""
    if payout.status == PayoutStatus.PAID:
        return ConflictError(
            _("This request has already been paid (bank reference %(r)s).") % {"r": payout.bank_reference}
        )
    if payout.status != PayoutStatus.RECHECKED:
        return ConflictError(_("A request is paid only after the community's recheck."))
    standing = standing_in(actor, payout.compound)
    if not standing.can(Capability.RECORD_PAYOUT_PAYMENT):
        return PermissionDeniedError(_("Only the committee chair or a community official records a payment."))
    if standing.company_ids & _forbidden_companies(payout):
        return SegregationError(_("People of the payee or property company do not record payouts."))
    return None


def can_edit(payout: PayoutRequest, actor) -> bool:
    return payout_edit_refusal(payout, actor) is None


def can_withdraw(payout: PayoutRequest, actor) -> bool:
    return payout_withdraw_refusal(payout, actor) is None


def can_sign(payout: PayoutRequest, actor) -> bool:
    return payout.status in SIGNABLE_STATUSES and payout_signing_refusal(payout, actor) is None


def can_pay(payout: PayoutRequest, actor) -> bool:
    return payout_payment_refusal(payout, actor) is None


def _raise_if(refusal: ApplicationError | None) -> None:
    if refusal is not None:
        raise refusal


def _lock(payout: PayoutRequest) -> PayoutRequest:
    """Compound lock first, then the request row: the order every payout service uses."""
    lock_escrow_account(payout.compound_id)
    return (
        PayoutRequest.objects.select_for_update()
        .select_related("compound", "compound__community")
        .get(pk=payout.pk)
    )


@transaction.atomic(durable=True)
def payout_update(*, payout: PayoutRequest, actor, **fields) -> PayoutRequest:
    """Change a draft (the applicant only). After submission a request never changes:
    withdraw it and file a new one."""
    payout = _lock(payout)
    _raise_if(payout_edit_refusal(payout, actor))
    before = snapshot(payout)
    current = {
        "category": payout.category,
        "expense_account": payout.expense_account,
        "payee_name": payout.payee_name,
        "payee_account": payout.payee_account_masked,
        "amount_fen": payout.amount_fen,
        "purpose": payout.purpose,
        "payee_company": payout.payee_company,
        "resolution_number": payout.resolution_number,
        "resolution_date": payout.resolution_date,
    }
    unknown = set(fields) - set(current)
    if unknown:
        raise PayoutError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    current["payee_account"] = None  # None keeps the stored (masked) account unless a new one is given
    if "category" in fields and "expense_account" not in fields:
        current["expense_account"] = ""  # the new category's default account
    current.update(fields)
    _apply_fields(payout, **current)
    payout.save()
    audit_record(actor=actor, action="payout.update", obj=payout, compound=payout.compound, before=before)
    return payout


@transaction.atomic(durable=True)
def payout_attachment_add(*, payout: PayoutRequest, actor, upload, kind: str) -> PayoutAttachment:
    """Attach an invoice, quote, contract or the meeting minutes to a draft."""
    payout = _lock(payout)
    return _attach(payout, actor=actor, upload=upload, kind=kind)


def _attach(payout: PayoutRequest, *, actor, upload, kind: str, field: str = "file") -> PayoutAttachment:
    if payout.applicant_id != actor.pk:
        raise PermissionDeniedError(_("Only the applicant adds evidence to a request."))
    if payout.status != PayoutStatus.DRAFT:
        raise ConflictError(_("Evidence can only be added to a draft."))
    if kind not in AttachmentKind.values:
        raise _field_error("kind", _("kind: “%(k)s” is not an attachment kind.") % {"k": kind})
    stored, meta = read_checked(upload, field=field)
    attachment = PayoutAttachment(
        compound=payout.compound, request=payout, kind=kind, uploaded_by=actor, **meta
    )
    attachment.file.save(stored.name, stored, save=False)
    attachment.save()
    audit_record(actor=actor, action="payout.attach", obj=attachment, compound=payout.compound)
    return attachment


# --------------------------------------------------------------------------- submit / withdraw


@transaction.atomic(durable=True)
def payout_submit(*, payout: PayoutRequest, actor) -> PayoutRequest:
    """Submit a draft: checks evidence, the resolution rule and availability, then holds
    the amount under the compound lock and asks the committee to review."""
    return _submit(_lock(payout), actor=actor)


def _submit(payout: PayoutRequest, *, actor) -> PayoutRequest:
    if payout.applicant_id != actor.pk:
        raise PermissionDeniedError(_("Only the applicant submits a request."))
    if payout.status != PayoutStatus.DRAFT:
        raise ConflictError(_("This request has already been submitted."))
    if not standing_in(actor, payout.compound).can(Capability.APPLY_PAYOUT):
        raise PermissionDeniedError(_("Only property staff of this compound file payout requests."))
    kinds = set(payout.attachments.values_list("kind", flat=True))
    if payout.category in (
        PayoutCategory.NECESSARY_COST,
        PayoutCategory.REPAIR,
        PayoutCategory.SPECIAL_PROJECT,
    ):
        if AttachmentKind.INVOICE not in kinds:
            raise _field_error("attachments", _("attachments: attach the invoice (发票) before submitting."))
    elif not kinds:
        raise _field_error("attachments", _("attachments: attach the supporting document before submitting."))
    policy = payout_policy(payout.compound)
    if payout.amount_fen >= policy.resolution_threshold_fen:
        missing = []
        if not payout.resolution_number:
            missing.append("resolution_number")
        if not payout.resolution_date:
            missing.append("resolution_date")
        if AttachmentKind.MINUTES not in kinds:
            missing.append("minutes")
        if missing:
            message = _(
                "From %(t)s a payout needs the meeting resolution that approved it (number, date and minutes)."
            ) % {"t": format_yuan(policy.resolution_threshold_fen)}
            raise PayoutError(message, extra={"fields": {name: [message] for name in missing}})
    availability = payout_availability(payout.compound, exclude=payout)
    room = (
        availability.available_for_necessary_costs
        if payout.category == PayoutCategory.NECESSARY_COST
        else availability.available
    )
    if payout.amount_fen > room:
        raise InsufficientFundsError(
            _(
                "amount: %(a)s is more than is available (%(room)s: cash %(cash)s − held %(holds)s − reserve %(res)s)."
            )
            % {
                "a": format_yuan(payout.amount_fen),
                "room": format_yuan(max(room, 0)),
                "cash": format_yuan(availability.cash),
                "holds": format_yuan(availability.holds),
                "res": format_yuan(
                    0 if payout.category == PayoutCategory.NECESSARY_COST else availability.reserve
                ),
            },
            extra={"fields": {"amount": [_("More than is available.")]}, "available_fen": room},
        )
    now = timezone.now()
    payout.content_hash = payout_content_hash(payout)
    payout.status = PayoutStatus.SUBMITTED
    payout.submitted_at = payout.waiting_since = now
    payout.save(update_fields=["content_hash", "status", "submitted_at", "waiting_since", "updated_at"])
    audit_record(
        actor=actor,
        action="payout.submit",
        obj=payout,
        compound=payout.compound,
        after={"status": payout.status, "amount_fen": payout.amount_fen, "content_hash": payout.content_hash},
    )
    _notify_next_signers(payout)
    return payout


@transaction.atomic(durable=True)
def payout_withdraw(*, payout: PayoutRequest, actor, reason: str = "") -> PayoutRequest:
    """The applicant takes a request back before anyone has signed it; the hold is released."""
    payout = _lock(payout)
    _raise_if(payout_withdraw_refusal(payout, actor))
    before = {"status": payout.status}
    payout.status = PayoutStatus.WITHDRAWN
    payout.decided_at = timezone.now()
    payout.rejection_reason = (reason or "").strip()
    payout.save(update_fields=["status", "decided_at", "rejection_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="payout.withdraw",
        obj=payout,
        compound=payout.compound,
        before=before,
        after={"status": payout.status, "reason": payout.rejection_reason},
    )
    return payout


# --------------------------------------------------------------------------- signing


def _step_for(status: str) -> str | None:
    return {
        PayoutStatus.SUBMITTED: SignatureStep.REVIEW,
        PayoutStatus.REVIEWED: SignatureStep.RECHECK,
        BudgetStatus.SUBMITTED: SignatureStep.REVIEW,
        BudgetStatus.REVIEWED: SignatureStep.RECHECK,
    }.get(status)


# The step each state of a request waits for.
SIGNABLE_STATUSES = {
    PayoutStatus.SUBMITTED: SignatureStep.REVIEW,
    PayoutStatus.REVIEWED: SignatureStep.RECHECK,
}

STEP_CAPABILITY = {
    SignatureStep.REVIEW: Capability.REVIEW_PAYOUT,
    SignatureStep.RECHECK: Capability.RECHECK_PAYOUT,
}
STEP_ROLES = {
    SignatureStep.REVIEW: (Role.COMMITTEE_CHAIR, Role.COMMITTEE_MEMBER),
    SignatureStep.RECHECK: (Role.COMMUNITY_OFFICIAL,),
}


def check_second_factor(second_factor: SecondFactor | None) -> SecondFactor:
    if second_factor is None or second_factor.method not in STRONG_METHODS:
        raise StepUpRequiredError(
            _(
                "Signing needs your authenticator code (TOTP or security key; not a recovery code or password)."
            ),
            extra={"step_up": True},
        )
    age = timezone.now() - second_factor.at
    if age > STEP_UP_WINDOW or age < -dt.timedelta(seconds=30):
        raise StepUpRequiredError(
            _("Your second factor was checked more than 5 minutes ago; confirm it again to sign."),
            extra={"step_up": True},
        )
    return second_factor


def _forbidden_companies(subject) -> set[int]:
    """People of these companies never sign: the payee company, and the compound's own
    property company (the applicant side of the scheme)."""
    ids = set()
    if getattr(subject, "payee_company_id", None):
        ids.add(subject.payee_company_id)
    if isinstance(subject, NecessaryCostBudget):
        ids |= {line.payee_company_id for line in subject.lines.all() if line.payee_company_id}
    company = active_company(subject.compound)
    if company:
        ids.add(company.pk)
    return ids


def _check_signer(subject, actor, standing: Standing, step: str, second_factor) -> tuple[str, SecondFactor]:
    """Segregation of duties, then step-up. Returns the role the signature is made in."""
    role = _check_segregation(subject, actor, standing, step)
    proof = check_second_factor(second_factor)
    return role, proof


def payout_signing_refusal(payout: PayoutRequest, actor) -> ApplicationError | None:
    """Why ``actor`` may not sign ``payout`` now — its state or segregation of duties —
    or None. Pages ask this before sending someone through the second-factor form for
    a signature that would be refused anyway. The services check again under the lock."""
    step = _step_for(payout.status)
    if step is None:
        return ConflictError(
            _("This request is not waiting for a signature (it is “%(s)s”).")
            % {"s": payout.get_status_display()}
        )
    try:
        _check_segregation(payout, actor, standing_in(actor, payout.compound), step)
    except ApplicationError as exc:
        return exc
    return None


def _check_segregation(subject, actor, standing: Standing, step: str) -> str:
    if subject.applicant_id == actor.pk:
        raise SegregationError(_("The applicant never signs their own request."))
    already = PayoutSignature.objects.filter(signer=actor, **_subject_filter(subject))
    if already.exists():
        raise SegregationError(
            _("You have already signed this request; one person signs once, whatever roles they hold.")
        )
    if standing.company_ids & _forbidden_companies(subject):
        raise SegregationError(_("People of the payee or property company do not sign payouts."))
    if not standing.can(STEP_CAPABILITY[step]):
        raise PermissionDeniedError(
            _("This step needs a %(who)s.")
            % {"who": _("committee member") if step == SignatureStep.REVIEW else _("community official")}
        )
    return next((r for r in STEP_ROLES[step] if r in standing.roles), "")


def _subject_filter(subject) -> dict:
    return {"request": subject} if isinstance(subject, PayoutRequest) else {"budget": subject}


def _approvals(subject, step: str) -> int:
    return PayoutSignature.objects.filter(
        step=step, decision=Decision.APPROVE, **_subject_filter(subject)
    ).count()


def _sign(subject, *, actor, decision: str, comment: str, second_factor) -> PayoutSignature:
    step = _step_for(subject.status)
    if step is None:
        raise ConflictError(
            _("This request is not waiting for a signature (it is “%(s)s”).")
            % {"s": subject.get_status_display()}
        )
    hash_now = (
        payout_content_hash(subject) if isinstance(subject, PayoutRequest) else budget_content_hash(subject)
    )
    if hash_now != subject.content_hash:
        # The content changed under the signers (only possible by bypassing services).
        raise ConflictError(
            _("The request's content no longer matches what was submitted; it cannot be signed.")
        )
    standing = standing_in(actor, subject.compound)
    role, proof = _check_signer(subject, actor, standing, step, second_factor)
    try:
        with transaction.atomic():
            return PayoutSignature.objects.create(
                compound=subject.compound,
                signer=actor,
                step=step,
                role=role,
                decision=decision,
                comment=(comment or "").strip(),
                content_hash=subject.content_hash,
                second_factor=proof.method,
                second_factor_at=proof.at,
                **_subject_filter(subject),
            )
    except IntegrityError:
        raise SegregationError(_("You have already signed this request.")) from None


@transaction.atomic(durable=True)
def payout_approve(
    *, payout: PayoutRequest, actor, second_factor: SecondFactor | None, comment: str = ""
) -> PayoutRequest:
    """Approve the step the request waits for; the step completes when enough distinct
    people of the right party have approved (policy: 2 committee, 1 community)."""
    payout = _lock(payout)
    signature = _sign(
        payout, actor=actor, decision=Decision.APPROVE, comment=comment, second_factor=second_factor
    )
    needed = _approvals_needed(payout_policy(payout.compound), signature.step)
    before = {"status": payout.status}
    if _approvals(payout, signature.step) >= needed:
        payout.status = (
            PayoutStatus.REVIEWED if signature.step == SignatureStep.REVIEW else PayoutStatus.RECHECKED
        )
        payout.waiting_since = timezone.now()
        payout.reminded_at = payout.escalated_at = None
        payout.save(update_fields=["status", "waiting_since", "reminded_at", "escalated_at", "updated_at"])
    audit_record(
        actor=actor,
        action="payout.approve",
        obj=payout,
        compound=payout.compound,
        before=before,
        after={
            "status": payout.status,
            "step": signature.step,
            "role": signature.role,
            "second_factor": signature.second_factor,
            "content_hash": signature.content_hash,
        },
    )
    if payout.status != before["status"]:
        _notify_next_signers(payout)
        _notify_applicant(
            payout, _("Payout #%(n)s: %(s)s") % {"n": payout.pk, "s": payout.get_status_display()}
        )
    return payout


@transaction.atomic(durable=True)
def payout_reject(
    *, payout: PayoutRequest, actor, second_factor: SecondFactor | None, reason: str
) -> PayoutRequest:
    """Any reviewer or rechecker may reject, with a reason; the hold is released."""
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("reason: say why the request is rejected."))
    payout = _lock(payout)
    _sign(payout, actor=actor, decision=Decision.REJECT, comment=reason, second_factor=second_factor)
    before = {"status": payout.status}
    payout.status = PayoutStatus.REJECTED
    payout.rejection_reason = reason
    payout.decided_at = timezone.now()
    payout.save(update_fields=["status", "rejection_reason", "decided_at", "updated_at"])
    audit_record(
        actor=actor,
        action="payout.reject",
        obj=payout,
        compound=payout.compound,
        before=before,
        after={"status": payout.status, "reason": reason},
    )
    _notify_applicant(payout, _("Payout #%(n)s was rejected") % {"n": payout.pk}, body=reason)
    return payout


@transaction.atomic(durable=True)
def payout_pay(*, payout: PayoutRequest, actor, bank_reference: str, payment_date: dt.date) -> PayoutRequest:
    """Record the bank transfer of a rechecked request: posts the ledger entry (expense ↔
    escrow cash) and releases the hold, in one transaction. Paying twice is refused."""
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise _field_error("bank_reference", _("bank_reference: enter the bank transfer's reference."))
    if len(bank_reference) > 80:
        raise _field_error("bank_reference", _("bank_reference: at most 80 characters."))
    if not isinstance(payment_date, dt.date) or payment_date > timezone.localdate():
        raise _field_error("payment_date", _("payment_date: give the transfer's date (not in the future)."))
    payout = _lock(payout)
    _raise_if(payout_payment_refusal(payout, actor))
    if payout.submitted_at and payment_date < timezone.localtime(payout.submitted_at).date():
        raise _field_error("payment_date", _("payment_date: before the request was submitted."))
    if PayoutRequest.objects.filter(compound=payout.compound, bank_reference=bank_reference).exists():
        raise _field_error(
            "bank_reference", _("bank_reference: this bank reference was already used for a payout.")
        )
    try:
        result = ledger_post(
            compound=payout.compound,
            kind=EntryKind.PAYOUT,
            legs=[
                debit(payout.expense_account, payout.amount_fen),
                credit(Category.ESCROW_CASH, payout.amount_fen),
            ],
            # The memo is hashed into the chain: one fixed wording (Chinese), never translated,
            # so the entry's content does not depend on the language of whoever paid it.
            memo=f"支出申请#{payout.pk} 收款方 {payout.public_payee}：{payout.purpose}"[:200],
            effective_date=payment_date,
            actor=actor,
            idempotency_key=f"payout:{payout.pk}",
        )
    except PeriodClosedError as exc:
        raise exc.for_field("payment_date") from None
    payout.status = PayoutStatus.PAID
    payout.paid_by = actor
    payout.paid_at = payout.decided_at = timezone.now()
    payout.bank_reference = bank_reference
    payout.payment_date = payment_date
    payout.journal_entry = result.entry
    payout.save(
        update_fields=[
            "status",
            "paid_by",
            "paid_at",
            "decided_at",
            "bank_reference",
            "payment_date",
            "journal_entry",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="payout.pay",
        obj=payout,
        compound=payout.compound,
        before={"status": PayoutStatus.RECHECKED},
        after={"status": payout.status, "entry": result.entry.sequence, "bank_reference": bank_reference},
    )
    _notify_applicant(payout, _("Payout #%(n)s has been paid") % {"n": payout.pk})
    return payout


# --------------------------------------------------------------------------- notifications


def next_signers(payout) -> list:
    """Who the request waits for now (excluding those who may not or already did sign)."""
    step = _step_for(payout.status)
    if step is None:
        return []
    signed = set(
        PayoutSignature.objects.filter(**_subject_filter(payout)).values_list("signer_id", flat=True)
    )
    forbidden = _forbidden_companies(payout)
    candidates = [
        user
        for user in users_with_roles(payout.compound, STEP_ROLES[step])
        if user.pk != payout.applicant_id and user.pk not in signed
    ]
    if not forbidden:
        return candidates
    # Employed by the payee or property company (whatever other roles): one query for all.
    employed = set(
        Membership.objects.filter(_active_q(), user__in=candidates, company_id__in=forbidden).values_list(
            "user_id", flat=True
        )
    )
    return [user for user in candidates if user.pk not in employed]


def payout_url(payout) -> str:
    try:
        return reverse("escrow:payout-detail", kwargs={"slug": payout.compound.slug, "pk": payout.pk})
    except Exception:  # pages not mounted (e.g. a worker without URLs) — the inbox still works
        return ""


def _notify_next_signers(payout: PayoutRequest) -> None:
    users = next_signers(payout)
    notify(
        users=users,
        kind="payout.waiting",
        compound=payout.compound,
        title=_("Payout #%(n)s waits for your signature: %(a)s to %(p)s")
        % {"n": payout.pk, "a": format_yuan(payout.amount_fen), "p": payout.payee_name},
        body=payout.purpose,
        url=payout_url(payout),
    )


def _notify_applicant(payout: PayoutRequest, title: str, body: str = "") -> None:
    notify(
        users=[payout.applicant],
        kind="payout.decision",
        compound=payout.compound,
        title=title,
        body=body,
        url=payout_url(payout),
    )


def payouts_remind(*, now: dt.datetime | None = None) -> dict:
    """Daily: remind the next signers after 3 days of waiting, escalate to the street
    office after 7. Each request is reminded and escalated once per waiting step."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    waiting = PayoutRequest.objects.filter(status__in=(PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED))
    for payout_id in waiting.filter(
        waiting_since__lte=now - REMIND_AFTER, reminded_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            payout = PayoutRequest.objects.select_for_update().select_related("compound").get(pk=payout_id)
            if payout.reminded_at or payout.status not in (PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED):
                continue
            payout.reminded_at = now
            payout.save(update_fields=["reminded_at"])
            notify(
                users=next_signers(payout),
                kind="payout.reminder",
                compound=payout.compound,
                title=_("Reminder: payout #%(n)s has waited 3 days for your signature") % {"n": payout.pk},
                url=payout_url(payout),
            )
            counts["reminded"] += 1
    for payout_id in waiting.filter(
        waiting_since__lte=now - ESCALATE_AFTER, escalated_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            payout = (
                PayoutRequest.objects.select_for_update()
                .select_related("compound__community")
                .get(pk=payout_id)
            )
            if payout.escalated_at or payout.status not in (PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED):
                continue
            payout.escalated_at = now
            payout.save(update_fields=["escalated_at"])
            notify(
                users=users_with_roles(payout.compound, [Role.STREET_ADMIN]),
                kind="payout.escalation",
                compound=payout.compound,
                title=_("Payout #%(n)s in %(c)s has waited 7 days for signatures")
                % {"n": payout.pk, "c": payout.compound.name},
                url=payout_url(payout),
            )
            counts["escalated"] += 1
    return counts


# --------------------------------------------------------------------------- budgets & monthly drafts


@transaction.atomic(durable=True)
def budget_create(*, compound: Compound, year: int, lines: list[dict], actor) -> NecessaryCostBudget:
    """Draft the year's monthly necessary-cost budget (property staff)."""
    if not standing_in(actor, compound).can(Capability.APPLY_PAYOUT):
        raise PermissionDeniedError(_("Only property staff of this compound draft the budget."))
    if not lines:
        raise _field_error("lines", _("lines: a budget needs at least one line."))
    budget = NecessaryCostBudget.objects.create(compound=compound, year=year, applicant=actor)
    for index, raw in enumerate(lines, start=1):
        account = raw.get("expense_account")
        if account not in CATEGORY_EXPENSE_ACCOUNTS[PayoutCategory.NECESSARY_COST]:
            raise _field_error(
                f"lines[{index}]", _("line %(i)s: not a necessary-cost category.") % {"i": index}
            )
        try:
            amount = _clean_amount(raw.get("monthly_amount_fen"))
        except PayoutError:
            raise _field_error(
                f"lines[{index}]", _("line %(i)s: the monthly amount must be positive fen.") % {"i": index}
            ) from None
        payee = (raw.get("payee_name") or "").strip()
        if not payee:
            raise _field_error(f"lines[{index}]", _("line %(i)s: name the payee.") % {"i": index})
        BudgetLine.objects.create(
            compound=compound,
            budget=budget,
            expense_account=account,
            payee_name=payee[:100],
            payee_account_masked=mask_account_number(raw.get("payee_account") or ""),
            payee_company=raw.get("payee_company"),
            monthly_amount_fen=amount,
        )
    audit_record(actor=actor, action="budget.create", obj=budget, compound=compound)
    return budget


def _lock_budget(budget: NecessaryCostBudget) -> NecessaryCostBudget:
    lock_escrow_account(budget.compound_id)
    return NecessaryCostBudget.objects.select_for_update().select_related("compound").get(pk=budget.pk)


@transaction.atomic(durable=True)
def budget_submit(*, budget: NecessaryCostBudget, actor) -> NecessaryCostBudget:
    budget = _lock_budget(budget)
    if budget.applicant_id != actor.pk:
        raise PermissionDeniedError(_("Only the applicant submits the budget."))
    if budget.status != BudgetStatus.DRAFT:
        raise ConflictError(_("This budget has already been submitted."))
    budget.content_hash = budget_content_hash(budget)
    budget.status = BudgetStatus.SUBMITTED
    budget.save(update_fields=["content_hash", "status"])
    audit_record(actor=actor, action="budget.submit", obj=budget, compound=budget.compound)
    return budget


@transaction.atomic(durable=True)
def budget_approve(
    *, budget: NecessaryCostBudget, actor, second_factor, comment: str = ""
) -> NecessaryCostBudget:
    budget = _lock_budget(budget)
    signature = _sign(
        budget, actor=actor, decision=Decision.APPROVE, comment=comment, second_factor=second_factor
    )
    needed = _approvals_needed(payout_policy(budget.compound), signature.step)
    if _approvals(budget, signature.step) >= needed:
        budget.status = (
            BudgetStatus.REVIEWED if signature.step == SignatureStep.REVIEW else BudgetStatus.APPROVED
        )
        if (
            budget.status == BudgetStatus.APPROVED
            and NecessaryCostBudget.objects.filter(
                compound=budget.compound, year=budget.year, status=BudgetStatus.APPROVED
            ).exists()
        ):
            raise ConflictError(_("This year already has an approved budget."))
        budget.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="budget.approve",
        obj=budget,
        compound=budget.compound,
        after={"status": budget.status, "step": signature.step},
    )
    return budget


@transaction.atomic(durable=True)
def budget_reject(*, budget: NecessaryCostBudget, actor, second_factor, reason: str) -> NecessaryCostBudget:
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("reason: say why the budget is rejected."))
    budget = _lock_budget(budget)
    _sign(budget, actor=actor, decision=Decision.REJECT, comment=reason, second_factor=second_factor)
    budget.status = BudgetStatus.REJECTED
    budget.rejection_reason = reason
    budget.save(update_fields=["status", "rejection_reason"])
    audit_record(
        actor=actor,
        action="budget.reject",
        obj=budget,
        compound=budget.compound,
        after={"status": budget.status, "reason": reason},
    )
    return budget


def payouts_draft_monthly(*, period: dt.date) -> int:
    """On the 1st: draft this month's necessary-cost requests from each approved budget.
    Idempotent: the (budget line, month) pair is unique, so a second run drafts nothing."""
    period = period.replace(day=1)
    created = 0
    lines = BudgetLine.objects.filter(
        budget__year=period.year, budget__status=BudgetStatus.APPROVED
    ).select_related("budget", "budget__applicant", "compound")
    for line in lines:
        with transaction.atomic():
            if PayoutRequest.objects.filter(budget_line=line, period=period).exists():
                continue
            payout = PayoutRequest(
                compound=line.compound,
                applicant=line.budget.applicant,
                category=PayoutCategory.NECESSARY_COST,
                expense_account=line.expense_account,
                payee_name=line.payee_name,
                payee_account_masked=line.payee_account_masked,
                payee_company=line.payee_company,
                amount_fen=line.monthly_amount_fen,
                budget_line=line,
                period=period,
                purpose=_("%(cat)s for %(month)s (budget %(year)s)")
                % {
                    "cat": line.get_expense_account_display(),
                    "month": period.strftime("%Y-%m"),
                    "year": line.budget.year,
                },
            )
            try:
                with transaction.atomic():
                    payout.save()
            except IntegrityError:  # a concurrent run drafted it first
                continue
            audit_record(actor=None, action="payout.draft_from_budget", obj=payout, compound=line.compound)
            notify(
                users=[line.budget.applicant],
                kind="payout.drafted",
                compound=line.compound,
                title=_("Necessary-cost request #%(n)s drafted for %(m)s; attach the invoice and submit")
                % {"n": payout.pk, "m": period.strftime("%Y-%m")},
                url=payout_url(payout),
            )
            created += 1
    return created
