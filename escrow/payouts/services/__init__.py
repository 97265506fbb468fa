"""Payout services: filing, signing, budgets, availability and the payment order's writes."""

from escrow.payouts.services.workflow import *  # noqa: F403
