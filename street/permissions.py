"""Who sees a street office's dashboard: its street admins and inspectors (memberships in
force). Everybody else gets 404, exactly like a missing office."""

from __future__ import annotations

from django.http import Http404

from communities.models import Role, StreetOffice
from communities.permissions import active_memberships
from street.models import StreetDashboard


def street_role(user, office: StreetOffice) -> str | None:
    """'admin', 'inspector' or None."""
    roles = set(active_memberships(user).filter(street_office=office).values_list("role", flat=True))
    if Role.STREET_ADMIN in roles:
        return "admin"
    if Role.STREET_INSPECTOR in roles:
        return "inspector"
    return None


def access_dashboard(user, slug: str) -> tuple[StreetDashboard, str]:
    """The dashboard and the user's role there; Http404 for missing and forbidden alike."""
    dashboard = StreetDashboard.objects.select_related("street_office").filter(slug=slug).first()
    if dashboard is None:
        raise Http404
    role = street_role(user, dashboard.street_office)
    if role is None:
        raise Http404
    return dashboard, role


def dashboards_of(user) -> list[StreetDashboard]:
    """The dashboards a user may open (for the home page's link)."""
    offices = (
        active_memberships(user)
        .filter(role__in=[Role.STREET_ADMIN, Role.STREET_INSPECTOR], street_office__isnull=False)
        .values("street_office_id")
    )
    return list(StreetDashboard.objects.filter(street_office_id__in=offices).select_related("street_office"))
