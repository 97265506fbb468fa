"""Scheduled payout jobs (Celery beat, config/settings/base.py). Thin: the services do
the work and are idempotent, so a retried or doubled run changes nothing twice."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from escrow.payouts.services import payouts_draft_monthly, payouts_remind


@shared_task(name="escrow.payouts_draft_monthly")
def payouts_draft_monthly_task(period: str | None = None) -> int:
    """On the 1st: draft the month's necessary-cost requests from approved budgets.
    ``period`` (ISO date) lets an operator re-run a missed month."""
    day = dt.date.fromisoformat(period) if period else timezone.localdate()
    return payouts_draft_monthly(period=day)


@shared_task(name="escrow.payouts_remind")
def payouts_remind_task() -> dict:
    """Daily: remind signers after 3 days, escalate to the street office after 7."""
    return payouts_remind()
