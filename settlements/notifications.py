"""Who is told when a settlement is ready, confirmed and released: the three parties."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.notifications import notify
from common.money import format_yuan
from communities.models import Role
from communities.selectors import users_with_roles

PARTY_ROLES = [
    Role.COMMITTEE_MEMBER,
    Role.COMMITTEE_CHAIR,
    Role.COMMUNITY_OFFICIAL,
    Role.COMPANY_MANAGER,
    Role.COMPANY_STAFF,
]


def settlement_url(settlement) -> str:
    return reverse("settlements:detail", kwargs={"slug": settlement.compound.slug, "year": settlement.year})


def notify_parties(settlement, event: str) -> None:
    values = {
        "compound": settlement.compound.name,
        "y": settlement.year,
        "amount": format_yuan(settlement.release_fen or 0),
        "kept": format_yuan(settlement.kept_fen or 0),
    }
    if event == "ready":
        title = (
            _("%(compound)s: the %(y)s settlement is ready for confirmation (release %(amount)s)") % values
        )
    elif event == "confirmed":
        title = (
            _("%(compound)s: the %(y)s settlement is confirmed; %(kept)s stays in the owners' fund") % values
        )
    else:
        title = _("%(compound)s: the %(y)s settlement release of %(amount)s is filed as a payout") % values
    notify(
        users=users_with_roles(settlement.compound, PARTY_ROLES),
        kind=f"settlement.{event}",
        title=title,
        url=settlement_url(settlement),
        compound=settlement.compound,
    )
