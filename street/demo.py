"""The street dashboard of the demo: run after every other stage of seed_demo (escrow,
payouts, disclosures, meetings, assessments), it gives 浮山街道 its dashboard (slug
``fushan``), refreshes the rollups since the escrow accounts opened and computes the
flags — from the demo's own data, so what it raises is real. Idempotent."""

from __future__ import annotations

import sys

from common.money import format_yuan
from communities.models import StreetOffice
from street import selectors, services
from street.models import StreetDashboard

DEMO_OFFICE = "浮山街道"
DEMO_SLUG = "fushan"


def seed_street_demo(
    *, stdout=None, office_name: str = DEMO_OFFICE, slug: str = DEMO_SLUG, refresh: bool = True
) -> dict:
    """``refresh=False`` (a seed run that made nothing new) leaves rollups and flags as they
    are, so a second run of seed_demo writes nothing, not even an audit event."""
    out = stdout or sys.stdout
    office = StreetOffice.objects.filter(name=office_name).first()
    if office is None:
        out.write(f"  street: no street office named {office_name}; nothing to do\n")
        return {}
    if not StreetDashboard.objects.filter(street_office=office).exists():
        services.dashboard_ensure(street_office=office, slug=slug)
    dashboard = StreetDashboard.objects.get(street_office=office)
    if not refresh and dashboard.rollups_refreshed_at is not None:
        out.write(f"  street: /street/{dashboard.slug}/ is up to date\n")
        return {"slug": dashboard.slug}
    rows = services.rollups_refresh(office, months=None)
    flags = services.flags_refresh(office)
    query = selectors.DashboardQuery.parse({})
    totals = selectors.dashboard(office, query)["totals"]
    by_kind: dict[str, int] = {}
    for flag in flags:
        by_kind[flag.kind] = by_kind.get(flag.kind, 0) + 1
    out.write(
        f"  street: /street/{dashboard.slug}/ — {totals.compounds} compounds, "
        f"{format_yuan(totals.money_managed_fen)} managed, {totals.meetings_held} meetings held, "
        f"{totals.topics_resolved} topics resolved, mean score {totals.score_then} → {totals.score_now}, "
        f"{totals.stewards} stewards; {rows} rollup rows; flags {by_kind or 'none'}\n"
    )
    return {"slug": dashboard.slug, "rows": rows, "flags": by_kind, "totals": totals}
