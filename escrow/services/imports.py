"""Compatibility: remove after the feature branches land (use ``escrow.fees.services.imports``)."""

from escrow.fees.services.imports import *  # noqa: F403
