"""Helpers of the street dashboard tests: the office's dashboard, an inspector, a second
street office with its own admin, and a third/fourth compound for the cost comparison."""

from __future__ import annotations

from communities import services as cs
from communities.testing import make_user
from street.models import StreetDashboard
from street.services import dashboard_ensure


def dashboard_for(world) -> StreetDashboard:
    return dashboard_ensure(street_office=world.office, slug=f"fushan-{world.office.pk}")


def other_office(world):
    office = cs.street_office_create(name=f"温泉街道{world.office.pk}", actor=None)
    admin = make_user(name="别的街道管理员")
    cs.membership_create(user=admin, role="street_admin", street_office=office, actor=None)
    dashboard = dashboard_ensure(street_office=office, slug=f"wenquan-{office.pk}")
    return office, admin, dashboard


def more_compounds(world, n: int, *, area: str = "100.00"):
    """``n`` more compounds of the office, each with one building and one flat of ``area``."""
    out = []
    for k in range(n):
        c = cs.compound_create(
            community=world.community, name=f"小区{k}", slug=f"extra-{world.office.pk}-{k}", actor=None
        )
        b = cs.building_create(compound=c, name="1栋", actor=None)
        cs.unit_create(building=b, entrance="1", number="101", floor_area=area, actor=None)
        out.append(c)
    return out
