"""Compatibility: remove after the feature branches land (use ``escrow.payouts.attachments``)."""

from escrow.payouts.attachments import *  # noqa: F403
