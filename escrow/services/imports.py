"""Compatibility: remove after the feature branches land (use ``escrow.fees.services.imports``
and ``escrow.fees.services.statements``)."""

from escrow.fees.services.imports import *  # noqa: F403
from escrow.fees.services.statements import *  # noqa: F403
