"""Compatibility: remove after the feature branches land (use ``escrow.fees.services.billing``)."""

from escrow.fees.services.billing import *  # noqa: F403
