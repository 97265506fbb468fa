"""Logging in through the real allauth views: by mobile number (typed the way people
type it) or by e-mail, plus a password; a malformed number gets a clear answer."""

from __future__ import annotations

import re

import pytest
from allauth.account.adapter import get_adapter
from django.test import Client
from django.urls import reverse

from accounts.sms import MemorySmsBackend
from communities.testing import make_user

PASSWORD = "pw-Gongguan-2026"


@pytest.fixture
def sms_outbox():
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


def _code_in(message: str) -> str:
    """The code in an SMS: allauth's default 'ABCD-EFGH' or a run of digits."""
    return re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}|\b\d{4,8}\b", message).group(0)


def _login(client, login, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def _logged_in_as(client):
    return client.get(reverse("home")).wsgi_request.user


def test_it_renders_the_login_page_with_an_sms_code_link(db):
    response = Client().get(reverse("account_login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="login"' in html and 'name="password"' in html
    assert reverse("account_request_login_code") in html
    assert reverse("account_reset_password") in html
    assert 'href="/static/css/app.css"' in html  # our base layout, not allauth's bare one


def test_it_logs_in_by_phone_typed_as_11_digits(world):
    get_adapter().set_phone_verified(world.resident, world.resident.phone)
    client = Client()
    response = _login(client, world.resident.phone.removeprefix("+86"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert _logged_in_as(client) == world.resident
    assert world.a.name in client.get(reverse("home")).content.decode()


def test_it_logs_in_by_phone_typed_with_spaces_and_country_code(world):
    get_adapter().set_phone_verified(world.resident, world.resident.phone)
    national = world.resident.phone.removeprefix("+86")
    client = Client()
    response = _login(client, f"+86 {national[:3]} {national[3:7]} {national[7:]}")
    assert response.status_code == 302
    assert _logged_in_as(client) == world.resident


def test_it_verifies_an_unverified_phone_by_sms_on_first_login(world, sms_outbox):
    client = Client()
    response = _login(client, world.resident.phone.removeprefix("+86"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_verify_phone")
    assert client.get(response["Location"]).status_code == 200
    [sms] = sms_outbox
    assert sms["phone"] == world.resident.phone
    code = _code_in(sms["message"])
    response = client.post(reverse("account_verify_phone"), {"code": code})
    assert response.status_code == 302
    assert _logged_in_as(client) == world.resident
    world.resident.refresh_from_db()
    assert world.resident.phone_verified


def test_it_logs_in_by_email(db):
    user = make_user(name="邮箱用户", email="owner@example.org")
    get_adapter().set_phone_verified(user, user.phone)
    client = Client()
    response = _login(client, "Owner@Example.org")
    assert response.status_code == 302
    assert _logged_in_as(client) == user


def test_it_refuses_a_wrong_password(world):
    get_adapter().set_phone_verified(world.resident, world.resident.phone)
    client = Client()
    response = _login(client, world.resident.phone.removeprefix("+86"), "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not _logged_in_as(client).is_authenticated


@pytest.mark.parametrize("typed", ["1380013800", "138001380001", "phone-13800138000"])
def test_it_explains_a_malformed_phone_number(world, typed):
    client = Client()
    response = _login(client, typed)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"“{typed}”" in html
    assert "13800138000" in html  # the example of what a number looks like
    assert not _logged_in_as(client).is_authenticated


def test_it_sends_a_login_code_by_sms(world, sms_outbox):
    get_adapter().set_phone_verified(world.resident, world.resident.phone)
    client = Client()
    response = client.post(
        reverse("account_request_login_code"), {"phone": world.resident.phone.removeprefix("+86")}
    )
    assert response.status_code == 302
    [sms] = sms_outbox
    code = _code_in(sms["message"])
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert _logged_in_as(client) == world.resident


@pytest.mark.parametrize(
    "name", ["account_login", "account_request_login_code", "account_reset_password", "account_logout"]
)
def test_it_renders_the_account_pages_in_our_layout(world, name):
    client = Client()
    if name == "account_logout":
        client.force_login(world.resident)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'class="topbar"' in response.content.decode()


@pytest.mark.parametrize(
    "name",
    ["mfa_index", "mfa_activate_totp", "mfa_generate_recovery_codes", "account_change_password"],
)
def test_it_renders_the_security_pages_in_our_layout(world, name):
    client = Client()
    client.force_login(world.resident)
    response = client.get(reverse(name))
    assert response.status_code in (200, 302), name
    if response.status_code == 200:
        assert 'class="topbar"' in response.content.decode()
