"""Tenant isolation: nobody reads or changes another compound's private data through
the API — not by guessing B's slug, and not by putting B's ids into A's URLs."""

from __future__ import annotations

import pytest

from communities import services
from communities.models import Membership, Unit
from tests.api.conftest import BY_NAME, MISSING_ID, MISSING_SLUG, api, audit_count, call

# Everyone who belongs to compound A in some role; none of them belongs to B
# (B is in another community and served by another company).
MEMBERS_OF_A = ["resident", "staff", "manager", "committee", "chair", "official", "secretary", "steward"]

PRIVATE = [
    "building_list",
    "building_create",
    "building_retrieve",
    "unit_list",
    "unit_create",
    "unit_retrieve",
    "unit_update",
    "membership_list",
    "membership_create",
    "membership_retrieve",
    "membership_end",
]


@pytest.fixture
def seat_in_b(world):
    """A committee seat in B, so that B has a membership id worth guessing."""
    return services.membership_create(
        user=world.outsider, role="committee_member", compound=world.b, actor=None
    )


def _b_path(world, seat_in_b, name: str) -> str:
    """The endpoint's URL in compound B, with B's own ids."""
    slug = world.b.slug
    return {
        "building_list": api(slug, "buildings/"),
        "building_create": api(slug, "buildings/"),
        "building_retrieve": api(slug, f"buildings/{world.building_b.pk}/"),
        "unit_list": api(slug, "units/"),
        "unit_create": api(slug, "units/"),
        "unit_retrieve": api(slug, f"units/{world.unit_b.pk}/"),
        "unit_update": api(slug, f"units/{world.unit_b.pk}/"),
        "membership_list": api(slug, "memberships/"),
        "membership_create": api(slug, "memberships/"),
        "membership_retrieve": api(slug, f"memberships/{seat_in_b.pk}/"),
        "membership_end": api(slug, f"memberships/{seat_in_b.pk}/end/"),
    }[name]


def _b_body(world, name: str):
    return {
        "building_create": {"name": "9栋"},
        "unit_create": {
            "building": world.building_b.pk,
            "entrance": "1",
            "number": "909",
            "floor_area": "80",
        },
        "unit_update": {"floor_area": "1.00"},
        "membership_create": {"phone": world.stranger.phone, "role": "committee_chair"},
        "membership_end": {},
    }.get(name)


def _snapshot(world, seat_in_b):
    return (
        audit_count(),
        list(Unit.objects.filter(compound=world.b).values_list("pk", "floor_area")),
        list(Membership.objects.filter(compound=world.b).values_list("pk", "end_date")),
        world.b.buildings.count(),
    )


@pytest.mark.parametrize("member", MEMBERS_OF_A)
def test_a_member_of_a_gets_404_for_every_private_endpoint_of_b(world, seat_in_b, member):
    user = getattr(world, member)
    before = _snapshot(world, seat_in_b)
    for name in PRIVATE:
        method = BY_NAME[name].method
        body = _b_body(world, name)
        response = call(user, method, _b_path(world, seat_in_b, name), body)
        missing = call(
            user, method, _b_path(world, seat_in_b, name).replace(world.b.slug, MISSING_SLUG), body
        )
        assert response.status_code == 404, (member, name, response.json())
        assert response.json() == missing.json() == {"message": response.json()["message"], "extra": {}}
    assert _snapshot(world, seat_in_b) == before


def test_b_duty_list_is_public_but_not_editable_by_a(world):
    before = audit_count()
    assert call(world.official, "GET", api(world.b.slug, "duties/")).status_code == 200
    body = {"reason": "越权修改", "duties": []}
    response = call(world.official, "POST", api(world.b.slug, "duties/"), body)
    assert response.status_code == 403
    assert response.json()["extra"] == {"capability": "edit_duties"}
    assert audit_count() == before


def test_my_standing_in_b_is_empty_for_a_member_of_a(world):
    response = call(world.official, "GET", api(world.b.slug, "me/"))
    assert response.json() == {"compound": world.b.slug, "roles": [], "capabilities": []}


# --------------------------------------------------------------------------- B's ids through A's URLs

