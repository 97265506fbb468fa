"""The flag rules as the page writes them (one sentence each)."""

from django.utils.translation import gettext_lazy as _

from street.models import FlagKind

RULES = [
    (
        FlagKind.SPLIT_PAYOUTS,
        _(
            "Payouts to one payee filed within 30 days that together reach the compound's resolution "
            "threshold while each one stays under it."
        ),
    ),
    (
        FlagKind.COST_OUTLIER,
        _(
            "An expense category's cost per m² over the last 12 full months whose robust z-score, "
            "0.6745 × (cost − median) ÷ MAD across the office's compounds, is above 3.5 or below −3.5 "
            "(at least 3 compounds with that category; no flag when the MAD is 0)."
        ),
    ),
    (FlagKind.SIGNATURE_WAITING, _("A committee review or community recheck waiting more than 7 days.")),
    (FlagKind.DISCLOSURE_LATE, _("A quarter's disclosure not published 15 days after the quarter ended.")),
    (
        FlagKind.COLLECTION_FALLING,
        _("The collection rate lower than the month before, three complete months in a row."),
    ),
    (
        FlagKind.SHARED_PAYEE_ACCOUNT,
        _(
            "One payee bank account (as stored: bank prefix and last four digits) paid to two differently named payees."
        ),
    ),
]
