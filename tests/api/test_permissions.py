"""The permission matrix: every endpoint and method, as each persona, on compound A.

A refusal is checked for its reason, not just its status, so a test cannot pass
because a request failed for some other cause:

* 403 for anonymous is the "not logged in" body — the same for a missing compound;
* 404 is byte-for-byte the body the same person gets for a compound that does not
  exist (forbidden and missing are indistinguishable);
* 403 for a member names the capability they lack;
* a refused write changes nothing and writes no audit event.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import ENDPOINTS, MISSING_SLUG, audit_count, call

PERSONAS = [
    "anonymous",
    "stranger",
    "outsider",
    "resident",
    "company_staff",
    "committee_member",
    "community_official",
    "street_admin",
]

# anonymous stranger outsider resident staff committee official street_admin
MATRIX = """
compound_list               200 200 200 200 200 200 200 200
compound_retrieve           200 200 200 200 200 200 200 200
compound_me                 403 200 200 200 200 200 200 200
building_list               403 404 404 200 200 200 200 200
building_create             403 404 404 403 403 403 201 201
building_retrieve           403 404 404 200 200 200 200 200
unit_list                   403 404 404 404 200 200 200 200
unit_create                 403 404 404 404 403 403 201 201
unit_retrieve               403 404 404 404 200 200 200 200
unit_update                 403 404 404 404 403 403 200 200
duty_list_current           200 200 200 200 200 200 200 200
duty_list_revise            403 403 403 403 403 403 201 201
duty_list_version_list      200 200 200 200 200 200 200 200
duty_list_version_retrieve  200 200 200 200 200 200 200 200
membership_list             403 404 404 404 404 404 404 200
membership_create           403 404 404 404 404 404 404 201
membership_retrieve         403 404 404 404 404 404 404 200
membership_end              403 404 404 404 404 404 404 200
role_grant_list             403 404 404 404 404 404 404 200
role_grant_cancel           403 404 404 404 404 404 404 200
"""
EXPECTED = {
    name: dict(zip(PERSONAS, map(int, codes), strict=True))
    for name, *codes in (line.split() for line in MATRIX.strip().splitlines())
}


def test_the_matrix_covers_every_endpoint_and_persona(world):
    assert set(EXPECTED) == {e.name for e in ENDPOINTS}
    assert list(world.personas()) == PERSONAS


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_permission_matrix(world, endpoint):
    users = world.personas()
    got, problems = {}, []
    for index, persona in enumerate(PERSONAS):
        user = users[persona]
        body = endpoint.body(world, f"{index}{persona[:3]}") if endpoint.body else None
        state_before = endpoint.state(world) if endpoint.state else None
        audits_before = audit_count()

        response = call(user, endpoint.method, endpoint.path(world, world.a.slug), body)
        got[persona] = response.status_code
        expected = EXPECTED[endpoint.name][persona]
        if response.status_code != expected:
            continue
        problems += _why_wrong(world, endpoint, persona, user, response, body)
        if response.status_code >= 400:
            if endpoint.state and endpoint.state(world) != state_before:
                problems.append(f"{persona}: refused, but the data changed")
            if audit_count() != audits_before:
                problems.append(f"{persona}: refused, but an audit event was written")
        elif endpoint.method != "GET" and audit_count() == audits_before:
            problems.append(f"{persona}: {endpoint.method} succeeded without an audit event")
    assert got == EXPECTED[endpoint.name], endpoint.name
    assert not problems


def _why_wrong(world, endpoint, persona, user, response, body) -> list[str]:
    """Check that a refusal happened for the right reason."""
    status = response.status_code
    data = response.json()
    if status >= 400 and set(data) != {"message", "extra"}:
        return [f"{persona}: {status} body is not the error shape: {data}"]
    if status == 404 or (status == 403 and user is None):
        # Exactly what the same person gets for a compound that does not exist.
        missing = call(user, endpoint.method, endpoint.path(world, MISSING_SLUG), body)
        if (missing.status_code, missing.json()) != (status, data):
            return [f"{persona}: {status} {data} differs from a missing compound: {missing.json()}"]
        if data["extra"] != {}:
            return [f"{persona}: a {status} must not carry detail: {data}"]
    elif status == 403:
        if data["extra"] != {"capability": endpoint.capability}:
            return [f"{persona}: 403 for the wrong reason: {data}"]
    return []


def test_anonymous_is_told_to_log_in(world):
    response = call(None, "GET", f"/api/v1/compounds/{world.a.slug}/units/")
    assert response.status_code == 403
    english = call(None, "GET", f"/api/v1/compounds/{world.a.slug}/units/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == {"message": "Authentication credentials were not provided.", "extra": {}}
