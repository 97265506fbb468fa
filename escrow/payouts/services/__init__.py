"""Payout services (the workflow of DESIGN.md §6), one module per part:

* ``rules`` — who may do what now, and why not (segregation of duties, step-up, the
  ``*_refusal`` predicates and ``can_*``); the locks; the content hashes;
* ``availability`` — cash, holds, reserve, policy and signing progress (reads);
* ``requests`` — filing, drafts, submission (the hold), withdrawal, payment (the ledger entry);
* ``signing`` — approvals and rejections;
* ``budgets`` — necessary-cost budgets and the monthly drafts;
* ``notifications`` — who is told, reminders and escalation.

Pages, the API and tasks import from here: ``from escrow.payouts import services``."""

from escrow.payouts.services.availability import (
    Availability,
    Progress,
    payout_availability,
    payout_policy,
    payout_progress,
    reserve_fen,
)
from escrow.payouts.services.budgets import (
    budget_approve,
    budget_create,
    budget_reject,
    budget_submit,
    payouts_draft_monthly,
)
from escrow.payouts.services.notifications import (
    ESCALATE_AFTER,
    REMIND_AFTER,
    payout_url,
    payouts_remind,
)
from escrow.payouts.services.requests import (
    payout_attachment_add,
    payout_create,
    payout_file,
    payout_pay,
    payout_submit,
    payout_update,
    payout_withdraw,
)
from escrow.payouts.services.rules import (
    SIGNABLE_STATUSES,
    STEP_CAPABILITY,
    STEP_ROLES,
    STEP_UP_WINDOW,
    PayoutError,
    SegregationError,
    StepUpRequiredError,
    budget_content_hash,
    can_edit,
    can_pay,
    can_sign,
    can_withdraw,
    check_second_factor,
    next_signers,
    payout_content_hash,
    payout_edit_refusal,
    payout_payment_refusal,
    payout_signing_refusal,
    payout_withdraw_refusal,
)
from escrow.payouts.services.signing import (
    payout_approve,
    payout_reject,
)

__all__ = [
    "ESCALATE_AFTER",
    "REMIND_AFTER",
    "SIGNABLE_STATUSES",
    "STEP_CAPABILITY",
    "STEP_ROLES",
    "STEP_UP_WINDOW",
    "Availability",
    "PayoutError",
    "Progress",
    "SegregationError",
    "StepUpRequiredError",
    "budget_approve",
    "budget_content_hash",
    "budget_create",
    "budget_reject",
    "budget_submit",
    "can_edit",
    "can_pay",
    "can_sign",
    "can_withdraw",
    "check_second_factor",
    "next_signers",
    "payout_approve",
    "payout_attachment_add",
    "payout_availability",
    "payout_content_hash",
    "payout_create",
    "payout_edit_refusal",
    "payout_file",
    "payout_pay",
    "payout_payment_refusal",
    "payout_policy",
    "payout_progress",
    "payout_reject",
    "payout_signing_refusal",
    "payout_submit",
    "payout_update",
    "payout_url",
    "payout_withdraw",
    "payout_withdraw_refusal",
    "payouts_draft_monthly",
    "payouts_remind",
    "reserve_fen",
]
