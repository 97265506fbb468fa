"""Demo mode (issue 16): the demo's signers share a published authenticator secret and
`manage.py demo_totp EMAIL` prints their current code — only in demo mode, which
`check --deploy` flags."""

from __future__ import annotations

import io

import pytest
from allauth.mfa.totp.internal.auth import validate_totp_code
from django.core.checks import run_checks
from django.core.management import CommandError, call_command

from portal.demo_signers import DEMO_TOTP_SECRET, demo_signers, enrol_demo_signers


def _demo_totp(email: str) -> str:
    out = io.StringIO()
    call_command("demo_totp", email, stdout=out)
    return out.getvalue().strip()


def test_it_enrols_the_people_who_sign_and_nobody_else(world):
    signers = set(demo_signers())
    assert {world.committee, world.committee2, world.chair, world.official} <= signers
    assert not {world.resident, world.staff, world.manager, world.secretary, world.steward} & signers
    assert enrol_demo_signers() == len(signers)
    assert enrol_demo_signers() == 0  # a second run changes nothing


def test_demo_totp_prints_the_code_the_app_shows(world, settings):
    settings.DEMO_MODE = True
    world.committee.email = "committee@example.com"
    world.committee.save(update_fields=["email"])
    enrol_demo_signers([world.committee])
    code = _demo_totp("committee@example.com")
    assert len(code) == 6 and code.isdigit()
    assert validate_totp_code(DEMO_TOTP_SECRET, code)


def test_demo_totp_refuses_outside_demo_mode(world, settings):
    settings.DEMO_MODE = False
    enrol_demo_signers([world.committee])
    with pytest.raises(CommandError, match="demo mode"):
        _demo_totp(world.committee.phone)


def test_demo_totp_refuses_a_person_without_the_app(world, settings):
    settings.DEMO_MODE = True
    with pytest.raises(CommandError, match="no authenticator"):
        _demo_totp(world.resident.phone)


@pytest.mark.parametrize("demo_mode", [True, False])
def test_check_deploy_flags_demo_mode(settings, demo_mode):
    settings.DEMO_MODE = demo_mode
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert ("accounts.W001" in ids) is demo_mode
