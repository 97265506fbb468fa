"""Quarterly disclosure jobs (Celery beat, config/settings/base.py). Thin: the services
are resumable and idempotent (escrow/transparency/services/build.py), so a task run twice, or
killed and run again, finishes the same disclosure exactly once."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from escrow.transparency import services as disclosures


@shared_task(name="escrow.disclosure_build", acks_late=True)
def disclosure_build_task(disclosure_id: int) -> str:
    built = disclosures.disclosure_build(disclosure_id)
    return "built" if built is not None else "skipped"


@shared_task(name="escrow.disclosures_build_due")
def disclosures_build_due_task(today: str | None = None) -> list[int]:
    """The first day after each quarter: queue the previous quarter for every compound.
    ``today`` (ISO date) lets an operator re-run a missed quarter."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return disclosures.disclosures_build_due(today=day)


@shared_task(name="escrow.disclosures_sweep")
def disclosures_sweep_task() -> list[int]:
    """Every 30 seconds: finish builds a killed worker left behind (heartbeat stopped)."""
    return disclosures.disclosures_sweep()


@shared_task(name="escrow.disclosures_flag_overdue")
def disclosures_flag_overdue_task() -> list[int]:
    """Daily: flag to the street office a quarter not published 15 days after it ended."""
    return disclosures.disclosures_flag_overdue()
