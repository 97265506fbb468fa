"""A payout request's life outside the signatures: filing (with its evidence), editing a draft, submitting (the hold, refused when funds are short), withdrawing, and the payment that posts the ledger entry."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.stepup import SecondFactor
from common.attachments import read_checked
from common.errors import ApplicationError, ConflictError, PermissionDeniedError
from common.money import MAX_AMOUNT_FEN, format_yuan
from communities.audit import audit_record, snapshot
from communities.models import Compound, PropertyCompany
from communities.permissions import Capability, standing_in
from communities.selectors import active_company
from escrow.errors import InsufficientFundsError, PeriodClosedError
from escrow.ledger.services import (
    credit,
    debit,
    ledger_post,
    mask_account_number,
)
from escrow.models import (
    CATEGORY_EXPENSE_ACCOUNTS,
    PAYEE_NAME_MAX_CHARS,
    PURPOSE_MAX_CHARS,
    AttachmentKind,
    Category,
    EntryKind,
    PayoutAttachment,
    PayoutCategory,
    PayoutRequest,
    PayoutStatus,
)
from escrow.payouts.services.availability import payout_availability, payout_policy
from escrow.payouts.services.notifications import _notify_applicant, _notify_next_signers
from escrow.payouts.services.rules import (
    PayoutError,
    _field_error,
    _lock,
    _raise_if,
    check_second_factor,
    payout_content_hash,
    payout_edit_refusal,
    payout_payment_refusal,
    payout_signed_content_problem,
    payout_withdraw_refusal,
)


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
    resolution=None,
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
        resolution=resolution,
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
        "resolution",
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
    if len(payee_name) > PAYEE_NAME_MAX_CHARS:
        raise _field_error(
            "payee_name", _("payee_name: at most %(n)s characters.") % {"n": PAYEE_NAME_MAX_CHARS}
        )
    purpose = (fields["purpose"] or "").strip()
    if not purpose:
        raise _field_error("purpose", _("purpose: say what the money is for."))
    if len(purpose) > PURPOSE_MAX_CHARS:
        # Published in the ledger, the public trail and the disclosure: a page, not a book.
        raise _field_error(
            "purpose",
            _("purpose: at most %(n)s characters (it is published for everyone to read).")
            % {"n": PURPOSE_MAX_CHARS},
        )
    payee_company = fields["payee_company"]
    if category == PayoutCategory.SETTLEMENT_RELEASE:
        # The settlement release always goes to the compound's own property company.
        payee_company = active_company(payout.compound)
        if payee_company is None:
            raise _field_error(
                "category", _("category: this compound has no property company to release to.")
            )
    resolution_date = fields["resolution_date"]
    resolution = fields.get("resolution")
    if resolution is not None:
        # A real resolution of this compound, adopted: its number and date are what the
        # signatures bind (they are in the content hash).
        citable = PayoutRequest.citable_resolutions(payout.compound).filter(pk=resolution.pk)
        if resolution.compound_id != payout.compound_id or not citable.exists():
            raise _field_error(
                "resolution", _("resolution: not an adopted, published resolution of this compound.")
            )
        fields = {**fields, "resolution_number": resolution.number}
        resolution_date = resolution.decided_on
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
    payout.payee_name = payee_name
    payout.payee_account_masked = payee_account
    payout.payee_company = payee_company
    payout.amount_fen = _clean_amount(fields["amount_fen"])
    payout.purpose = purpose
    payout.resolution_number = (fields["resolution_number"] or "").strip()[:60]
    payout.resolution_date = resolution_date
    payout.resolution = resolution


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
        "resolution": payout.resolution,
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
        # A cited resolution's minutes are published with its meeting; typed text needs a copy.
        if AttachmentKind.MINUTES not in kinds and payout.resolution_id is None:
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


@transaction.atomic(durable=True)
def payout_pay(
    *,
    payout: PayoutRequest,
    actor,
    bank_reference: str,
    payment_date: dt.date,
    second_factor: SecondFactor | None,
) -> PayoutRequest:
    """Record the bank transfer of a rechecked request: posts the ledger entry (expense ↔
    escrow cash) and releases the hold, in one transaction. Paying twice is refused. Like
    a signature, it needs a fresh second factor (TOTP or WebAuthn, step-up)."""
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise _field_error("bank_reference", _("bank_reference: enter the bank transfer's reference."))
    if len(bank_reference) > 80:
        raise _field_error("bank_reference", _("bank_reference: at most 80 characters."))
    if not isinstance(payment_date, dt.date) or payment_date > timezone.localdate():
        raise _field_error("payment_date", _("payment_date: give the transfer's date (not in the future)."))
    payout = _lock(payout)
    _raise_if(payout_payment_refusal(payout, actor))
    if payout_signed_content_problem(payout) is not None:
        # Only possible by bypassing the services (a row changed in the database after the
        # signatures): pay nothing that was not signed as it stands.
        raise ConflictError(
            _("The request's content no longer matches what its signatures approved; it cannot be paid.")
        )
    proof = check_second_factor(second_factor)
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
        after={
            "status": payout.status,
            "entry": result.entry.sequence,
            "bank_reference": bank_reference,
            "second_factor": proof.method,
        },
    )
    _notify_applicant(payout, _("Payout #%(n)s has been paid") % {"n": payout.pk})
    return payout
