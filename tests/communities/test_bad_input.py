"""Bad input of issue 2: each refusal is a ValidationError that names the field, and
nothing is written (no row, no audit event)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from common.phone import normalize_phone
from communities import services
from communities.default_duties import default_duty_items
from communities.models import Role
from tests.communities.helpers import assert_names_field, row_counts

# ---------------------------------------------------------------------------- floor area


@pytest.mark.parametrize(
    "area",
    ["0", "0.00", "-0", "-12.5", "2000.01", "99999.99", "100000", "90.123", "NaN", "Infinity", None],
)
def test_unit_create_refuses_floor_area_out_of_range(world, area):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.unit_create(
            building=world.building_a, entrance="2", number="301", floor_area=area, actor=None
        )
    assert_names_field(exc_info, "floor_area")
    assert row_counts() == before


@pytest.mark.parametrize("area", ["abc", ""])
def test_unit_create_refuses_floor_area_that_is_not_a_number(world, area):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.unit_create(
            building=world.building_a, entrance="2", number="301", floor_area=area, actor=None
        )
    assert_names_field(exc_info, "floor_area")
    assert row_counts() == before


def test_unit_create_accepts_the_largest_sane_floor_area(world):
    unit = services.unit_create(
        building=world.building_a, entrance="2", number="301", floor_area="2000.00", actor=None
    )
    assert unit.pk


def test_unit_update_refuses_floor_area_zero_and_keeps_the_old_one(world):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.unit_update(unit=world.unit_a, floor_area="0", actor=None)
    assert_names_field(exc_info, "floor_area")
    world.unit_a.refresh_from_db()
    assert str(world.unit_a.floor_area) == "89.50"
    assert row_counts() == before


# ---------------------------------------------------------------------------- duplicate units


@pytest.mark.parametrize("number", ["101", " 101 "])
def test_unit_create_refuses_a_duplicate_number_in_the_same_entrance(world, number):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.unit_create(
            building=world.building_a, entrance="1", number=number, floor_area="90", actor=None
        )
    assert_names_field(exc_info, "number")
    assert "101" in exc_info.value.message_dict["number"][0]
    assert row_counts() == before


def test_the_same_number_is_fine_in_another_entrance_or_building(world):
    services.unit_create(building=world.building_a, entrance="2", number="101", floor_area="90", actor=None)
    other = services.building_create(compound=world.a, name="2栋", actor=None)
    services.unit_create(building=other, entrance="1", number="101", floor_area="90", actor=None)


def test_unit_update_refuses_renumbering_onto_another_unit(world):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.unit_update(unit=world.unit_a, number="102", actor=None)
    assert_names_field(exc_info, "number")
    assert row_counts() == before


def test_building_create_refuses_a_duplicate_name(world):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.building_create(compound=world.a, name="1栋", actor=None)
    assert_names_field(exc_info, "name")
    assert row_counts() == before


# ---------------------------------------------------------------------------- memberships


def test_membership_create_refuses_ending_before_it_starts(world):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.membership_create(
            user=world.stranger,
            role=Role.COMMITTEE_MEMBER,
            compound=world.a,
            start_date=dt.date(2026, 6, 1),
            end_date=dt.date(2026, 5, 31),
            actor=None,
        )
    assert_names_field(exc_info, "end_date")
    assert row_counts() == before


def test_membership_end_refuses_a_date_before_the_start(world):
    membership = services.membership_create(
        user=world.stranger,
        role=Role.COMMITTEE_MEMBER,
        compound=world.a,
        start_date=dt.date(2026, 6, 1),
        actor=None,
    )
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.membership_end(membership=membership, end_date=dt.date(2026, 5, 1), actor=None)
    assert_names_field(exc_info, "end_date")
    membership.refresh_from_db()
    assert membership.end_date is None
    assert row_counts() == before


@pytest.mark.parametrize(
    ("role", "org", "field"),
    [
        ("treasurer", {"compound": "a"}, "role"),
        (Role.OWNER, {"compound": "a"}, "role"),
        (Role.COMMITTEE_MEMBER, {"community": "community"}, "compound"),
        (Role.COMPANY_STAFF, {"compound": "a"}, "company"),
        (Role.STREET_ADMIN, {"community": "community"}, "street_office"),
        (Role.COMMUNITY_SECRETARY, {"community": "other_community", "compound": "a"}, "compound"),
    ],
)
def test_membership_create_refuses_a_role_in_the_wrong_organisation(world, role, org, field):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.membership_create(
            user=world.stranger, role=role, actor=None, **{k: getattr(world, v) for k, v in org.items()}
        )
    assert_names_field(exc_info, field)
    assert row_counts() == before


# ---------------------------------------------------------------------------- contracts


def test_contract_start_refuses_a_second_active_contract(world):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.contract_start(
            compound=world.a,
            company=world.other_company,
            start_date=dt.date(2026, 1, 1),
            fee_rate_fen=100,
            actor=None,
        )
    assert_names_field(exc_info, "compound")
    assert row_counts() == before


@pytest.mark.parametrize("fee", [0, -1, 5001])
def test_contract_start_refuses_an_absurd_fee_rate(world, fee):
    compound = services.compound_create(
        community=world.community, name="龙泉花园", slug="longquan-x", actor=None
    )
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.contract_start(
            compound=compound,
            company=world.company,
            start_date=dt.date(2026, 1, 1),
            fee_rate_fen=fee,
            actor=None,
        )
    assert_names_field(exc_info, "fee_rate_fen")
    assert row_counts() == before


def test_contract_handover_refuses_a_start_not_after_the_current_one(world):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.contract_handover(
            compound=world.a,
            company=world.other_company,
            start_date=dt.date(2025, 12, 25),
            fee_rate_fen=100,
            actor=None,
        )
    assert_names_field(exc_info, "start_date")
    assert row_counts() == before


def test_contract_handover_refuses_a_compound_without_a_contract(world):
    compound = services.compound_create(
        community=world.community, name="龙泉花园", slug="longquan-y", actor=None
    )
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.contract_handover(
            compound=compound,
            company=world.company,
            start_date=dt.date(2026, 1, 1),
            fee_rate_fen=100,
            actor=None,
        )
    assert_names_field(exc_info, "compound")
    assert row_counts() == before


# ---------------------------------------------------------------------------- duty lists


def _items(numbers: list[int]) -> list[dict]:
    template = default_duty_items()
    return [{**template[i], "number": n} for i, n in enumerate(numbers)]


@pytest.mark.parametrize(
    "numbers",
    [
        [1, 2, 4],  # a gap
        [1, 1, 2],  # a repeat
        [0, 1, 2],  # not from 1
        [2, 3, 4],  # not from 1
        [*range(1, 19), 21],  # 19 items, last one off
    ],
)
def test_duty_list_revise_refuses_numbers_that_are_not_1_to_n(world, numbers):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.duty_list_revise(compound=world.a, items=_items(numbers), reason="调整", actor=None)
    assert_names_field(exc_info, "duties")
    assert row_counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": "三"}, "duties[2]"),
        ({"title": "  "}, "duties[2]"),
        ({"cadence": "fortnightly"}, "duties[2]"),
        ({"by_community": False, "by_committee": False, "by_company": False}, "duties[2]"),
    ],
)
def test_duty_list_revise_refuses_a_malformed_item_and_names_its_row(world, change, field):
    items = _items([1, 2, 3])
    items[1].update(change)
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.duty_list_revise(compound=world.a, items=items, reason="调整", actor=None)
    assert_names_field(exc_info, field)
    assert row_counts() == before


def test_duty_list_revise_refuses_an_empty_list_and_a_missing_reason(world):
    with pytest.raises(ValidationError) as exc_info:
        services.duty_list_revise(compound=world.a, items=[], reason="调整", actor=None)
    assert_names_field(exc_info, "duties")
    with pytest.raises(ValidationError) as exc_info:
        services.duty_list_revise(compound=world.a, items=_items([1, 2]), reason=" ", actor=None)
    assert_names_field(exc_info, "reason")


def test_duty_template_publish_refuses_a_gap_too(world):
    before = row_counts()
    with pytest.raises(ValidationError) as exc_info:
        services.duty_template_publish(
            street_office=world.office, items=_items([1, 3]), reason="x", actor=None
        )
    assert_names_field(exc_info, "duties")
    assert row_counts() == before


def test_duty_items_may_come_in_any_order(world):
    version = services.duty_list_revise(compound=world.a, items=_items([2, 1, 3]), reason="调整", actor=None)
    assert list(version.duties.order_by("number").values_list("number", flat=True)) == [1, 2, 3]


# ---------------------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("+85291234567", "+85291234567"),
    ],
)
def test_phone_numbers_are_stored_in_e164(raw, stored):
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345",
        "12800138000",
        "1380013800",
        "138001380001",
        "+8612800138000",
        "+86138001380",
        "phone",
        "+1",
    ],
)
def test_malformed_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError) as exc_info:
        normalize_phone(raw)
    assert exc_info.value.code == "invalid_phone"


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["12345", "+8612800138000"])
def test_creating_a_user_with_a_malformed_phone_writes_nothing(raw):
    before = User.objects.count()
    with pytest.raises(ValidationError):
        User.objects.create_user(phone=raw, password="x-Gongguan-2026")
    assert User.objects.count() == before


@pytest.mark.django_db
def test_user_validation_names_the_phone_field():
    user = User(username="someone", phone="12345")
    with pytest.raises(ValidationError) as exc_info:
        user.full_clean()
    assert_names_field(exc_info, "phone")
