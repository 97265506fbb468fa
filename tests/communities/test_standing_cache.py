"""A person's standing in a compound: computed once per request, cached across requests
under a generation every role change bumps, and never stale after a revoke (issue 17)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.request_context import _memo
from communities import services
from communities.models import Membership, Party, Role, ServiceContract, UnitOwnership, _active_q
from communities.permissions import (
    STANDING_GENERATION_KEY,
    Capability,
    access_compound,
    active_memberships,
    forget_standings,
    reaching_q,
    standing_generation,
    standing_in,
)
from communities.testing import make_user

STANDING_TABLES = ("communities_membership", "communities_unitownership", "communities_servicecontract")


def _standing_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in STANDING_TABLES)]


def _reference_roles(user, compound, on=None) -> set[str]:
    """The rule as it was written before issue 17: one OR-join over the memberships."""
    on = on or timezone.localdate()
    roles = set()
    if UnitOwnership.objects.filter(_active_q(on=on), user=user, compound=compound).exists():
        roles.add(Role.OWNER)
    roles |= set(active_memberships(user, on).filter(reaching_q(compound)).values_list("role", flat=True))
    return roles


def _reference_company_ids(user, on=None) -> set[int]:
    return set(active_memberships(user, on).filter(party=Party.COMPANY).values_list("company_id", flat=True))


@pytest.fixture
def in_a_request():
    """What RequestContextMiddleware does around a view: a fresh memo."""
    token = _memo.set({})
    yield
    _memo.reset(token)


# ------------------------------------------------------------------ same answers as the OR-join


def test_standing_agrees_with_the_or_join_rule_for_every_person_and_compound(world):
    people = [
        world.resident,
        world.staff,
        world.manager,
        world.committee,
        world.chair,
        world.official,
        world.secretary,
        world.steward,
        world.street_admin,
        world.inspector,
        world.outsider,
        world.stranger,
    ]
    # A company-wide manager of the other company, and a staff member assigned to b.
    services.membership_create(
        user=world.manager, role=Role.COMPANY_MANAGER, company=world.other_company, actor=None
    )
    services.membership_create(
        user=world.staff, role=Role.COMPANY_STAFF, company=world.other_company, compound=world.b, actor=None
    )
    for compound in (world.a, world.b):
        for person in people:
            standing = standing_in(person, compound)
            assert standing.roles == _reference_roles(person, compound), (person, compound)
            assert standing.company_ids == _reference_company_ids(person), (person, compound)
            assert len({m.pk for m in standing.memberships}) == len(standing.memberships)


def test_a_miss_costs_at_most_three_queries_and_no_or_join(world):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        standing_in(world.staff, world.a)
    assert len(queries.captured_queries) <= 3
    for query in queries.captured_queries:
        assert "DISTINCT" not in query["sql"].upper()
        assert " OR " not in query["sql"].upper().replace("IS NULL OR", "")


# ------------------------------------------------------------------ once per request, cached across


def test_within_a_request_the_standing_is_computed_once(world, in_a_request, settings):
    settings.STANDING_CACHE_SECONDS = 0  # the memo alone
    standing_in(world.committee, world.a)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert Role.COMMITTEE_MEMBER in standing_in(world.committee, world.a).roles
    assert queries.captured_queries == []


def test_a_caller_that_adds_a_role_to_its_copy_changes_nobody_elses(world, in_a_request):
    standing_in(world.resident, world.a).roles.add(Role.STREET_ADMIN)
    assert Role.STREET_ADMIN not in standing_in(world.resident, world.a).roles


def test_a_second_request_of_the_same_person_reads_no_membership_row(world, client):
    client.force_login(world.committee)
    url = reverse("escrow:ledger", args=[world.a.slug])
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert _standing_queries(queries) == []


def test_the_first_request_checks_access_in_at_most_three_queries(world, client):
    client.force_login(world.committee)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("escrow:ledger", args=[world.a.slug])).status_code == 200
    assert len(_standing_queries(queries)) <= 3


# ------------------------------------------------------------------ invalidation


def test_a_role_ended_yesterday_stops_working_on_the_next_request(world, client):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    member = services.membership_create(
        user=world.stranger,
        role=Role.COMMITTEE_MEMBER,
        compound=world.a,
        start_date=yesterday - dt.timedelta(days=30),
        actor=None,
    )
    client.force_login(world.stranger)
    url = reverse("escrow:ledger", args=[world.a.slug])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # now from the cache
    services.membership_end(membership=member, end_date=yesterday, actor=None)
    assert client.get(url).status_code == 404


def test_a_deleted_membership_and_ownership_stop_working_at_once(world):
    assert Role.OWNER in standing_in(world.resident, world.a).roles
    UnitOwnership.objects.filter(user=world.resident).delete()  # a queryset delete still signals
    assert standing_in(world.resident, world.a).roles == set()
    assert Role.STEWARD in standing_in(world.steward, world.a).roles
    for membership in Membership.objects.filter(user=world.steward):
        membership.steward_assignments.all().delete()
        membership.delete()
    assert standing_in(world.steward, world.a).roles == set()


def test_a_confirmed_role_grant_works_on_the_next_request(world):
    from accounts.stepup import SecondFactor

    second = make_user(name="第二位街道管理员")
    services.membership_create(user=second, role=Role.STREET_ADMIN, street_office=world.office, actor=None)
    assert standing_in(world.stranger, world.a).roles == set()
    grant = services.role_grant_request(
        user=world.stranger, role=Role.COMMITTEE_MEMBER, compound=world.a, actor=world.street_admin
    )
    assert standing_in(world.stranger, world.a).roles == set()  # pending: nothing yet
    services.role_grant_confirm(grant=grant, actor=second, second_factor=SecondFactor("totp", timezone.now()))
    assert standing_in(world.stranger, world.a).can(Capability.REVIEW_PAYOUT)


def test_a_role_expires_with_its_end_date(world):
    today = timezone.localdate()
    member = services.membership_create(
        user=world.stranger,
        role=Role.COMMITTEE_CHAIR,
        compound=world.a,
        start_date=today - dt.timedelta(days=10),
        end_date=today,
        actor=None,
    )
    assert Role.COMMITTEE_CHAIR in standing_in(world.stranger, world.a).roles  # cached for today
    tomorrow = today + dt.timedelta(days=1)
    assert standing_in(world.stranger, world.a, on=tomorrow).roles == set()
    assert member.is_active_on(today) and not member.is_active_on(tomorrow)


def test_a_contract_handover_ends_the_old_companys_access(world):
    assert Role.COMPANY_STAFF in standing_in(world.staff, world.a).roles
    services.contract_handover(
        compound=world.a,
        company=world.other_company,
        start_date=timezone.localdate() + dt.timedelta(days=1),
        fee_rate_fen=100,
        actor=None,
    )
    # The old contract is ENDED at once (its status decides), the new one starts tomorrow.
    assert not ServiceContract.objects.filter(
        compound=world.a, company=world.company, status=ServiceContract.Status.ACTIVE
    ).exists()
    assert standing_in(world.staff, world.a).roles == set()
    assert world.company.pk in standing_in(world.staff, world.a).company_ids


def test_moving_a_compound_to_another_community_is_seen_without_a_bump(world):
    assert Role.COMMUNITY_OFFICIAL in standing_in(world.official, world.a).roles
    generation = standing_generation()
    world.a.community = world.other_community
    world.a.save(update_fields=["community"])
    assert standing_generation() == generation
    assert standing_in(world.official, world.a).roles == set()


def test_a_bulk_update_needs_forget_standings(world):
    """QuerySet.update() sends no signal: the cache does not see it until someone calls
    forget_standings() — which is why the services never update memberships in bulk."""
    assert Role.COMMITTEE_MEMBER in standing_in(world.committee, world.a).roles
    past = timezone.localdate() - dt.timedelta(days=5)
    Membership.objects.filter(user=world.committee).update(
        start_date=past - dt.timedelta(days=5), end_date=past
    )
    assert Role.COMMITTEE_MEMBER in standing_in(world.committee, world.a).roles  # stale: the test can fail
    forget_standings()
    assert standing_in(world.committee, world.a).roles == set()


def test_inside_a_transaction_the_standing_is_read_afresh_and_not_cached(world):
    assert Role.COMMITTEE_MEMBER in standing_in(world.committee, world.a).roles  # cached
    past = timezone.localdate() - dt.timedelta(days=5)
    with transaction.atomic():
        Membership.objects.filter(user=world.committee).update(
            start_date=past - dt.timedelta(days=5), end_date=past
        )
        assert standing_in(world.committee, world.a).roles == set()  # the database, not the cache
        with CaptureQueriesContext(connection) as queries:
            standing_in(world.committee, world.a)
        assert queries.captured_queries  # not memoised either


def test_a_role_given_in_a_transaction_that_rolls_back_is_never_cached(world):
    class Boom(Exception):
        pass

    # The services open durable transactions of their own; a plain save signals the same.
    with pytest.raises(Boom), transaction.atomic():
        Membership.objects.create(
            user=world.stranger, party=Party.COMMITTEE, role=Role.COMMITTEE_MEMBER, compound=world.a
        )
        assert Role.COMMITTEE_MEMBER in standing_in(world.stranger, world.a).roles
        raise Boom
    assert standing_in(world.stranger, world.a).roles == set()


def test_an_evicted_generation_starts_again_far_from_the_old_ones(world):
    before = standing_generation()
    cache.delete(STANDING_GENERATION_KEY)
    after = standing_generation()
    assert after != before
    forget_standings()
    assert standing_generation() == after + 1


def test_access_compound_answers_404_after_the_last_role_ends(world, in_a_request):
    compound, standing = access_compound(world.committee, world.a.slug)
    assert compound == world.a and standing.roles == {Role.COMMITTEE_MEMBER}
    past = timezone.localdate() - dt.timedelta(days=5)
    Membership.objects.filter(user=world.committee).update(
        start_date=past - dt.timedelta(days=5), end_date=past
    )
    forget_standings()  # also drops this request's memo
    from django.http import Http404

    with pytest.raises(Http404):
        access_compound(world.committee, world.a.slug)


def test_the_cache_holds_plain_rows_and_refuses_another_shape(world):
    from communities import permissions

    standing = standing_in(world.staff, world.a)
    stored = permissions._to_cache(standing)
    again = permissions._from_cache(stored, world.a)
    assert again.roles == standing.roles
    assert [(m.pk, m.role, m.company_id, m.end_date) for m in again.memberships] == [
        (m.pk, m.role, m.company_id, m.end_date) for m in standing.memberships
    ]
    roles, columns, rows = stored
    assert permissions._from_cache((roles, (*columns, "new_column"), rows), world.a) is None
    assert permissions._from_cache("garbage", world.a) is None
