"""Compatibility: remove after the feature branches land (use ``escrow.transparency.services``;
quarter arithmetic is ``common.periods``)."""

from common.periods import previous_quarter, quarter_bounds, quarter_of  # noqa: F401
from escrow.models import PUBLISH_WITHIN_DAYS  # noqa: F401
from escrow.transparency.services import *  # noqa: F403
