"""The street office's admin: writes go through services (so each leaves an audit
event), change forms are read-only where no service changes the row, nothing is
deleted, and a street-office admin sees only their own street office."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin as django_admin
from django.test import Client
from django.urls import reverse

from accounts.models import User
from communities import services
from communities.models import (
    AuditEvent,
    Compound,
    Duty,
    DutyListVersion,
    Membership,
    Role,
    ServiceContract,
    Unit,
)
from communities.testing import make_user


def _staff(user) -> Client:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser_client(db):
    user = User.objects.create_superuser(phone="+8613700000001", password="pw-Gongguan-2026")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def office_admin(world):
    """The street admin of the world's office, as a staff user of the admin site."""
    return _staff(world.street_admin)


@pytest.fixture
def other_office_admin(world):
    """Admin of another street office: must see nothing of the world's compounds."""
    office = services.street_office_create(name="温泉街道", actor=None)
    user = make_user(name="温泉街道管理员")
    services.membership_create(user=user, role=Role.STREET_ADMIN, street_office=office, actor=None)
    return _staff(user)


def _url(model, view, *args):
    return reverse(f"admin:communities_{model._meta.model_name}_{view}", args=args)


COMMUNITIES_MODELS = [m for m in django_admin.site._registry if m._meta.app_label == "communities"]


def test_it_registers_every_communities_model():
    from django.apps import apps

    assert set(COMMUNITIES_MODELS) == set(apps.get_app_config("communities").get_models())


@pytest.mark.parametrize("model", COMMUNITIES_MODELS, ids=lambda m: m.__name__)
def test_it_lists_and_shows_each_model_to_a_superuser(world, superuser_client, model):
    assert superuser_client.get(_url(model, "changelist")).status_code == 200
    obj = model._default_manager.first()
    if obj is not None:
        assert superuser_client.get(_url(model, "change", obj.pk)).status_code == 200


