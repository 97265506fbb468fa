"""Who gets what on the settlement pages, with a settlement waiting for confirmation and
one released (the URL matrix world has none)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.settlements.helpers import YEAR, settled_world
from tests.settlements.test_confirm import confirm
from tests.settlements.test_pages import client_for
from tests.settlements.test_settlement import run

pytestmark = pytest.mark.django_db

# persona: (list, detail while ready, detail once released, policy page, run form shown)
EXPECTED = {
    "anonymous": (200, 404, 200, 302, False),
    "stranger": (200, 404, 200, 404, False),
    "outsider": (200, 404, 200, 404, False),
    "resident": (200, 404, 200, 404, False),
    "company_staff": (200, 200, 200, 404, False),
    "committee_member": (200, 200, 200, 404, False),
    "community_official": (200, 200, 200, 404, True),
    "street_admin": (200, 200, 200, 200, False),
}


def test_settlement_pages_by_persona(world, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    settled_world(world, capture)
    settlement = run(capture, world)
    listing = reverse("settlements:list", args=[world.a.slug])
    detail = reverse("settlements:detail", args=[world.a.slug, YEAR])
    policy = reverse("settlements:policy")
    ready = {}
    for name, user in world.personas().items():
        c = client_for(user)
        page = c.get(listing)
        ready[name] = (page.status_code, c.get(detail).status_code, c.get(policy).status_code,
                       'id="run-form"' in page.content.decode())  # fmt: skip
    for who in (world.committee, world.committee2, world.official):
        confirm(capture, settlement, who)
    failures = []
    for name, user in world.personas().items():
        got = (
            ready[name][0],
            ready[name][1],
            client_for(user).get(detail).status_code,
            ready[name][2],
            ready[name][3],
        )
        if got != EXPECTED[name]:
            failures.append(f"{name}: expected {EXPECTED[name]}, got {got}")
    assert failures == []
