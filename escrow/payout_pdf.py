"""Compatibility: remove after the feature branches land (use ``escrow.payouts.pdf``)."""

from escrow.payouts.pdf import *  # noqa: F403
