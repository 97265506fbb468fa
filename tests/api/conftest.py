"""Helpers shared by the API tests: a client per persona and the catalogue of endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from communities.models import AuditEvent, Building, DutyListVersion, Membership, Unit
from communities.selectors import current_duty_list

MISSING_SLUG = "no-such-compound"
MISSING_ID = 2_000_000_000


def api_client(user=None, **defaults) -> APIClient:
    client = APIClient(**defaults)
    if user is not None:
        client.force_login(user)
    return client


def call(user, method: str, url: str, body: dict | None = None, **extra):
    """One request as ``user`` (None = anonymous); JSON in, JSON out."""
    client = api_client(user)
    if method == "GET":
        return client.get(url, body or {}, **extra)
    return getattr(client, method.lower())(url, body or {}, format="json", **extra)


def api(slug: str, rest: str = "") -> str:
    return f"/api/v1/compounds/{slug}/{rest}"


def duty_items(compound) -> list[dict]:
    """The compound's current duty list in the API's input form (what a client edits)."""
    return [
        {
            "number": d.number,
            "title": d.title,
            "description": d.description,
            "parties": list(d.parties),
            "cadence": d.cadence,
        }
        for d in current_duty_list(compound).duties.all()
    ]


def committee_seat(world, compound=None) -> Membership:
    return Membership.objects.get(user=world.committee2, compound=compound or world.a)


def pending_grant(world):
    """A committee seat for the stranger in compound A, asked for by a second street
    admin (so the world's street admin may refuse it); made on first use."""
    from communities import services
    from communities.models import RoleGrant
    from communities.testing import make_user

    grant = RoleGrant.objects.filter(user=world.stranger, compound=world.a).first()
    if grant is None:
        asker = make_user(name="另一位街道管理员")
        services.membership_create(user=asker, role="street_admin", street_office=world.office, actor=None)
        grant = services.role_grant_request(
            user=world.stranger, role="committee_member", compound=world.a, actor=asker
        )
    return grant


@dataclass(frozen=True)
class Endpoint:
    """One method on one URL of compound A, with a valid body for writes.

    ``path(world, slug)`` builds the URL for any slug, so the same request can be
    repeated against a compound that does not exist; ``state(world)`` is what a
    refused request must leave unchanged; ``capability`` is what a member without
    it is told they lack (403)."""

    name: str
    method: str
    path: Callable
    body: Callable | None = None
    state: Callable | None = None
    capability: str | None = None


def _rows(model):
    return lambda world: model.objects.count()


ENDPOINTS = [
    Endpoint("compound_list", "GET", lambda w, s: "/api/v1/compounds/"),
    Endpoint("compound_retrieve", "GET", lambda w, s: api(s)),
    Endpoint("compound_me", "GET", lambda w, s: api(s, "me/")),
    Endpoint("building_list", "GET", lambda w, s: api(s, "buildings/")),
    Endpoint(
        "building_create",
        "POST",
        lambda w, s: api(s, "buildings/"),
        body=lambda w, tag: {"name": f"9栋{tag}", "sort_key": 9},
        state=_rows(Building),
        capability="manage_units",
    ),
    Endpoint("building_retrieve", "GET", lambda w, s: api(s, f"buildings/{w.building_a.pk}/")),
    Endpoint("unit_list", "GET", lambda w, s: api(s, "units/")),
    Endpoint(
        "unit_create",
        "POST",
        lambda w, s: api(s, "units/"),
        body=lambda w, tag: {
            "building": w.building_a.pk,
            "entrance": "2",
            "number": tag,
            "floor_area": "76.30",
        },
        state=_rows(Unit),
        capability="manage_units",
    ),
    Endpoint("unit_retrieve", "GET", lambda w, s: api(s, f"units/{w.unit_a.pk}/")),
    Endpoint(
        "unit_update",
        "PATCH",
        lambda w, s: api(s, f"units/{w.unit_a.pk}/"),
        body=lambda w, tag: {"floor_area": "91.25"},
        state=lambda w: str(Unit.objects.get(pk=w.unit_a.pk).floor_area),
        capability="manage_units",
    ),
    Endpoint("duty_list_current", "GET", lambda w, s: api(s, "duties/")),
    Endpoint(
        "duty_list_revise",
        "POST",
        lambda w, s: api(s, "duties/"),
        body=lambda w, tag: {"reason": f"联席会议决定 {tag}", "duties": duty_items(w.a)},
        state=_rows(DutyListVersion),
        capability="edit_duties",
    ),
    Endpoint("duty_list_version_list", "GET", lambda w, s: api(s, "duties/versions/")),
    Endpoint("duty_list_version_retrieve", "GET", lambda w, s: api(s, "duties/versions/1/")),
    Endpoint("membership_list", "GET", lambda w, s: api(s, "memberships/")),
    Endpoint(
        "membership_create",
        "POST",
        lambda w, s: api(s, "memberships/"),
        body=lambda w, tag: {"phone": w.stranger.phone, "role": "steward", "title": tag},
        state=_rows(Membership),
    ),
    Endpoint("membership_retrieve", "GET", lambda w, s: api(s, f"memberships/{committee_seat(w).pk}/")),
    Endpoint(
        "membership_end",
        "POST",
        lambda w, s: api(s, f"memberships/{committee_seat(w).pk}/end/"),
        body=lambda w, tag: {},
        state=lambda w: committee_seat(w).end_date,
    ),
    Endpoint("role_grant_list", "GET", lambda w, s: api(s, "role-grants/")),
    Endpoint(
        "role_grant_cancel",
        "POST",
        lambda w, s: api(s, f"role-grants/{pending_grant(w).pk}/cancel/"),
        body=lambda w, tag: {},
        state=lambda w: pending_grant(w).status,
    ),
]
BY_NAME = {e.name: e for e in ENDPOINTS}


def audit_count() -> int:
    return AuditEvent.objects.count()


@pytest.fixture
def endpoints():
    return BY_NAME
