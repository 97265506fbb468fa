"""Who may do what to a payout request or budget, now, and why not — one place for the page, the API and the services.

The errors of the workflow, the signing steps and the roles of each, segregation of
duties (an applicant never signs; one person signs once; people of the payee or the
property company never sign or pay), the step-up check, the ``*_refusal`` predicates
and ``can_*``, the content hashes every signature binds, and the locks the services
take.

Lock order (locks only where money moves): escrow account → request (or budget) row.
Every service that can raise what is held or posts — file, update, attach, submit,
withdraw, pay, and every budget transition (an approved budget raises the reserve) —
takes ``_lock`` / ``_lock_budget``: the compound's escrow-account row first, then its
own row. A payout signature (``payout_approve``, ``payout_reject``) moves no money and
takes the request row only (``_lock_request``): holds are derived from the request's
status (``availability.HOLDING_STATUSES``), so an approval never raises what is held and
a rejection only lowers it — a submit running concurrently under the escrow lock may at
worst see that release late, which is conservative. Signatures of one request still
serialise on its row, and nobody takes the escrow lock after a request row, so the two
orders cannot deadlock. Rows are locked ``of self`` only: the compound and community
joined for reading are not locked."""

from __future__ import annotations

import hashlib
import json

from django.utils.translation import gettext as _

from accounts.stepup import (  # noqa: F401 - re-exported
    STEP_UP_WINDOW,
    STRONG_METHODS,
    SecondFactor,
    StepUpRequiredError,
    check_second_factor,
)
from common.errors import ApplicationError, ConflictError, PermissionDeniedError
from communities.models import Membership, Role, _active_q
from communities.permissions import Capability, Standing, standing_in
from communities.selectors import active_company, users_with_roles
from escrow.ledger.services import (
    lock_escrow_account,
)
from escrow.models import (
    BudgetStatus,
    Decision,
    NecessaryCostBudget,
    PayoutRequest,
    PayoutSignature,
    PayoutStatus,
    SignatureStep,
)


class PayoutError(ApplicationError):
    """A refused payout action (bad input or a state that does not allow it)."""


class SegregationError(PermissionDeniedError):
    """The person may not sign this request (applicant, second signature, payee company)."""


def _field_error(field: str, message: str, cls=PayoutError) -> ApplicationError:
    return cls(message, extra={"fields": {field: [message]}})


def payout_content_hash(payout: PayoutRequest) -> str:
    """What every signature binds: amount, payee, category and the attachments' hashes."""
    return payout.compute_content_hash()


def payout_signed_content_problem(payout: PayoutRequest) -> str | None:
    """None when the request's content, re-hashed now, is what every signature bound."""
    return payout.signed_content_problem()


def budget_content_hash(budget: NecessaryCostBudget) -> str:
    """What every budget signature binds: compound, year and each line's account, payee and amount."""
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
    """Whether ``payout_edit_refusal`` has nothing against it."""
    return payout_edit_refusal(payout, actor) is None


def can_withdraw(payout: PayoutRequest, actor) -> bool:
    """Whether ``payout_withdraw_refusal`` has nothing against it."""
    return payout_withdraw_refusal(payout, actor) is None


def can_sign(payout: PayoutRequest, actor) -> bool:
    """Whether the request waits for a signature that ``actor`` may give (before the step-up)."""
    return payout.status in SIGNABLE_STATUSES and payout_signing_refusal(payout, actor) is None


def can_pay(payout: PayoutRequest, actor) -> bool:
    """Whether ``payout_payment_refusal`` has nothing against it."""
    return payout_payment_refusal(payout, actor) is None


def _raise_if(refusal: ApplicationError | None) -> None:
    if refusal is not None:
        raise refusal


def _lock(payout: PayoutRequest) -> PayoutRequest:
    """Escrow-account lock first, then the request row: for every payout service that
    can raise what is held or posts (see the module docstring)."""
    lock_escrow_account(payout.compound_id)
    return _lock_request(payout)


def _lock_request(payout: PayoutRequest) -> PayoutRequest:
    """The request row only (not its compound or community): for the signatures, which
    move no money. Never take the escrow lock after this one."""
    return (
        PayoutRequest.objects.select_for_update(of=("self",))
        .select_related("compound", "compound__community")
        .get(pk=payout.pk)
    )


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


def _lock_budget(budget: NecessaryCostBudget) -> NecessaryCostBudget:
    lock_escrow_account(budget.compound_id)
    return (
        NecessaryCostBudget.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=budget.pk)
    )
