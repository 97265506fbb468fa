"""Celery discovers ``<app>.tasks``: this module imports each part's tasks so that every
worker (and, through escrow/apps.py, every web process) has them registered by name.
The task names (``escrow.tasks.bills_generate_month``, ``escrow.disclosure_build`` …)
are fixed in each decorator, so moving a module never renames a task."""

from escrow.fees.tasks import bills_generate, bills_generate_month
from escrow.payouts.tasks import payouts_draft_monthly_task, payouts_remind_task
from escrow.transparency.tasks import (
    disclosure_build_task,
    disclosures_build_due_task,
    disclosures_flag_overdue_task,
    disclosures_sweep_task,
)

__all__ = [
    "bills_generate",
    "bills_generate_month",
    "disclosure_build_task",
    "disclosures_build_due_task",
    "disclosures_flag_overdue_task",
    "disclosures_sweep_task",
    "payouts_draft_monthly_task",
    "payouts_remind_task",
]
