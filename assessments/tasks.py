"""Beat jobs of the assessment and the repairs: thin wrappers over the services."""

from __future__ import annotations

from celery import shared_task

from assessments import repairs, services


@shared_task(name="assessments.rounds_open_due")
def rounds_open_due_task() -> list[int]:
    """First day after each quarter: open last quarter's round for every compound."""
    return services.rounds_open_due()


@shared_task(name="assessments.rounds_close_due")
def rounds_close_due_task() -> list[int]:
    """Hourly: remind scorers three days before the deadline (once), then close the
    rounds whose deadline has passed and freeze their result."""
    services.rounds_remind_scorers()
    return services.rounds_close_due()


@shared_task(name="assessments.repairs_remind")
def repairs_remind_task() -> dict:
    """Every 15 minutes: remind before a repair's time limit, escalate once overdue."""
    return repairs.repairs_remind()
