"""Nobody appoints themselves, and a role that signs payouts takes two people (issue 11, item 1).

The attack: a street admin gave themselves a committee seat and a community official's
seat through the membership API and signed a payout. Now a signing role is a request
that a second admin of the street office confirms with a fresh second factor."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from accounts.models import Notification
from common.errors import PermissionDeniedError
from communities import services
from communities.models import Membership, Party, Role, RoleGrant
from communities.permissions import ROLE_CAPABILITIES, SIGNING_CAPABILITIES, SIGNING_ROLES, standing_in
from communities.serializers import COMPOUND_ROLES
from communities.testing import make_world
from tests.api.conftest import api, api_client
from tests.security.helpers import fresh_totp_session, second_street_admin, totp_code


def _ask(admin, world, person, role=Role.COMMITTEE_MEMBER):
    return api_client(admin).post(
        api(world.a.slug, "memberships/"), {"phone": person.phone, "role": role}, format="json"
    )


def _can_sign(user, compound) -> bool:
    return bool(standing_in(user, compound).capabilities & SIGNING_CAPABILITIES)


def test_the_street_office_never_holds_a_signing_capability():
    for role, capabilities in ROLE_CAPABILITIES.items():
        if role in (Role.STREET_ADMIN, Role.STREET_INSPECTOR):
            assert not capabilities & SIGNING_CAPABILITIES, role
        if capabilities & SIGNING_CAPABILITIES:
            assert role in SIGNING_ROLES, role


@pytest.mark.parametrize("role", [Role.COMMITTEE_MEMBER, Role.COMMUNITY_OFFICIAL, Role.STEWARD])
def test_it_refuses_a_role_given_to_oneself(world, role):
    response = _ask(world.street_admin, world, world.street_admin, role)
    assert response.status_code == 403
    assert (
        response.json()["message"]
        == "Nobody gives a role to themselves: ask another person of your organisation."
    )
    assert not Membership.objects.filter(user=world.street_admin, compound=world.a).exists()
    assert not RoleGrant.objects.exists()
    assert not _can_sign(world.street_admin, world.a)


def test_a_signing_role_waits_for_a_second_admin_with_a_fresh_second_factor(world):
    second = second_street_admin(world)
    response = _ask(world.street_admin, world, world.stranger)
    assert response.status_code == 202
    body = response.json()
    assert (body["role"], body["status"], body["membership"]) == ("committee_member", "pending", None)
    assert not _can_sign(world.stranger, world.a)
    confirm = api(world.a.slug, f"role-grants/{body['id']}/confirm/")

    # the one who asked cannot confirm, even with a fresh second factor
    asker = api_client(world.street_admin)
    fresh_totp_session(asker, world.street_admin)
    refused = asker.post(confirm, {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "A second person confirms: not the one who asked, nor the one who receives the role."
    )
    # a second admin without a step-up is asked for one
    no_step_up = api_client(second).post(confirm, {}, format="json")
    assert no_step_up.status_code == 403
    assert no_step_up.json()["extra"] == {"step_up": True}
    wrong_code = api_client(second).post(confirm, {"totp": "000000"}, format="json")
    assert wrong_code.status_code == 403
    assert not _can_sign(world.stranger, world.a)

    done = api_client(second).post(confirm, {"totp": totp_code()}, format="json")
    assert done.status_code == 201, done.json()
    assert _can_sign(world.stranger, world.a)
    grant = RoleGrant.objects.get(pk=body["id"])
    assert (grant.status, grant.decided_by, grant.membership_id) == ("confirmed", second, done.json()["id"])
    # confirmed once: a replay is a conflict, not a second seat
    again = api_client(second).post(confirm, {"totp": totp_code(step=1)}, format="json")
    assert again.status_code == 409
    assert Membership.objects.filter(user=world.stranger).count() == 1


def test_the_person_receiving_the_role_cannot_confirm_it(world):
    second = second_street_admin(world)
    grant = services.role_grant_request(
        user=world.street_admin, role=Role.COMMITTEE_MEMBER, compound=world.a, actor=second
    )
    client = api_client(world.street_admin)
    fresh_totp_session(client, world.street_admin)
    response = client.post(api(world.a.slug, f"role-grants/{grant.pk}/confirm/"), {}, format="json")
    assert response.status_code == 403
    assert not _can_sign(world.street_admin, world.a)


def test_someone_outside_the_street_office_cannot_confirm(world):
    # The committee chair may hold signing powers but does not manage memberships.
    grant = services.role_grant_request(
        user=world.stranger, role=Role.COMMITTEE_MEMBER, compound=world.a, actor=world.street_admin
    )
    with pytest.raises(PermissionDeniedError):
        services.role_grant_confirm(grant=grant, actor=world.chair, second_factor=None)
    grant.refresh_from_db()
    assert grant.status == "pending"


def test_every_grant_tells_the_person_and_the_compound_s_other_parties(
    world, django_capture_on_commit_callbacks
):
    second = second_street_admin(world)
    grant = services.role_grant_request(
        user=world.stranger, role=Role.COMMITTEE_MEMBER, compound=world.a, actor=world.street_admin
    )
    # the request itself goes to those who may confirm it, not to the asker
    asked = set(Notification.objects.filter(kind="role.requested").values_list("user_id", flat=True))
    assert second.pk in asked and world.street_admin.pk not in asked
    from django.utils import timezone

    from accounts.stepup import SecondFactor

    services.role_grant_confirm(grant=grant, actor=second, second_factor=SecondFactor("totp", timezone.now()))
    told = set(Notification.objects.filter(kind="role.given").values_list("user_id", flat=True))
    parties = {world.committee, world.committee2, world.chair, world.official, world.secretary, world.staff}
    parties |= {world.manager, world.street_admin, world.inspector}
    assert {u.pk for u in parties} | {world.stranger.pk} <= told
    # not the residents, not the other compound, not the confirmer (who did it)
    assert not told & {world.resident.pk, world.outsider.pk, second.pk}
    mine = Notification.objects.get(kind="role.given", user=world.stranger)
    assert mine.title == f"You are now Committee member of {world.a.name}"


def test_a_direct_grant_also_tells_the_other_parties(world):
    services.membership_create(
        user=world.stranger, role=Role.STEWARD, compound=world.a, actor=world.street_admin
    )
    told = set(Notification.objects.filter(kind="role.given").values_list("user_id", flat=True))
    assert {world.stranger.pk, world.chair.pk, world.official.pk, world.staff.pk} <= told


def test_the_service_refuses_a_signing_role_given_by_one_person(world):
    with pytest.raises(PermissionDeniedError):
        services.membership_create(
            user=world.stranger,
            role=Role.COMMUNITY_OFFICIAL,
            community=world.community,
            actor=world.street_admin,
        )
    assert not Membership.objects.filter(user=world.stranger).exists()


def test_the_requester_may_withdraw_and_a_withdrawn_request_cannot_be_confirmed(world):
    second = second_street_admin(world)
    grant_id = _ask(world.street_admin, world, world.stranger).json()["id"]
    withdrawn = api_client(world.street_admin).post(api(world.a.slug, f"role-grants/{grant_id}/cancel/"))
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "cancelled"
    response = api_client(second).post(
        api(world.a.slug, f"role-grants/{grant_id}/confirm/"), {"totp": totp_code()}, format="json"
    )
    assert response.status_code == 409
    assert not _can_sign(world.stranger, world.a)


def test_role_grants_of_another_compound_are_missing(world):
    grant = services.role_grant_request(
        user=world.stranger, role=Role.COMMITTEE_MEMBER, compound=world.b, actor=world.street_admin
    )
    second = second_street_admin(world)
    response = api_client(second).post(
        api(world.a.slug, f"role-grants/{grant.pk}/confirm/"), {"totp": totp_code()}, format="json"
    )
    assert response.status_code == 404
    listed = api_client(second).get(api(world.a.slug, "role-grants/")).json()["results"]
    assert listed == []


def test_the_admin_asks_for_signing_roles_under_role_grants(world):
    world.street_admin.is_staff = True
    world.street_admin.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(world.street_admin)
    direct = client.post(
        "/admin/communities/membership/add/",
        {
            "user": world.stranger.phone,
            "role": Role.COMMITTEE_CHAIR,
            "compound": world.a.pk,
            "start_date": "2026-01-05",
        },
    )
    assert direct.status_code == 200
    assert direct.context["adminform"].form.errors["role"] == [
        "A role that signs payouts is asked for under “Role grants” and confirmed by a second person."
    ]
    asked = client.post(
        "/admin/communities/rolegrant/add/",
        {"user": world.stranger.phone, "role": Role.COMMITTEE_CHAIR, "compound": world.a.pk},
    )
    assert asked.status_code == 302, asked.context["adminform"].form.errors
    grant = RoleGrant.objects.get(user=world.stranger)
    assert grant.status == "pending"
    own = client.post(
        "/admin/communities/rolegrant/add/",
        {"user": world.street_admin.phone, "role": Role.COMMITTEE_CHAIR, "compound": world.a.pk},
    )
    assert own.status_code == 200
    assert RoleGrant.objects.filter(user=world.street_admin).count() == 0
    # the asker's own "confirm" action changes nothing
    fresh_totp_session(client, world.street_admin)
    client.post(
        "/admin/communities/rolegrant/",
        {"action": "confirm_grants", "_selected_action": [grant.pk]},
    )
    grant.refresh_from_db()
    assert grant.status == "pending"
    assert not _can_sign(world.stranger, world.a)


# --------------------------------------------------------------------------- the property

ACTION = st.one_of(
    st.tuples(
        st.just("give"), st.sampled_from(["me", "stranger", "committee"]), st.sampled_from(COMPOUND_ROLES)
    ),
    st.tuples(st.just("confirm"), st.integers(0, 5)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("end"), st.integers(0, 12)),
)


class OnePersonCannotGainASignature(HypothesisTestCase):
    """Whatever API calls one street admin makes — with a fresh second factor all along —
    they end unable to sign in either compound, as they started."""

    @classmethod
    def setUpTestData(cls):
        cls.world = make_world()
        cls.other = second_street_admin(cls.world)
        # Requests made by someone else: one for the actor themselves, one for a stranger.
        for person in (cls.world.street_admin, cls.world.stranger):
            services.role_grant_request(
                user=person, role=Role.COMMITTEE_CHAIR, compound=cls.world.a, actor=cls.other
            )

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(actions=st.lists(ACTION, max_size=8))
    def test_no_sequence_of_calls_gives_the_caller_a_signature(self, actions):
        world, me = self.world, self.world.street_admin
        assert not _can_sign(me, world.a)
        client = api_client(me)
        fresh_totp_session(client, me)
        people = {"me": me, "stranger": world.stranger, "committee": world.committee}
        for action in actions:
            grants = list(RoleGrant.objects.order_by("pk").values_list("pk", flat=True))
            seats = list(
                Membership.objects.filter(compound=world.a).order_by("pk").values_list("pk", flat=True)
            )
            if action[0] == "give":
                response = client.post(
                    api(world.a.slug, "memberships/"),
                    {"phone": people[action[1]].phone, "role": action[2]},
                    format="json",
                )
            elif action[0] in ("confirm", "cancel") and grants:
                pk = grants[action[1] % len(grants)]
                response = client.post(api(world.a.slug, f"role-grants/{pk}/{action[0]}/"), {}, format="json")
            elif action[0] == "end" and seats:
                pk = seats[action[1] % len(seats)]
                response = client.post(api(world.a.slug, f"memberships/{pk}/end/"), {}, format="json")
            else:
                continue
            assert response.status_code < 500, response.content
        for compound in (world.a, world.b):
            assert not _can_sign(me, compound)
        assert not Membership.objects.filter(user=me).exclude(party=Party.STREET_OFFICE).exists()


def test_a_second_admin_confirms_in_the_admin_with_a_fresh_second_factor(world):
    grant = services.role_grant_request(
        user=world.stranger, role=Role.COMMITTEE_MEMBER, compound=world.a, actor=world.street_admin
    )
    second = second_street_admin(world)
    second.is_staff = True
    second.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(second)
    action = {"action": "confirm_grants", "_selected_action": [grant.pk]}
    client.post("/admin/communities/rolegrant/", action)  # no recent second factor: refused
    grant.refresh_from_db()
    assert grant.status == "pending"
    fresh_totp_session(client, second)
    client.post("/admin/communities/rolegrant/", action)
    grant.refresh_from_db()
    assert (grant.status, grant.decided_by) == ("confirmed", second)
    assert _can_sign(world.stranger, world.a)