# (who, method, A's URL with B's id, the same URL with an id that exists nowhere)
# The street admin may manage *both* compounds, so these also show that a row is
# looked up inside the compound of the URL, not merely somewhere the user may go.
GUESSES = [
    ("GET", "buildings/{building_b}/", "buildings/{missing}/"),
    ("GET", "units/{unit_b}/", "units/{missing}/"),
    ("PATCH", "units/{unit_b}/", "units/{missing}/"),
    ("GET", "memberships/{seat_b}/", "memberships/{missing}/"),
    ("POST", "memberships/{seat_b}/end/", "memberships/{missing}/end/"),
]


@pytest.mark.parametrize("who", ["official", "street_admin", "committee", "staff"])
@pytest.mark.parametrize(("method", "guess", "missing"), GUESSES)
def test_b_ids_through_a_urls_answer_404(world, seat_in_b, who, method, guess, missing):
    ids = {
        "building_b": world.building_b.pk,
        "unit_b": world.unit_b.pk,
        "seat_b": seat_in_b.pk,
        "missing": MISSING_ID,
    }
    user = getattr(world, who)
    body = {"floor_area": "1.00"} if method == "PATCH" else {}
    before = _snapshot(world, seat_in_b)

    response = call(user, method, api(world.a.slug, guess.format(**ids)), body)
    nothing = call(user, method, api(world.a.slug, missing.format(**ids)), body)

    # Committee members and staff may read A's units but not change them: they are
    # refused before any lookup, with the same 403 whatever the id.
    expected = 403 if method == "PATCH" and who in ("committee", "staff") else 404
    assert response.status_code == expected
    assert (response.status_code, response.json()) == (nothing.status_code, nothing.json())
    assert _snapshot(world, seat_in_b) == before


def test_a_unit_cannot_be_put_into_a_building_of_b(world):
    before = (Unit.objects.count(), audit_count())
    body = {"entrance": "1", "number": "808", "floor_area": "80.00"}

    response = call(
        world.street_admin, "POST", api(world.a.slug, "units/"), {**body, "building": world.building_b.pk}
    )
    nothing = call(world.street_admin, "POST", api(world.a.slug, "units/"), {**body, "building": MISSING_ID})

    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["building"]
    # B's building is "invalid pk" exactly like one that does not exist.
    assert response.json()["extra"]["fields"]["building"] == [
        m.replace(str(MISSING_ID), str(world.building_b.pk))
        for m in nothing.json()["extra"]["fields"]["building"]
    ]
    assert (Unit.objects.count(), audit_count()) == before


def test_filtering_a_units_by_a_building_of_b_finds_nothing(world):
    url = api(world.a.slug, "units/")
    by_b = call(world.street_admin, "GET", url, {"building": world.building_b.pk})
    by_missing = call(world.street_admin, "GET", url, {"building": MISSING_ID})
    assert by_b.status_code == by_missing.status_code == 200
    assert by_b.json()["results"] == by_missing.json()["results"] == []


def test_lists_of_a_never_show_rows_of_b(world, seat_in_b):
    units = call(world.street_admin, "GET", api(world.a.slug, "units/"), {"page_size": 200}).json()["results"]
    assert world.unit_b.pk not in {u["id"] for u in units}
    assert {u["id"] for u in units} == set(Unit.objects.filter(compound=world.a).values_list("pk", flat=True))
    buildings = call(world.street_admin, "GET", api(world.a.slug, "buildings/")).json()["results"]
    assert [b["id"] for b in buildings] == [world.building_a.pk]
    seats = call(world.street_admin, "GET", api(world.a.slug, "memberships/")).json()["results"]
    assert seat_in_b.pk not in {m["id"] for m in seats}


def test_huge_ids_are_missing_not_errors(world):
    # Larger than any BIGINT: must be a plain 404, never a database overflow.
    for path in ("units/{}/", "buildings/{}/", "memberships/{}/", "duties/versions/{}/"):
        response = call(world.street_admin, "GET", api(world.a.slug, path.format(2**70)))
        assert response.status_code == 404, path
    response = call(world.street_admin, "GET", api(world.a.slug, "units/"), {"building": 2**70})
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["building"]
