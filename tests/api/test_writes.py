"""Writes through the API go through the services: the change happens, and an audit
event records who did it, in which compound, and from which address."""

from __future__ import annotations

from decimal import Decimal

from communities.models import AuditEvent, Building, Membership, Role, RoleGrant, Unit
from communities.selectors import current_duty_list
from tests.api.conftest import api, api_client, committee_seat, duty_items
from tests.security.helpers import second_street_admin, totp_code

CLIENT_IP = "203.0.113.7"


def _as(user):
    # REMOTE_ADDR is what the audit trail trusts (never X-Forwarded-For).
    return api_client(user, REMOTE_ADDR=CLIENT_IP, HTTP_X_FORWARDED_FOR="198.51.100.99")


def _last_audit(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("created_at", "id")


def assert_audited(action: str, *, actor, compound, obj):
    event = _last_audit(action)
    assert event.actor_id == actor.pk
    assert event.compound_id == compound.pk
    assert event.object_id == str(obj.pk)
    assert event.ip_address == CLIENT_IP
    return event


def test_building_create(world):
    response = _as(world.official).post(
        api(world.a.slug, "buildings/"), {"name": "2栋", "sort_key": 2}, format="json"
    )
    assert response.status_code == 201
    building = Building.objects.get(pk=response.json()["id"])
    assert (building.compound, building.name, building.sort_key) == (world.a, "2栋", 2)
    assert response.json() == {"id": building.pk, "name": "2栋", "sort_key": 2}
    assert_audited("building.create", actor=world.official, compound=world.a, obj=building)


def test_unit_create(world):
    body = {"building": world.building_a.pk, "entrance": " 2 ", "number": "1502", "floor_area": "126.40"}
    response = _as(world.street_admin).post(api(world.a.slug, "units/"), body, format="json")
    assert response.status_code == 201
    unit = Unit.objects.get(pk=response.json()["id"])
    assert (unit.compound, unit.building, unit.entrance, unit.number) == (
        world.a,
        world.building_a,
        "2",
        "1502",
    )
    assert unit.floor_area == Decimal("126.40")
    assert response.json()["label"] == "1栋2单元1502"
    assert_audited("unit.create", actor=world.street_admin, compound=world.a, obj=unit)


def test_unit_update_records_before_and_after(world):
    url = api(world.a.slug, f"units/{world.unit_a.pk}/")
    response = _as(world.official).patch(url, {"floor_area": "91.25"}, format="json")
    assert response.status_code == 200
    assert response.json()["floor_area"] == "91.25"
    world.unit_a.refresh_from_db()
    assert world.unit_a.floor_area == Decimal("91.25")
    event = assert_audited("unit.update", actor=world.official, compound=world.a, obj=world.unit_a)
    assert event.before["floor_area"] == "89.50"
    assert event.after["floor_area"] == "91.25"


def test_an_empty_patch_changes_nothing_and_audits_nothing(world):
    before = AuditEvent.objects.count()
    response = _as(world.official).patch(api(world.a.slug, f"units/{world.unit_a.pk}/"), {}, format="json")
    assert response.status_code == 200
    assert AuditEvent.objects.count() == before


def test_duty_list_revise_makes_a_new_version_and_keeps_the_old_one(world):
    items = duty_items(world.a)
    items[0]["title"] = "党建引领（修订）"
    items[0]["parties"] = ["community", "committee"]
    body = {"reason": "第3次联席会议决定", "duties": items}

    response = _as(world.secretary).post(api(world.a.slug, "duties/"), body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert data["version"] == 2
    assert data["reason"] == "第3次联席会议决定"
    assert data["duties"][0]["title"] == "党建引领（修订）"
    assert data["duties"][0]["parties"] == ["community", "committee"]
    assert [d["number"] for d in data["duties"]] == list(range(1, 20))
    current = api_client().get(api(world.a.slug, "duties/")).json()
    assert current["version"] == 2
    first = api_client().get(api(world.a.slug, "duties/versions/1/")).json()
    assert first["duties"][0]["title"] != "党建引领（修订）"
    versions = api_client().get(api(world.a.slug, "duties/versions/")).json()["results"]
    assert [(v["version"], v["duty_count"], v["based_on_version"]) for v in versions] == [
        (2, 19, 1),
        (1, 19, None),
    ]
    event = _last_audit("duty_list.revise")
    assert (event.actor, event.compound, event.ip_address) == (world.secretary, world.a, CLIENT_IP)
    assert event.after["items"][0]["title"] == "党建引领（修订）"


def test_membership_create_attaches_the_role_to_the_compound(world):
    # A committee seat signs payouts: one admin asks (202), a second confirms with a
    # fresh TOTP code, and only then does the person hold the role.
    response = _as(world.street_admin).post(
        api(world.a.slug, "memberships/"),
        {"phone": world.stranger.phone, "role": Role.COMMITTEE_MEMBER, "title": "委员"},
        format="json",
    )
    assert response.status_code == 202
    grant = RoleGrant.objects.get(pk=response.json()["id"])
    assert_audited("role_grant.request", actor=world.street_admin, compound=world.a, obj=grant)
    assert not Membership.objects.filter(user=world.stranger).exists()
    second = second_street_admin(world)
    response = _as(second).post(
        api(world.a.slug, f"role-grants/{grant.pk}/confirm/"), {"totp": totp_code()}, format="json"
    )
    assert response.status_code == 201, response.json()
    membership = Membership.objects.get(pk=response.json()["id"])
    assert (membership.user, membership.compound, membership.role) == (
        world.stranger,
        world.a,
        "committee_member",
    )
    assert_audited("membership.create", actor=second, compound=world.a, obj=membership)
    # and the new member now has the role's powers
    me = api_client(world.stranger).get(api(world.a.slug, "me/")).json()
    assert [r["role"] for r in me["roles"]] == ["committee_member"]
    assert "view_units" in me["capabilities"]


def test_membership_create_company_and_community_roles_use_the_compound_s_organisations(world):
    client = _as(world.street_admin)
    staff = client.post(
        api(world.a.slug, "memberships/"),
        {"phone": world.stranger.phone, "role": "company_staff"},
        format="json",
    )
    secretary = client.post(
        api(world.a.slug, "memberships/"),
        {"phone": world.stranger.phone, "role": "community_secretary"},
        format="json",
    )
    # Property staff do not sign: given at once. A secretary's seat waits for a second admin.
    assert (staff.status_code, secretary.status_code) == (201, 202)
    staff_row = Membership.objects.get(pk=staff.json()["id"])
    secretary_grant = RoleGrant.objects.get(pk=secretary.json()["id"])
    assert (staff_row.company, staff_row.compound) == (world.company, world.a)
    assert (secretary_grant.community, secretary_grant.compound) == (world.community, world.a)


def test_membership_end(world):
    seat = committee_seat(world)
    url = api(world.a.slug, f"memberships/{seat.pk}/end/")
    response = _as(world.street_admin).post(url, {"end_date": str(seat.start_date)}, format="json")
    assert response.status_code == 200
    assert response.json()["end_date"] == str(seat.start_date)
    seat.refresh_from_db()
    assert seat.end_date == seat.start_date
    event = assert_audited("membership.end", actor=world.street_admin, compound=world.a, obj=seat)
    assert event.before == {"end_date": None}
    assert event.after == {"end_date": str(seat.start_date)}


def test_duty_list_revise_refuses_a_lost_update_like_the_page(world):
    """The lost-update check is the service's: a client that edited version 1 while
    version 2 was saved gets 409 naming ``based_on`` and nothing is written."""
    items = duty_items(world.a)
    first = _as(world.secretary).post(
        api(world.a.slug, "duties/"), {"reason": "先保存", "duties": items, "based_on": 1}, format="json"
    )
    assert first.status_code == 201 and first.json()["version"] == 2

    stale = _as(world.official).post(
        api(world.a.slug, "duties/"), {"reason": "基于旧版本", "duties": items, "based_on": 1}, format="json"
    )

    assert stale.status_code == 409
    assert set(stale.json()["extra"]["fields"]) == {"based_on"}
    assert current_duty_list(world.a).version == 2
    # Based on the version now current (or on none, as before), it saves.
    fresh = _as(world.official).post(
        api(world.a.slug, "duties/"), {"reason": "基于新版本", "duties": items, "based_on": 2}, format="json"
    )
    assert fresh.status_code == 201 and fresh.json()["version"] == 3
