"""Compatibility: remove after the feature branches land (use ``escrow.payouts.selectors``)."""

from escrow.payouts.selectors import *  # noqa: F403