def test_it_lets_the_street_office_add_a_compound(world, office_admin):
    response = office_admin.get(_url(Compound, "add"))
    assert response.status_code == 200
    choices = list(response.context["adminform"].form.fields["community"].queryset)
    assert set(choices) == {world.community, world.other_community}

    response = office_admin.post(
        _url(Compound, "add"),
        {
            "community": world.community.pk,
            "name": "龙泉花园",
            "slug": "longquan-test",
            "address": "温泉路1号",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    compound = Compound.objects.get(slug="longquan-test")
    assert compound.community == world.community
    # Through compound_create: the duty list is copied and the event names the admin.
    assert DutyListVersion.objects.get(compound=compound).duties.count() == 19
    event = AuditEvent.objects.get(action="compound.create", compound=compound)
    assert event.actor == world.street_admin
    assert event.ip_address == "127.0.0.1"


def test_it_shows_a_bad_slug_on_the_field_and_writes_nothing(world, office_admin):
    response = office_admin.post(
        _url(Compound, "add"), {"community": world.community.pk, "name": "龙泉花园", "slug": "Long Quan"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["slug"]
    assert not Compound.objects.filter(name="龙泉花园").exists()


def test_it_refuses_a_compound_in_another_street_office(world, other_office_admin):
    response = other_office_admin.post(
        _url(Compound, "add"), {"community": world.community.pk, "name": "越界小区", "slug": "yuejie"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["community"]
    assert not Compound.objects.filter(slug="yuejie").exists()


def test_it_hides_compound_a_from_another_street_office(world, other_office_admin):
    html = other_office_admin.get(_url(Compound, "changelist")).content.decode()
    assert world.a.slug not in html
    response = other_office_admin.get(_url(Compound, "change", world.a.pk))
    assert response.status_code == 302  # "does not exist", like a missing id
    for model in (Unit, AuditEvent):
        changelist = other_office_admin.get(_url(model, "changelist"))
        assert changelist.context["cl"].result_count == 0, model.__name__
    # Only their own membership, none of the world's.
    [membership] = other_office_admin.get(_url(Membership, "changelist")).context["cl"].result_list
    assert membership.street_office != world.office


def test_it_keeps_people_without_a_street_office_role_out(world):
    for user in (world.resident, world.official, world.committee):
        response = _staff(user).get(_url(Compound, "changelist"))
        assert response.status_code == 403, user


def test_it_turns_away_users_who_are_not_staff(world):
    client = Client()
    client.force_login(world.street_admin)
    response = client.get(_url(Compound, "changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_it_lets_an_inspector_read_but_not_write(world):
    client = _staff(world.inspector)
    assert client.get(_url(Compound, "changelist")).status_code == 200
    assert client.get(_url(Compound, "add")).status_code == 403
    assert client.get(_url(Unit, "change", world.unit_a.pk)).status_code == 200
    response = client.post(_url(Unit, "change", world.unit_a.pk), {"floor_area": "1"})
    assert response.status_code == 403


@pytest.mark.parametrize("model", [Compound, Duty, DutyListVersion, AuditEvent], ids=lambda m: m.__name__)
def test_it_makes_rows_without_an_update_service_read_only(world, office_admin, model):
    obj = world.a if model is Compound else model._default_manager.filter(compound=world.a).first()
    response = office_admin.get(_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert office_admin.post(_url(model, "change", obj.pk), {}).status_code == 403


def test_it_never_deletes_or_adds_audit_events(world, superuser_client):
    event = AuditEvent.objects.first()
    assert superuser_client.get(_url(AuditEvent, "add")).status_code == 403
    assert superuser_client.post(_url(AuditEvent, "change", event.pk), {"action": "x"}).status_code == 403
    assert superuser_client.post(_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()


def test_it_changes_a_unit_through_unit_update(world, office_admin):
    unit = world.unit_a
    response = office_admin.post(
        _url(Unit, "change", unit.pk),
        {"entrance": unit.entrance, "number": unit.number, "floor_area": "91.25"},
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert str(unit.floor_area) == "91.25"
    event = AuditEvent.objects.get(action="unit.update", object_id=str(unit.pk))
    assert event.before["floor_area"] == "89.50" and event.after["floor_area"] == "91.25"


def test_it_shows_an_absurd_floor_area_on_the_field(world, office_admin):
    unit = world.unit_a
    response = office_admin.post(
        _url(Unit, "change", unit.pk), {"entrance": unit.entrance, "number": unit.number, "floor_area": "0"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["floor_area"]
    unit.refresh_from_db()
    assert str(unit.floor_area) == "89.50"


def test_it_adds_a_unit_and_refuses_a_duplicate(world, office_admin):
    data = {"building": world.building_a.pk, "entrance": "1", "number": "103", "floor_area": "88.00"}
    assert office_admin.post(_url(Unit, "add"), data).status_code == 302
    assert AuditEvent.objects.filter(action="unit.create", object_repr__contains="103").exists()
    response = office_admin.post(_url(Unit, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["number"]
    assert Unit.objects.filter(building=world.building_a, number="103").count() == 1


def test_it_gives_a_role_to_a_person_found_by_phone(world, office_admin):
    person = make_user(name="新委员")
    response = office_admin.post(
        _url(Membership, "add"),
        {
            "user": person.phone.removeprefix("+86"),
            "role": Role.STEWARD,
            "compound": world.a.pk,
            "title": "管家",
            "start_date": "2026-01-05",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    membership = Membership.objects.get(user=person)
    assert membership.party == "volunteers"
    assert AuditEvent.objects.filter(action="membership.create", object_id=str(membership.pk)).exists()


def test_it_names_the_field_a_role_is_missing(world, office_admin):
    person = make_user(name="新委员")
    response = office_admin.post(
        _url(Membership, "add"),
        {"user": person.phone, "role": Role.STEWARD, "start_date": "2026-01-05"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["compound"]
    response = office_admin.post(
        _url(Membership, "add"),
        {
            "user": "1380013800",
            "role": Role.STEWARD,
            "compound": world.a.pk,
            "start_date": "2026-01-05",
        },
    )
    assert response.context["adminform"].form.errors["user"]
    assert not Membership.objects.filter(user=person).exists()


def test_it_ends_a_membership_through_membership_end(world, office_admin):
    membership = Membership.objects.get(user=world.committee2)
    response = office_admin.post(_url(Membership, "change", membership.pk), {"end_date": "2020-01-01"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end_date"]
    end = membership.start_date + dt.timedelta(days=30)
    response = office_admin.post(_url(Membership, "change", membership.pk), {"end_date": end.isoformat()})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.end_date == end
    assert AuditEvent.objects.filter(action="membership.end", object_id=str(membership.pk)).exists()


def test_it_starts_contracts_and_hands_over_only_when_asked(world, office_admin):
    data = {
        "compound": world.a.pk,
        "company": world.other_company.pk,
        "start_date": "2026-07-01",
        "fee_rate_fen": "130",
    }
    response = office_admin.post(_url(ServiceContract, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["compound"]
    assert ServiceContract.objects.filter(compound=world.a).count() == 1

    response = office_admin.post(_url(ServiceContract, "add"), {**data, "handover": "on"})
    assert response.status_code == 302
    old, new = ServiceContract.objects.filter(compound=world.a).order_by("start_date")
    assert old.status == "ended" and old.end_date == dt.date(2026, 6, 30)
    assert new.status == "active" and new.company == world.other_company
