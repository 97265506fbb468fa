"""Compatibility: remove after the feature branches land (use ``escrow.transparency.selectors``)."""

from escrow.transparency.selectors import *  # noqa: F403
