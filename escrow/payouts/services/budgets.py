"""Annual necessary-cost budgets, signed like a request, and the monthly drafts they produce on the 1st."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.notifications import notify
from common.errors import ConflictError, PermissionDeniedError
from communities.audit import audit_record
from communities.models import Compound
from communities.permissions import Capability, standing_in
from escrow.ledger.services import (
    mask_account_number,
)
from escrow.models import (
    CATEGORY_EXPENSE_ACCOUNTS,
    BudgetLine,
    BudgetStatus,
    Decision,
    NecessaryCostBudget,
    PayoutCategory,
    PayoutRequest,
    SignatureStep,
)
from escrow.payouts.services.availability import _approvals_needed, payout_policy
from escrow.payouts.services.notifications import payout_url
from escrow.payouts.services.requests import _clean_amount
from escrow.payouts.services.rules import (
    PayoutError,
    _approvals,
    _field_error,
    _lock_budget,
    budget_content_hash,
)
from escrow.payouts.services.signing import _sign


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


@transaction.atomic(durable=True)
def budget_submit(*, budget: NecessaryCostBudget, actor) -> NecessaryCostBudget:
    """The applicant submits a draft budget: its content is hashed (what every signature binds) and
    it waits for the committee's review; audited."""
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
    """Approve the step the budget waits for (segregation of duties, fresh second factor); it is
    approved once enough people of each party signed, at most one approved budget per compound
    and year; audited."""
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
    """Reject a budget with a reason (signed like an approval); audited."""
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
