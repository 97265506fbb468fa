"""Beat jobs of the meetings app: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from meetings.services import action_items_remind


@shared_task(name="meetings.action_items_remind")
def action_items_remind_task() -> dict:
    """Daily: remind about overdue action items once, escalate after 7 days once."""
    return action_items_remind()
