"""Payment notifications from a payment aggregator (WeChat Pay / Alipay style).

The aggregator POSTs JSON to ``/api/v1/webhooks/payments/<provider>/`` with two
headers:

``X-Gongguan-Timestamp``
    Unix time (seconds) at which it signed the request.
``X-Gongguan-Signature``
    ``sha256=`` + hex HMAC-SHA256, keyed with the provider's secret, over the bytes
    ``<timestamp>.`` followed by the raw request body.

The timestamp is inside the signed bytes, so an old notification cannot be replayed
with a fresh timestamp; it must be within ``PAYMENT_WEBHOOK_TOLERANCE_SECONDS`` of our
clock. Secrets come from the environment (``PAYMENT_WEBHOOK_SECRETS`` in settings);
a provider without a secret does not exist as far as callers can tell.

Body::

    {"transaction_id": "4200001234202603051234567890",   # the provider's id
     "compound": "shangcheng",                           # compound slug
     "unit": "SHANGCHENG-1栋-1-101",                      # the unit's payment reference
     "amount_fen": 10740,                                # integer fen
     "paid_at": "2026-03-05T10:22:11+08:00"}             # when the payer paid

Exactly once by the provider's transaction id: a replay answers 200 with the first
result and posts nothing; the same id with different content is a 409. A unit the
compound does not have is refused (400, ``unit``): the aggregator's checkout is fed
from our unit list, so an unknown reference is an integration fault to be fixed and
re-sent, not money to guess about.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from common.errors import ApplicationError, ConflictError, NotFoundError
from communities.audit import audit_record
from communities.models import Compound, Unit
from escrow.errors import IdempotencyConflictError, PeriodClosedError
from escrow.fees.selectors import normalize_reference
from escrow.fees.services.payments import (
    PaymentResult,
    check_amount_fen,
    check_received_on,
    escrow_account_of,
    fee_legs,
    field_error,
)
from escrow.ledger.services import ledger_post
from escrow.models import EntryKind, Payment, PaymentMethod, PaymentSource

logger = logging.getLogger("escrow.webhooks")

TIMESTAMP_HEADER = "X-Gongguan-Timestamp"
SIGNATURE_HEADER = "X-Gongguan-Signature"
TRANSACTION_ID_MAX = 64

# The provider names in the URL, and how a payment through each is labelled.
PROVIDER_METHODS = {"wechatpay": PaymentMethod.WECHAT_PAY, "alipay": PaymentMethod.ALIPAY}


class WebhookSignatureError(ApplicationError):
    """Missing or wrong signature: we cannot tell who sent this."""

    status_code = 401


class WebhookRequestError(ApplicationError):
    """Signed, but not acceptable (stale timestamp, malformed body)."""


@dataclass
class Notification:
    """A provider's payment notification, parsed from its verified body."""

    transaction_id: str
    compound_slug: str
    unit_reference: str
    amount_fen: int
    paid_at: dt.datetime


def provider_secret(provider: str) -> bytes | None:
    """The shared secret of a known provider, or None (the notification is then refused, 401)."""
    secret = getattr(settings, "PAYMENT_WEBHOOK_SECRETS", {}).get(provider)
    if provider not in PROVIDER_METHODS or not secret:
        return None
    return secret.encode()


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (used by tests and the demo)."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def refuse(provider: str, reason: str, *, remote: str | None, body: bytes) -> None:
    """Every refused notification is logged: who claimed to be which provider, and why."""
    logger.warning(
        "payment webhook refused: provider=%s reason=%s remote=%s body_sha256=%s bytes=%s",
        provider,
        reason,
        remote or "-",
        hashlib.sha256(body).hexdigest(),
        len(body),
    )


