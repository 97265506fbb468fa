"""Compatibility: remove after the feature branches land (use ``escrow.payouts.services``)."""

from escrow.payouts.services import *  # noqa: F403
