"""Compatibility: remove after the feature branches land (use ``escrow.demo.payouts``, ``common.pdf``)."""

from common.pdf import minimal_pdf  # noqa: F401
from escrow.demo.payouts import *  # noqa: F403