def verify(
    *, provider: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> None:
    """Authenticate a notification: known provider, good signature, fresh timestamp.

    The signature is checked before the timestamp's age so that an unauthenticated
    caller learns nothing about our clock; hmac.compare_digest keeps the comparison
    constant-time.
    """
    secret = provider_secret(provider)
    if secret is None:
        raise NotFoundError(_("Not found."))
    if not timestamp or not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRequestError(
            _("%(h)s: a Unix time in seconds is required.") % {"h": TIMESTAMP_HEADER},
            extra={"fields": {TIMESTAMP_HEADER: [_("Missing or malformed.")]}},
        )
    expected = sign(secret, timestamp, body)
    if not signature or not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise WebhookSignatureError(
            _("%(h)s: the signature does not match the body.") % {"h": SIGNATURE_HEADER},
            extra={"fields": {SIGNATURE_HEADER: [_("Bad signature.")]}},
        )
    tolerance = getattr(settings, "PAYMENT_WEBHOOK_TOLERANCE_SECONDS", 300)
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        raise WebhookRequestError(
            _("%(h)s: the notification is more than %(s)s seconds old or ahead of our clock.")
            % {"h": TIMESTAMP_HEADER, "s": tolerance},
            extra={"fields": {TIMESTAMP_HEADER: [_("Outside the tolerance.")]}},
        )


def parse_notification(payload) -> Notification:
    """The body's fields, each checked; an error names the field."""
    if not isinstance(payload, dict):
        raise WebhookRequestError(_("The body must be a JSON object."))
    errors: dict[str, list[str]] = {}

    def text(name: str, limit: int) -> str:
        value = payload.get(name)
        if not isinstance(value, str) or not value.strip():
            errors[name] = [_("Required (text).")]
            return ""
        if "\x00" in value:  # PostgreSQL text cannot hold it; no provider sends one
            errors[name] = [_("Must not contain a NUL character.")]
            return ""
        if len(value.strip()) > limit:
            errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
        return value.strip()

    transaction_id = text("transaction_id", TRANSACTION_ID_MAX)
    compound_slug = text("compound", 60)
    unit_reference = text("unit", 120)
    amount_fen = payload.get("amount_fen")
    try:
        check_amount_fen(amount_fen, field="amount_fen")
    except ApplicationError as exc:
        errors.update(exc.extra.get("fields", {"amount_fen": [exc.message]}))
    paid_at = None
    raw_paid_at = payload.get("paid_at")
    if isinstance(raw_paid_at, str):
        try:
            paid_at = parse_datetime(raw_paid_at)
        except ValueError:
            paid_at = None
    if paid_at is None or timezone.is_naive(paid_at):
        errors["paid_at"] = [_("An ISO 8601 time with its offset, e.g. 2026-03-05T10:22:11+08:00.")]
    if errors:
        name, messages = next(iter(errors.items()))
        raise WebhookRequestError(f"{name}: {messages[0]}", extra={"fields": errors})
    return Notification(transaction_id, compound_slug, unit_reference, amount_fen, paid_at)


def result_body(payment: Payment) -> dict:
    """What the provider gets back — the same for the first delivery and every replay."""
    return {
        "status": "posted",
        "payment_id": payment.pk,
        "transaction_id": payment.reference,
        "compound": payment.compound.slug,
        "amount_fen": payment.amount_fen,
        "received_on": payment.received_on.isoformat(),
        "entry_sequence": payment.entry.sequence,
        "entry_hash": payment.entry.hash,
    }


def _unit_with_reference(compound: Compound, reference: str) -> Unit | None:
    """The unit whose reference this is, up to case and full-width characters. The
    aggregator sends the exact reference we gave it, so nothing looser is accepted."""
    wanted = normalize_reference(reference)
    number = wanted.rsplit("-", 1)[-1]
    for unit in Unit.objects.filter(compound=compound, number__iexact=number).select_related(
        "building", "compound"
    ):
        if normalize_reference(unit.reference) == wanted:
            return unit
    return None


@transaction.atomic(durable=True)
def webhook_payment_receive(*, provider: str, notification: Notification) -> PaymentResult:
    """Post a verified notification once; a replay returns the first payment."""
    method = PROVIDER_METHODS[provider]
    compound = Compound.objects.filter(slug=notification.compound_slug).first()
    if compound is None:
        raise NotFoundError(
            _("compound: no compound “%(s)s”.") % {"s": notification.compound_slug},
            extra={"fields": {"compound": [_("Unknown compound.")]}},
        )
    # Provider transaction ids are unique per provider, not per compound: a replay
    # naming another compound is a conflict, never a second posting.
    elsewhere = (
        Payment.objects.filter(
            source=PaymentSource.WEBHOOK, channel=provider, reference=notification.transaction_id
        )
        .exclude(compound=compound)
        .exists()
    )
    if elsewhere:
        raise field_error(
            "transaction_id", _("This transaction was already posted for another compound."), ConflictError
        )
    unit = _unit_with_reference(compound, notification.unit_reference)
    if unit is None:
        raise field_error("unit", _("No unit with this reference in the compound."))
    account = escrow_account_of(compound)
    received_on = check_received_on(account, timezone.localdate(notification.paid_at), field="paid_at")
    amount_fen = notification.amount_fen

    existing = Payment.objects.filter(
        compound=compound,
        source=PaymentSource.WEBHOOK,
        channel=provider,
        reference=notification.transaction_id,
    ).first()
    if existing is None:
        try:
            result = ledger_post(
                compound=compound,
                kind=EntryKind.FEE_PAYMENT,
                legs=fee_legs(amount_fen),
                memo=f"物业费 {provider} {notification.transaction_id}",
                effective_date=received_on,
                actor=None,
                idempotency_key=f"webhook:{provider}:{notification.transaction_id}",
            )
        except PeriodClosedError as exc:
            raise exc.for_field("paid_at") from None
        except IdempotencyConflictError:
            # A concurrent delivery of this id with other content posted first.
            raise field_error(
                "transaction_id",
                _("This transaction id was already posted with different content."),
                ConflictError,
            ) from None
        existing = None if result.created else Payment.objects.filter(entry=result.entry).first()
        if existing is None:
            try:
                with transaction.atomic():
                    payment = Payment.objects.create(
                        compound=compound,
                        unit=unit,
                        amount_fen=amount_fen,
                        method=method,
                        source=PaymentSource.WEBHOOK,
                        received_on=received_on,
                        channel=provider,
                        reference=notification.transaction_id,
                        entry=result.entry,
                    )
            except IntegrityError:
                # A simultaneous delivery naming another compound posted it first
                # (payment_webhook_transaction_unique); this transaction rolls back whole.
                raise field_error(
                    "transaction_id",
                    _("This transaction was already posted for another compound."),
                    ConflictError,
                ) from None
            audit_record(actor=None, action="payment.webhook", obj=payment, compound=compound)
            return PaymentResult(payment=payment, created=True)
    if (existing.unit_id, existing.amount_fen, existing.received_on) != (unit.pk, amount_fen, received_on):
        raise field_error(
            "transaction_id",
            _("This transaction id was already posted with different content."),
            ConflictError,
        )
    return PaymentResult(payment=existing, created=False)
