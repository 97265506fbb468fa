"""Payments in (物业费实收): a receipt written by hand, and assigning an unidentified
receipt from suspense to the unit it belongs to. Statement imports are in
imports.py, the payment-notification webhook in webhooks.py; all of them post through
``escrow.ledger.services`` and nothing else.

Exactly once (DESIGN.md §5.5): each payment's journal entry carries an idempotency
key derived from its source — ``receipt:<no>``, ``bank:<ref>``,
``webhook:<provider>:<txn>``, ``suspense:<payment id>`` — and the Payment row has a
unique constraint on the same reference. The ledger checks the key under the
compound's lock, so a double-submitted form or a replay returns the first payment.

Memos are stored in one fixed language (Chinese, the scheme's own), never through
gettext: the memo is part of the entry's content fingerprint, and a replay made in
another UI language must not look like different content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError, ConflictError, NotFoundError
from common.money import MAX_AMOUNT_FEN, AmountError, format_yuan
from communities.audit import audit_record, snapshot
from communities.models import Compound, Unit
from escrow.errors import IdempotencyConflictError, PeriodClosedError
from escrow.ledger.services import credit, debit, ledger_post, lock_escrow_account
from escrow.models import (
    Category,
    EntryKind,
    EscrowAccount,
    Payment,
    PaymentMethod,
    PaymentSource,
)

RECEIPT_NO_MAX = 40


class PaymentError(ApplicationError):
    """A payment that cannot be recorded as given; ``extra["fields"]`` names the field."""


@dataclass
class PaymentResult:
    """A recorded payment, and whether this call created it (False: the same receipt again)."""

    payment: Payment
    created: bool


def field_error(field: str, message: str, cls=PaymentError) -> ApplicationError:
    """A ``PaymentError`` (or ``cls``) naming ``field``, in the one error shape."""
    return cls(f"{field}: {message}", extra={"fields": {field: [message]}})


# --------------------------------------------------------------------------- checks shared by every source


def check_amount_fen(amount_fen, *, field: str = "amount") -> int:
    """Integer fen, > 0 and at most the ceiling (yuan text is parsed at the edges)."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise AmountError(
            f"{field}: " + _("Amounts are whole fen."),
            extra={"fields": {field: [_("Amounts are whole fen.")]}},
        )
    if amount_fen <= 0:
        raise field_error(field, _("The amount must be greater than zero."), AmountError)
    if amount_fen > MAX_AMOUNT_FEN:
        raise field_error(
            field,
            _("The amount is above the ceiling of ¥%(max)s.") % {"max": f"{MAX_AMOUNT_FEN // 100:,}"},
            AmountError,
        )
    return amount_fen


def check_unit(compound: Compound, unit, *, field: str = "unit") -> Unit:
    """The unit, if it is one of this compound's; another compound's unit is unknown here."""
    if not isinstance(unit, Unit) or unit.compound_id != compound.pk:
        raise field_error(field, _("No such unit in this compound."))
    return unit


def escrow_account_of(compound: Compound) -> EscrowAccount:
    """The compound's escrow account; refused naming ``compound`` when it has none yet."""
    account = EscrowAccount.objects.filter(compound=compound).first()
    if account is None:
        raise PaymentError(
            _("This compound has no escrow account yet; open it before recording payments."),
            extra={"fields": {"compound": [_("No escrow account.")]}},
        )
    return account


def check_received_on(account: EscrowAccount, received_on, *, field: str = "received_on") -> dt.date:
    """A real date, not in the future and not before the account opened (refused naming ``field``)."""
    if not isinstance(received_on, dt.date) or isinstance(received_on, dt.datetime):
        raise field_error(field, _("Not a date."))
    if received_on > timezone.localdate():
        raise field_error(field, _("The date is in the future."))
    if received_on < account.opened_on:
        raise field_error(
            field,
            _("The escrow account opened on %(d)s; money cannot have arrived before.")
            % {"d": account.opened_on.isoformat()},
        )
    return received_on


def fee_legs(amount_fen: int):
    """The legs of a fee received: D escrow cash / C fee income."""
    return [debit(Category.ESCROW_CASH, amount_fen), credit(Category.FEE_INCOME, amount_fen)]


def suspense_legs(amount_fen: int):
    """The legs of an unidentified receipt: D escrow cash / C suspense (assigned to a unit later)."""
    return [debit(Category.ESCROW_CASH, amount_fen), credit(Category.SUSPENSE, amount_fen)]


# --------------------------------------------------------------------------- manual receipts


