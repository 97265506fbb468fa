"""Edges of the API's error contract."""

from __future__ import annotations

from communities.models import AuditEvent, Building
from tests.api.conftest import api, call


def test_duplicate_building_name_names_the_field(world):
    before = (Building.objects.count(), AuditEvent.objects.count())
    response = call(world.official, "POST", api(world.a.slug, "buildings/"), {"name": world.building_a.name})
    assert response.status_code == 400
    assert (Building.objects.count(), AuditEvent.objects.count()) == before
    assert "name" in response.json()["extra"]["fields"]


def test_unrouted_api_url_answers_the_error_shape(world, settings):
    settings.DEBUG = False
    response = call(world.street_admin, "GET", api(world.a.slug, "units/not-a-number/"))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == call(world.street_admin, "GET", api("no-such-compound", "units/")).json()
