"""Celery discovers ``<app>.tasks``; the escrow tasks live in one module per concern."""

from escrow.tasks_payouts import payouts_draft_monthly_task, payouts_remind_task

__all__ = ["payouts_draft_monthly_task", "payouts_remind_task"]
