"""Cross-appointment (交叉任职) gives the union of roles; only memberships in force count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from communities import services
from communities.models import Role
from communities.permissions import Capability, access_compound, compounds_visible_to, standing_in


@pytest.fixture
def cross(world):
    """李委员 of compound A also becomes an official of A's community."""
    services.membership_create(
        user=world.committee, role=Role.COMMUNITY_OFFICIAL, community=world.community, actor=None
    )
    return world.committee


def test_cross_appointment_gives_the_union_of_roles(world, cross):
    standing = standing_in(cross, world.a)
    assert standing.roles == {Role.COMMITTEE_MEMBER, Role.COMMUNITY_OFFICIAL}
    assert {
        Capability.REVIEW_PAYOUT,
        Capability.RECHECK_PAYOUT,
        Capability.EDIT_DUTIES,
    } <= standing.capabilities
    assert len(standing.memberships) == 2


def test_cross_appointment_reaches_the_rest_of_the_community_with_the_community_role_only(world, cross):
    sibling = services.compound_create(
        community=world.community, name="银泉广场", slug="yinquan-x", actor=None
    )
    assert set(compounds_visible_to(cross)) == {world.a, sibling}
    assert standing_in(cross, sibling).roles == {Role.COMMUNITY_OFFICIAL}
    assert not standing_in(cross, sibling).can(Capability.REVIEW_PAYOUT)
    assert world.b not in compounds_visible_to(cross)  # another community


def test_an_owner_who_works_for_the_company_is_known_as_company_staff(world):
    services.unit_owner_add(unit=world.unit_a, user=world.staff, actor=None)
    standing = standing_in(world.staff, world.a)
    assert standing.roles == {Role.OWNER, Role.COMPANY_STAFF}
    assert standing.company_ids == {world.company.pk}


def _committee_membership(world, **dates):
    return services.membership_create(
        user=world.stranger, role=Role.COMMITTEE_MEMBER, compound=world.a, actor=None, **dates
    )


def test_a_membership_that_has_not_started_grants_nothing(world):
    _committee_membership(world, start_date=timezone.localdate() + dt.timedelta(days=1))
    assert standing_in(world.stranger, world.a).roles == set()
    assert not compounds_visible_to(world.stranger).exists()
    with pytest.raises(Http404):
        access_compound(world.stranger, world.a.slug)


def test_a_membership_that_ended_grants_nothing(world):
    membership = _committee_membership(world, start_date=dt.date(2024, 1, 1))
    assert standing_in(world.stranger, world.a).roles == {Role.COMMITTEE_MEMBER}
    services.membership_end(
        membership=membership, end_date=timezone.localdate() - dt.timedelta(days=1), actor=None
    )
    assert standing_in(world.stranger, world.a).roles == set()
    assert not compounds_visible_to(world.stranger).exists()
    with pytest.raises(Http404):
        access_compound(world.stranger, world.a.slug)


def test_a_membership_is_in_force_on_its_last_day(world):
    membership = _committee_membership(world, start_date=dt.date(2024, 1, 1))
    services.membership_end(membership=membership, end_date=timezone.localdate(), actor=None)
    assert standing_in(world.stranger, world.a).roles == {Role.COMMITTEE_MEMBER}


def test_an_ended_street_office_membership_reaches_no_compound(world):
    membership = services.membership_create(
        user=world.stranger,
        role=Role.STREET_ADMIN,
        street_office=world.office,
        start_date=dt.date(2024, 1, 1),
        actor=None,
    )
    assert set(compounds_visible_to(world.stranger)) == {world.a, world.b}
    services.membership_end(membership=membership, end_date=dt.date(2025, 1, 1), actor=None)
    assert not compounds_visible_to(world.stranger).exists()


def test_the_old_companys_staff_lose_their_powers_at_a_handover(world):
    """After 物业更迭 the outgoing company's on-site staff no longer act in the compound,
    though nobody ended their memberships by hand."""
    import datetime as dt

    from communities import services
    from communities.permissions import Capability, compounds_visible_to, standing_in

    assert standing_in(world.staff, world.a).can(Capability.APPLY_PAYOUT)
    newcomer = services.property_company_create(name="新接物业", actor=None)
    services.contract_handover(
        compound=world.a, company=newcomer, start_date=dt.date(2026, 1, 1), fee_rate_fen=130, actor=None
    )
    standing = standing_in(world.staff, world.a)
    assert standing.roles == set()
    assert not standing.can(Capability.APPLY_PAYOUT)
    assert world.a not in compounds_visible_to(world.staff)
    # The employment itself still counts for segregation of duties.
    assert world.company.pk in standing.company_ids
