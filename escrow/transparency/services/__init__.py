"""Transparency services: quarterly disclosures (DESIGN.md §7), one module per part:

* ``figures`` — the quarter's figures from the closed journal, their digest; which quarters may be disclosed;
* ``build`` — claim, freeze (closes the books), render, ready; resumable; the beat jobs;
* ``publication`` — request, publish, correct, reopen, and what an official may do now;
* ``notifications`` — who is told.

Pages, tasks and other apps import from here: ``from escrow.transparency import services``."""

from escrow.transparency.services.build import (
    BUILD_TASK,
    CLAIM_LEASE,
    MAX_BUILD_ATTEMPTS,
    RENDER_ORDER,
    REPORT_AFTER_ATTEMPTS,
    LostClaim,
    disclosure_build,
    disclosure_ensure,
    disclosures_build_due,
    disclosures_flag_overdue,
    disclosures_sweep,
    render_file,
)
from escrow.transparency.services.figures import (
    DISCLOSURE_FORMAT,
    DisclosureError,
    check_period,
    disclosure_document,
    disclosure_figures,
    figures_digest,
)
from escrow.transparency.services.publication import (
    books_reopen,
    books_reopen_refusal,
    can_correct,
    can_publish,
    can_reopen,
    disclosure_correct,
    disclosure_correct_refusal,
    disclosure_publish,
    disclosure_publish_refusal,
    disclosure_request,
)

__all__ = [
    "BUILD_TASK",
    "CLAIM_LEASE",
    "DISCLOSURE_FORMAT",
    "MAX_BUILD_ATTEMPTS",
    "RENDER_ORDER",
    "REPORT_AFTER_ATTEMPTS",
    "DisclosureError",
    "LostClaim",
    "books_reopen",
    "books_reopen_refusal",
    "can_correct",
    "can_publish",
    "can_reopen",
    "check_period",
    "disclosure_build",
    "disclosure_correct",
    "disclosure_correct_refusal",
    "disclosure_document",
    "disclosure_ensure",
    "disclosure_figures",
    "disclosure_publish",
    "disclosure_publish_refusal",
    "disclosure_request",
    "disclosures_build_due",
    "disclosures_flag_overdue",
    "disclosures_sweep",
    "figures_digest",
    "render_file",
]
