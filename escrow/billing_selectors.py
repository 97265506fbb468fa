"""Compatibility: remove after the feature branches land (use ``escrow.fees.selectors``)."""

from escrow.fees.selectors import *  # noqa: F403
