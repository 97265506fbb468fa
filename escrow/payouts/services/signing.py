"""Signing a request: the reviewer's or rechecker's approval or rejection, with segregation of duties and a fresh second factor, moving the request on when enough distinct people have approved."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.stepup import SecondFactor
from common.errors import ConflictError
from communities.audit import audit_record
from communities.permissions import Standing, standing_in
from escrow.models import (
    Decision,
    PayoutRequest,
    PayoutSignature,
    PayoutStatus,
    SignatureStep,
)
from escrow.payouts.services.availability import _approvals_needed, payout_policy
from escrow.payouts.services.notifications import _notify_applicant, _notify_next_signers
from escrow.payouts.services.rules import (
    SegregationError,
    _approvals,
    _check_segregation,
    _field_error,
    _lock_request,
    _step_for,
    _subject_filter,
    budget_content_hash,
    check_second_factor,
    payout_content_hash,
)


def _check_signer(subject, actor, standing: Standing, step: str, second_factor) -> tuple[str, SecondFactor]:
    """Segregation of duties, then step-up. Returns the role the signature is made in."""
    role = _check_segregation(subject, actor, standing, step)
    proof = check_second_factor(second_factor)
    return role, proof


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
    payout = _lock_request(payout)
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
    payout = _lock_request(payout)
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
