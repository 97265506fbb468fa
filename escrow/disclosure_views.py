"""Compatibility: remove after the feature branches land (use ``escrow.transparency.views``)."""

from escrow.transparency.views import *  # noqa: F403
