"""Small worlds for the assessment tests, built through the services."""

from __future__ import annotations

import datetime as dt

from assessments import services
from assessments.models import TemplateItem
from communities import services as community_services
from communities.testing import make_user

SMALL_TEMPLATE = [
    {"title": "综合管理", "items": [{"title": "A", "max_points": 40, "guidance": "g"}]},
    {"title": "环境卫生", "items": [{"title": "B", "max_points": 35, "guidance": "g"}]},
    {"title": "绿化养护", "items": [{"title": "C", "max_points": 25, "guidance": "g"}]},
]


def small_template(world):
    return services.assessment_template_publish(
        street_office=world.office,
        title="试点细则",
        sections=SMALL_TEMPLATE,
        reason="",
        actor=world.street_admin,
    )


def open_round(world, year=2026, quarter=3):
    return services.round_open(compound=world.a, year=year, quarter=quarter, actor=world.official)


def items_of(rnd):
    return list(TemplateItem.objects.filter(template=rnd.template).order_by("number"))


def sheet(rnd, *points, comments=None):
    comments = comments or {}
    return {
        item.pk: {"points": str(p), "comment": comments.get(item.number, "")}
        for item, p in zip(items_of(rnd), points, strict=True)
    }


def owners(world, n):
    """n more units in building A, each with one owner; returns [(unit, owner)]."""
    out = []
    for i in range(n):
        unit = community_services.unit_create(
            building=world.building_a, entrance="2", number=f"{301 + i}", floor_area="88.00", actor=None
        )
        owner = make_user(name=f"业主{i}")
        community_services.unit_owner_add(unit=unit, user=owner, start_date=dt.date(2024, 1, 1), actor=None)
        out.append((unit, owner))
    return out
