"""The settlement API: run, read, confirm (step-up; never the company), and what the public sees."""

from __future__ import annotations

import pytest
from django.urls import reverse

from settlements.models import Settlement, SettlementStatus
from tests.settlements.helpers import YEAR, settled_world
from tests.settlements.test_pages import client_for, stepped_up

pytestmark = pytest.mark.django_db


def test_run_read_and_confirm_through_the_api(world, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    settled_world(world, capture)
    base = reverse("api:settlement-list", args=[world.a.slug])
    assert (
        client_for(world.staff).post(base, {"year": YEAR}, content_type="application/json").status_code == 403
    )
    response = client_for(world.official).post(base, {"year": 2026}, content_type="application/json")
    assert response.status_code == 400 and "year" in response.json()["extra"]["fields"]

    with capture(execute=True):
        response = client_for(world.official).post(
            base, {"year": YEAR, "payee_account": "6222000011112222"}, content_type="application/json"
        )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == SettlementStatus.PENDING  # computed by the worker after the commit
    body = client_for(world.committee).get(reverse("api:settlement-detail", args=[world.a.slug, YEAR])).json()
    assert body["status"] == SettlementStatus.READY
    assert body["figures"]["figures"]["released"] == 21_225_187
    digest = body["digest"]

    # Not confirmed: the public does not see it; the parties do.
    assert client_for(None).get(base).json() == []
    assert len(client_for(world.committee).get(base).json()) == 1
    confirm = reverse("api:settlement-confirm", args=[world.a.slug, YEAR])
    response = client_for(world.committee).post(confirm, {"digest": digest}, content_type="application/json")
    assert response.status_code == 403 and response.json()["extra"]["step_up"] is True
    response = stepped_up(world.staff).post(confirm, {"digest": digest}, content_type="application/json")
    assert response.status_code == 403 and "confirmer" in response.json()["extra"]["fields"]

    for user in (world.committee, world.committee2, world.official):
        with capture(execute=True):
            response = stepped_up(user).post(confirm, {"digest": digest}, content_type="application/json")
        assert response.status_code == 200, response.content
    settlement = Settlement.objects.get(compound=world.a, year=YEAR)
    assert settlement.status == SettlementStatus.RELEASED
    public = client_for(None).get(reverse("api:settlement-detail", args=[world.a.slug, YEAR])).json()
    assert public["payout"] == settlement.payout_id
    assert public["kept_fen"] == 1_117_116
    assert [c["party"] for c in public["confirmations"]] == ["committee", "committee", "community"]
