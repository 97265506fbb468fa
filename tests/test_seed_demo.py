"""seed_demo builds the Fushan pilot through the services, once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from communities import selectors
from communities.management.commands.seed_demo import COMPOUNDS, DEMO_PASSWORD, LOGINS
from communities.models import Compound, PartyUnit, Role, ServiceContract, StewardAssignment, StreetOffice
from communities.permissions import Capability, standing_in


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("communities", "accounts", "account")
        for model in apps.get_app_config(app).get_models()
    }


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_refuses_without_force_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match=r"DEBUG.*--force"):
        _seed()
    assert not StreetOffice.objects.exists()


@pytest.mark.django_db
def test_it_builds_the_pilot_once(settings):
    settings.DEBUG = False
    first = _seed("--force")

    # 浮山街道 → two communities → five pilot compounds, each with 19 duties and a few hundred flats.
    office = StreetOffice.objects.get(name="浮山街道")
    assert (office.district, office.city) == ("咸安区", "咸宁市")
    assert office.communities.count() == 2
    compounds = Compound.objects.filter(community__street_office=office)
    assert {c.slug for c in compounds} == {p.slug for p in COMPOUNDS}
    assert {"shangcheng", "yinquan", "longquan"} <= {c.slug for c in compounds}
    assert Compound.objects.get(slug="shangcheng").community.name == "书台社区"
    for compound in compounds:
        duties = selectors.current_duty_list(compound)
        assert [d.number for d in duties.duties.all()] == list(range(1, 20)), compound.slug
        assert compound.units.count() >= 200, compound.slug
        areas = list(compound.units.values_list("floor_area", flat=True))
        assert all(60 <= area <= 180 for area in areas)
        assert selectors.active_contract(compound) is not None
        assert 95 <= selectors.active_contract(compound).fee_rate_fen <= 150
        branch = PartyUnit.objects.get(compound=compound, level=PartyUnit.Level.COMPOUND_BRANCH)
        assert branch.parent.level == PartyUnit.Level.COMMUNITY_ORGANISATION
        assert branch.children.count() == compound.buildings.count()
        assert StewardAssignment.objects.filter(compound=compound).count() >= compound.buildings.count()
        assert selectors.committee_seats(compound)

    # 华懋物业 took over 尚城国际 on 2025-12-25 from the old company, without a gap.
    old, new = ServiceContract.objects.filter(compound__slug="shangcheng").order_by("start_date")
    assert (new.company.name, new.start_date, new.status) == ("华懋物业", dt.date(2025, 12, 25), "active")
    assert (old.status, old.end_date) == ("ended", dt.date(2025, 12, 24))

    # One log-in per role, printed; the cross-appointed person holds both roles.
    for login in LOGINS:
        assert login.phone in first and login.email in first
    assert DEMO_PASSWORD in first
    users = {x.key: apps.get_model("accounts", "User").objects.get(phone=x.phone) for x in LOGINS}
    shangcheng = Compound.objects.get(slug="shangcheng")
    assert users["admin"].is_superuser
    cross = standing_in(users["cross"], shangcheng)
    assert {Role.COMMITTEE_MEMBER, Role.COMMUNITY_OFFICIAL} <= cross.roles
    assert {Capability.REVIEW_PAYOUT, Capability.RECHECK_PAYOUT} <= cross.capabilities
    expected = {
        "resident": Role.OWNER,
        "owner_rep": Role.OWNER_REP,
        "staff": Role.COMPANY_STAFF,
        "manager": Role.COMPANY_MANAGER,
        "committee": Role.COMMITTEE_MEMBER,
        "committee2": Role.COMMITTEE_MEMBER,
        "chair": Role.COMMITTEE_CHAIR,
        "official": Role.COMMUNITY_OFFICIAL,
        "secretary": Role.COMMUNITY_SECRETARY,
        "steward": Role.STEWARD,
        "street_admin": Role.STREET_ADMIN,
        "inspector": Role.STREET_INSPECTOR,
    }
    for key, role in expected.items():
        assert role in standing_in(users[key], shangcheng).roles, key
    assert StewardAssignment.objects.filter(membership__user=users["steward"]).count() == 3

    # Log-in by phone (as typed) and by e-mail with the documented password.
    for login in ("13800000005", "committee@example.com"):
        client = Client()
        response = client.post("/accounts/login/", {"login": login, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login
        assert client.get("/").context["user"] == users["committee"]

    # A second run creates nothing and says so.
    before = _counts()
    second = _seed("--force")
    assert _counts() == before
    assert "Nothing to do" in second

    # `make run` seeds only an empty database, and DEBUG on needs no --force.
    with override_settings(DEBUG=True):
        assert "already has compounds" in _seed("--if-empty")
    assert _counts() == before
