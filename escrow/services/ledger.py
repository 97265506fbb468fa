"""Compatibility: remove after the feature branches land (use ``escrow.ledger.services``)."""

from escrow.ledger.services import *  # noqa: F403
