"""What the read endpoints say — and what they must never say."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from communities import services
from communities.models import Party
from tests.api.conftest import api, api_client, call


def test_compound_public_fields(world):
    data = api_client().get(api(world.a.slug)).json()
    assert data == {
        "slug": world.a.slug,
        "name": "尚城国际",
        "address": "",
        "is_pilot": True,
        "community": "书台社区",
        "street_office": world.office.name,
        "contract": {"company": world.company.name, "start_date": "2025-12-25", "end_date": None},
        "steward_count": 1,
    }


def test_compound_list(world):
    data = api_client().get("/api/v1/compounds/").json()
    assert data["count"] == 2
    assert {c["slug"] for c in data["results"]} == {world.a.slug, world.b.slug}
    b = next(c for c in data["results"] if c["slug"] == world.b.slug)
    assert (b["contract"]["company"], b["steward_count"]) == (world.other_company.name, 0)


def test_compound_list_query_count_does_not_grow_with_compounds(world, django_assert_max_num_queries):
    for n in range(5):
        services.compound_create(
            community=world.community, name=f"试点{n}", slug=f"pilot-{world.a.pk}-{n}", actor=None
        )
    with django_assert_max_num_queries(4):  # count, page, contracts (+ session-less auth)
        response = api_client().get("/api/v1/compounds/")
    assert response.json()["count"] == 7


def test_my_roles(world):
    resident = call(world.resident, "GET", api(world.a.slug, "me/")).json()
    assert [r["role"] for r in resident["roles"]] == ["owner"]
    assert "view_members_area" in resident["capabilities"]
    assert "view_units" not in resident["capabilities"]
    admin = call(world.street_admin, "GET", api(world.a.slug, "me/")).json()
    assert "manage_memberships" in admin["capabilities"]


def test_cross_appointment_shows_every_role(world):
    services.membership_create(user=world.official, role="committee_member", compound=world.a, actor=None)
    me = call(world.official, "GET", api(world.a.slug, "me/")).json()
    assert [r["role"] for r in me["roles"]] == ["committee_member", "community_official"]


def test_duty_list_flat_and_grouped(world):
    data = api_client().get(api(world.a.slug, "duties/")).json()
    duties = data["duties"]
    assert [d["number"] for d in duties] == list(range(1, 20))
    assert all(d["parties"] and d["cadence"] and d["title"] for d in duties)
    groups = {g["party"]: g["numbers"] for g in data["groups"]}
    assert set(groups) == {Party.COMMUNITY, Party.COMMITTEE, Party.COMPANY}
    for duty in duties:
        for party in (Party.COMMUNITY, Party.COMMITTEE, Party.COMPANY):
            assert (duty["number"] in groups[party]) == (party in duty["parties"])


def test_units_carry_no_owner_identities(world):
    response = call(world.committee, "GET", api(world.a.slug, "units/"))
    units = response.json()["results"]
    assert set(units[0]) == {"id", "building", "building_name", "entrance", "number", "floor_area", "label"}
    text = response.content.decode()
    for secret in (world.resident.display_name, world.resident.phone, world.resident.phone[3:]):
        assert secret not in text
    detail = call(world.committee, "GET", api(world.a.slug, f"units/{world.unit_a.pk}/")).content.decode()
    assert world.resident.display_name not in detail


def test_units_filter_by_building_and_entrance(world):
    services.unit_create(building=world.building_a, entrance="2", number="201", floor_area="66", actor=None)
    other = services.building_create(compound=world.a, name="2栋", sort_key=2, actor=None)
    services.unit_create(building=other, entrance="1", number="101", floor_area="66", actor=None)
    url = api(world.a.slug, "units/")

    def numbers(**query):
        response = call(world.committee, "GET", url, query)
        return sorted((u["building_name"], u["entrance"], u["number"]) for u in response.json()["results"])

    assert len(numbers()) == 4
    assert numbers(building=other.pk) == [("2栋", "1", "101")]
    assert numbers(building=world.building_a.pk, entrance="2") == [("1栋", "2", "201")]
    assert numbers(entrance="1") == [("1栋", "1", "101"), ("1栋", "1", "102"), ("2栋", "1", "101")]


@pytest.mark.parametrize("query", [{"building": "abc"}, {"building": "1.5"}, {"building": "-1"}])
def test_units_filter_refuses_a_building_that_is_not_an_id(world, query):
    response = call(world.committee, "GET", api(world.a.slug, "units/"), query)
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["building"]


def test_memberships_mask_phones(world):
    response = call(world.street_admin, "GET", api(world.a.slug, "memberships/"))
    text = response.content.decode()
    seats = response.json()["results"]
    assert {m["role"] for m in seats} >= {"committee_member", "committee_chair", "steward"}
    for person in (world.committee, world.chair, world.steward, world.staff, world.secretary):
        local = person.phone.removeprefix("+86")
        assert local not in text and person.phone not in text
        masked = f"{local[:3]}****{local[-4:]}"
        assert any(m["user"] == {"name": person.display_name, "phone": masked} for m in seats), person
    assert "email" not in json.dumps(seats)


def test_memberships_list_only_this_compound_s_seats(world):
    seats = call(world.street_admin, "GET", api(world.a.slug, "memberships/")).json()["results"]
    users = {m["user"]["name"] for m in seats}
    # committee, stewards and the people narrowed to A; community- or company-wide
    # memberships belong to their organisation and are managed there.
    assert users == {
        world.committee.display_name,
        world.committee2.display_name,
        world.chair.display_name,
        world.steward.display_name,
        world.staff.display_name,
        world.secretary.display_name,
    }


def test_memberships_filter_by_role_and_activity(world):
    former = services.membership_create(
        user=world.stranger, role="steward", compound=world.a, start_date=dt.date(2025, 1, 1), actor=None
    )
    services.membership_end(membership=former, end_date=dt.date(2025, 6, 30), actor=None)
    url = api(world.a.slug, "memberships/")
    chairs = call(world.street_admin, "GET", url, {"role": "committee_chair"}).json()["results"]
    assert [m["user"]["name"] for m in chairs] == [world.chair.display_name]
    active = call(world.street_admin, "GET", url, {"active": "true"}).json()["results"]
    ended = call(world.street_admin, "GET", url, {"active": "false"}).json()["results"]
    assert len(active) == 6
    assert [(m["id"], m["is_active"], m["end_date"]) for m in ended] == [(former.pk, False, "2025-06-30")]
