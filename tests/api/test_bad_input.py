"""Bad input gets a 400 in the one error shape, naming the field, and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest

from communities.models import AuditEvent, Building, DutyListVersion, Membership, RoleGrant, Unit
from tests.api.conftest import api, call, committee_seat, duty_items


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (AuditEvent, Building, DutyListVersion, Membership, Unit)
    }


def assert_refused(response, field: str, before: dict):
    """400, the error shape, ``field`` named in extra.fields, and not a row written."""
    assert response.status_code == 400, response.json()
    data = response.json()
    assert set(data) == {"message", "extra"}
    assert field in data["extra"]["fields"], data
    assert all(isinstance(m, str) and m for m in data["extra"]["fields"][field])
    assert field in data["message"]
    assert _counts() == before


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    "floor_area", ["0", "0.00", "-12.50", "2000.01", "5000", "99999.99", "abc", "", None]
)
def test_unit_create_refuses_impossible_floor_areas(world, floor_area):
    before = _counts()
    body = {"building": world.building_a.pk, "entrance": "3", "number": "301", "floor_area": floor_area}
    response = call(world.official, "POST", api(world.a.slug, "units/"), body)
    assert_refused(response, "floor_area", before)


@pytest.mark.parametrize("floor_area", ["0", "-1", "2000.01", "123456"])
def test_unit_update_refuses_impossible_floor_areas(world, floor_area):
    before = _counts()
    response = call(
        world.official, "PATCH", api(world.a.slug, f"units/{world.unit_a.pk}/"), {"floor_area": floor_area}
    )
    assert_refused(response, "floor_area", before)
    world.unit_a.refresh_from_db()
    assert str(world.unit_a.floor_area) == "89.50"


def test_the_largest_plausible_flat_is_accepted(world):
    body = {"building": world.building_a.pk, "entrance": "3", "number": "301", "floor_area": "2000.00"}
    response = call(world.official, "POST", api(world.a.slug, "units/"), body)
    assert response.status_code == 201
    assert response.json()["floor_area"] == "2000.00"


def test_unit_create_refuses_a_duplicate_number_in_the_building(world):
    before = _counts()
    body = {"building": world.building_a.pk, "entrance": "1", "number": "101", "floor_area": "70.00"}
    response = call(world.official, "POST", api(world.a.slug, "units/"), body)
    assert_refused(response, "number", before)


def test_the_same_number_in_another_entrance_is_fine(world):
    body = {"building": world.building_a.pk, "entrance": "2", "number": "101", "floor_area": "70.00"}
    assert call(world.official, "POST", api(world.a.slug, "units/"), body).status_code == 201


def test_unit_update_refuses_renumbering_onto_a_neighbour(world):
    before = _counts()
    response = call(
        world.official, "PATCH", api(world.a.slug, f"units/{world.unit_a.pk}/"), {"number": "102"}
    )
    assert_refused(response, "number", before)
    world.unit_a.refresh_from_db()
    assert world.unit_a.number == "101"


def test_unit_create_names_every_missing_field(world):
    before = _counts()
    response = call(world.official, "POST", api(world.a.slug, "units/"), {})
    assert_refused(response, "building", before)
    assert set(response.json()["extra"]["fields"]) == {"building", "entrance", "number", "floor_area"}


# --------------------------------------------------------------------------- memberships


def _new_membership(world, **changes):
    return {"phone": world.stranger.phone, "role": "committee_member", **changes}


def test_membership_cannot_end_before_it_starts(world):
    before = _counts()
    body = _new_membership(world, start_date="2026-03-01", end_date="2026-02-28")
    response = call(world.street_admin, "POST", api(world.a.slug, "memberships/"), body)
    assert_refused(response, "end_date", before)


def test_ending_a_membership_before_it_started_is_refused(world):
    seat = committee_seat(world)
    before = _counts()
    day_before = (seat.start_date - dt.timedelta(days=1)).isoformat()
    response = call(
        world.street_admin, "POST", api(world.a.slug, f"memberships/{seat.pk}/end/"), {"end_date": day_before}
    )
    assert_refused(response, "end_date", before)
    seat.refresh_from_db()
    assert seat.end_date is None


@pytest.mark.parametrize(
    "phone",
    [
        "12345",
        "abc",
        "",
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "12800138000",  # mainland mobiles start 13–19
        "+86 128 0013 8000",
        "+86 138 0013 800",
        "+0123456789",
        "138-0013-800x",
    ],
)
def test_membership_create_refuses_malformed_phone_numbers(world, phone):
    before = _counts()
    response = call(
        world.street_admin, "POST", api(world.a.slug, "memberships/"), _new_membership(world, phone=phone)
    )
    assert_refused(response, "phone", before)


def test_membership_create_refuses_a_phone_nobody_uses(world):
    before = _counts()
    body = _new_membership(world, phone="138 0000 0000")
    response = call(world.street_admin, "POST", api(world.a.slug, "memberships/"), body)
    assert_refused(response, "phone", before)


@pytest.mark.parametrize("phone_as_typed", ["{local}", "+86 {spaced}", "0086-{dashed}"])
def test_membership_create_accepts_a_phone_as_people_type_it(world, phone_as_typed):
    local = world.stranger.phone.removeprefix("+86")
    typed = phone_as_typed.format(
        local=local, spaced=f"{local[:3]} {local[3:7]} {local[7:]}", dashed=f"{local[:3]}-{local[3:]}"
    )
    # A committee seat signs payouts: the answer is the request a second admin confirms (202).
    response = call(
        world.street_admin, "POST", api(world.a.slug, "memberships/"), _new_membership(world, phone=typed)
    )
    assert response.status_code == 202, response.json()
    assert RoleGrant.objects.get(pk=response.json()["id"]).user == world.stranger


@pytest.mark.parametrize("role", ["owner", "street_admin", "street_inspector", "janitor"])
def test_membership_create_refuses_roles_not_given_in_a_compound(world, role):
    before = _counts()
    response = call(
        world.street_admin, "POST", api(world.a.slug, "memberships/"), _new_membership(world, role=role)
    )
    assert_refused(response, "role", before)


# --------------------------------------------------------------------------- duty list


def _revise(world, items, reason="联席会议决定调整"):
    return call(world.official, "POST", api(world.a.slug, "duties/"), {"reason": reason, "duties": items})


@pytest.mark.parametrize(
    "numbers",
    [
        [1, 2, 4],  # a gap
        [1, 1, 2],  # a repeat
        [2, 3, 4],  # not starting at 1
        [0, 1, 2],  # zero
    ],
)
def test_duty_list_must_be_numbered_one_to_n(world, numbers):
    items = duty_items(world.a)[:3]
    for item, number in zip(items, numbers, strict=True):
        item["number"] = number
    before = _counts()
    response = _revise(world, items)
    field = "duties[1]" if 0 in numbers else "duties"
    assert_refused(response, field, before)


def test_duty_list_of_nineteen_with_a_gap_is_refused(world):
    items = duty_items(world.a)
    items[-1]["number"] = 20
    before = _counts()
    assert_refused(_revise(world, items), "duties", before)


def test_duty_without_a_responsible_party_is_named_by_row(world):
    items = duty_items(world.a)
    items[2]["parties"] = []
    before = _counts()
    assert_refused(_revise(world, items), "duties[3]", before)


def test_duty_with_an_unknown_cadence_is_named_by_row(world):
    items = duty_items(world.a)
    items[4]["cadence"] = "fortnightly"
    before = _counts()
    assert_refused(_revise(world, items), "duties[5]", before)


def test_an_empty_duty_list_is_refused(world):
    before = _counts()
    assert_refused(_revise(world, []), "duties", before)


def test_a_revision_needs_a_reason(world):
    before = _counts()
    assert_refused(_revise(world, duty_items(world.a), reason=""), "reason", before)