@transaction.atomic(durable=True)
def payment_record(
    *,
    compound: Compound,
    unit: Unit,
    amount_fen: int,
    method: str,
    received_on: dt.date,
    receipt_no: str,
    actor,
) -> PaymentResult:
    """Record a fee paid at the counter (cash, POS, a transfer shown on a phone) under
    the compound's numbered receipt. The receipt number posts once: the same receipt
    again with the same content returns the first payment (a double-submitted form);
    with other content it is refused, naming ``receipt_no``."""
    receipt_no = (receipt_no or "").strip()
    if not receipt_no:
        raise field_error("receipt_no", _("Give the number of the receipt issued."))
    if len(receipt_no) > RECEIPT_NO_MAX:
        raise field_error("receipt_no", _("At most %(n)s characters.") % {"n": RECEIPT_NO_MAX})
    unit = check_unit(compound, unit)
    amount_fen = check_amount_fen(amount_fen)
    if method not in PaymentMethod.values:
        raise field_error("method", _("Unknown payment method."))
    account = escrow_account_of(compound)
    received_on = check_received_on(account, received_on)

    key = f"receipt:{receipt_no}"
    existing = Payment.objects.filter(compound=compound, receipt_no=receipt_no).first()
    if existing is not None:
        # Settled without taking the lock: a receipt number is never reused, so the
        # answer cannot change. The race of two first submissions is settled by the
        # ledger's key check under the lock, below.
        return _same_receipt(
            existing, unit=unit, amount_fen=amount_fen, method=method, received_on=received_on
        )
    try:
        result = ledger_post(
            compound=compound,
            kind=EntryKind.FEE_PAYMENT,
            legs=fee_legs(amount_fen),
            memo=f"物业费 收据{receipt_no}",
            effective_date=received_on,
            actor=actor,
            idempotency_key=key,
        )
    except PeriodClosedError as exc:
        raise exc.for_field("received_on") from None
    except IdempotencyConflictError:
        # Another submission of this receipt, with another amount or date, won the lock.
        raise field_error(
            "receipt_no",
            _("Receipt %(no)s was already recorded; receipt numbers are used once.") % {"no": receipt_no},
            ConflictError,
        ) from None
    if not result.created:
        existing = Payment.objects.get(entry=result.entry)
        return _same_receipt(
            existing, unit=unit, amount_fen=amount_fen, method=method, received_on=received_on
        )
    payment = Payment.objects.create(
        compound=compound,
        unit=unit,
        amount_fen=amount_fen,
        method=method,
        source=PaymentSource.MANUAL,
        received_on=received_on,
        receipt_no=receipt_no,
        entry=result.entry,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(actor=actor, action="payment.record", obj=payment, compound=compound)
    return PaymentResult(payment=payment, created=True)


def _same_receipt(existing: Payment, *, unit, amount_fen, method, received_on) -> PaymentResult:
    if (existing.unit_id, existing.amount_fen, existing.method, existing.received_on) != (
        unit.pk,
        amount_fen,
        method,
        received_on,
    ):
        raise field_error(
            "receipt_no",
            _("Receipt %(no)s was already recorded on %(d)s for %(amount)s; receipt numbers are used once.")
            % {
                "no": existing.receipt_no,
                "d": existing.received_on.isoformat(),
                "amount": format_yuan(existing.amount_fen),
            },
            ConflictError,
        )
    return PaymentResult(payment=existing, created=False)


# --------------------------------------------------------------------------- suspense


@transaction.atomic(durable=True)
def suspense_assign(*, payment: Payment, unit: Unit, actor) -> PaymentResult:
    """Say whose an unidentified receipt is: post D suspense / C fee income and link
    the payment to the unit. Assigning it again to the same unit changes nothing;
    to another unit is refused (reverse and re-post instead, a deliberate act)."""
    compound = payment.compound
    unit = check_unit(compound, unit)
    # The compound's ledger lock first, then the payment row: two people assigning
    # the same receipt at once are serialised, and the second one sees the first.
    lock_escrow_account(compound.pk)
    current = Payment.objects.select_for_update().filter(pk=payment.pk, compound=compound).first()
    if current is None:
        raise NotFoundError(_("Not found."))
    if current.assignment_entry_id is not None or current.unit_id is not None:
        if current.unit_id == unit.pk and current.assignment_entry_id is not None:
            return PaymentResult(payment=current, created=False)
        raise field_error(
            "payment",
            _("This receipt already belongs to a unit; it is not in suspense."),
            ConflictError,
        )
    before = snapshot(current, ["unit", "assignment_entry", "assigned_by", "assigned_at"])
    result = ledger_post(
        compound=compound,
        kind=EntryKind.SUSPENSE_ASSIGNMENT,
        legs=[debit(Category.SUSPENSE, current.amount_fen), credit(Category.FEE_INCOME, current.amount_fen)],
        memo=f"待查收款认领 收款{current.pk}",
        effective_date=timezone.localdate(),
        actor=actor,
        idempotency_key=f"suspense:{current.pk}",
    )
    current.unit = unit
    current.assignment_entry = result.entry
    current.assigned_by = actor if getattr(actor, "is_authenticated", False) else None
    current.assigned_at = timezone.now()
    current.save(update_fields=["unit", "assignment_entry", "assigned_by", "assigned_at"])
    audit_record(
        actor=actor,
        action="payment.suspense_assign",
        obj=current,
        compound=compound,
        before=before,
        after=snapshot(current, ["unit", "assignment_entry", "assigned_by", "assigned_at"]),
    )
    return PaymentResult(payment=current, created=True)
