"""Failed log-ins lock only the identifier that failed, from the client that failed
(issue 11, item 2). Before: the limit was keyed on the e-mail/username field, empty in
a phone log-in, so five wrong phone log-ins locked phone log-in for every user."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from communities.testing import make_user

PASSWORD = "pw-Gongguan-2026"
LOCKED = "Too many failed login attempts. Try again later."
ATTACKER, VICTIM_IP = "203.0.113.66", "198.51.100.7"


@pytest.fixture(autouse=True)
def _empty_limits():
    cache.clear()
    yield
    cache.clear()


def _login(login, password=PASSWORD, ip=VICTIM_IP):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(reverse("account_login"), {"login": login, "password": password})
    return client, response


def _locked(response) -> bool:
    return response.status_code == 200 and LOCKED in response.content.decode()


def _logged_in(client) -> bool:
    return client.get(reverse("home")).wsgi_request.user.is_authenticated


def _person(**kwargs):
    user = make_user(**kwargs)
    get_adapter().set_phone_verified(user, user.phone)
    return user


def test_five_wrong_phone_log_ins_do_not_lock_out_another_phone_user(db):
    attacked, other = _person(), _person()
    for _ in range(5):
        _client, response = _login(attacked.phone.removeprefix("+86"), "wrong", ip=ATTACKER)
        assert not _locked(response)
    # the attacker, on that number, is now stopped even with the right password
    _client, response = _login(attacked.phone, ip=ATTACKER)
    assert _locked(response)
    # another person logs in by phone from the same address
    client, response = _login(other.phone.removeprefix("+86"), ip=ATTACKER)
    assert response.status_code == 302
    assert _logged_in(client)


def test_a_phone_number_attacked_from_elsewhere_still_logs_in_from_its_owner_s_client(db):
    victim = _person()
    for _ in range(6):
        _login(victim.phone.removeprefix("+86"), "wrong", ip=ATTACKER)
    client, response = _login(victim.phone.removeprefix("+86"), ip=VICTIM_IP)
    assert response.status_code == 302
    assert _logged_in(client)


def test_the_number_counts_as_one_however_it_is_typed(db):
    user = _person()
    national = user.phone.removeprefix("+86")
    typings = [
        national,
        f"+86 {national[:3]} {national[3:7]} {national[7:]}",
        f"0086-{national}",
        user.phone,
        national,
    ]
    for typed in typings:
        _client, response = _login(typed, "wrong", ip=ATTACKER)
        assert not _locked(response)
    _client, response = _login(f"{national[:3]} {national[3:]}", ip=ATTACKER)
    assert _locked(response)


def test_five_wrong_email_log_ins_lock_that_email_from_that_client_only(db):
    attacked = _person(email="owner@example.org")
    other = _person(email="neighbour@example.org")
    for typed in [
        "owner@example.org",
        "Owner@Example.org",
        " OWNER@example.org",
        "owner@example.org",
        "owner@EXAMPLE.org",
    ]:
        _client, response = _login(typed, "wrong", ip=ATTACKER)
        assert not _locked(response)
    _client, response = _login("owner@example.org", ip=ATTACKER)
    assert _locked(response)
    client, response = _login("neighbour@example.org", ip=ATTACKER)
    assert response.status_code == 302
    assert _logged_in(client)
    client, response = _login("owner@example.org", ip=VICTIM_IP)
    assert response.status_code == 302
    assert _logged_in(client)
    assert other.pk != attacked.pk


def test_failures_by_phone_do_not_lock_the_same_person_s_email(db):
    user = _person(email="both@example.org")
    for _ in range(5):
        _login(user.phone, "wrong", ip=ATTACKER)
    _client, response = _login("both@example.org", ip=ATTACKER)
    assert response.status_code == 302
