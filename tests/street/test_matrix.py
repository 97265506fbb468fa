"""The street rows of the URL matrix (tests/url_matrix/street.py) checked on their own
world, plus the inspector (read-only) who is not one of the shared personas."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.pages.helpers import client_for
from tests.street.helpers import dashboard_for
from tests.url_matrix import PERSONAS
from tests.url_matrix.street import ROWS

pytestmark = pytest.mark.django_db
MISSING = 2**31 - 7


def _answer(response):
    if response.status_code == 302 and response["Location"].startswith(reverse("account_login")):
        return "L"
    return response.status_code


def _kwargs(objects, slug):
    return {
        "street": {"slug": slug},
        "street_export": {"slug": slug, "fmt": "csv"},
        "street_flag": {"slug": slug, "pk": MISSING},
    }[objects]


def test_street_rows_of_the_matrix(world):
    slug = dashboard_for(world).slug
    clients = {p: client_for(u) for p, u in world.personas().items()}
    failures = []
    for name, (objects, answers) in ROWS.items():
        expected = [a if a == "L" else int(a) for a in answers.split()]
        url = reverse(name, kwargs=_kwargs(objects, slug))
        for persona, want in zip(PERSONAS, expected, strict=True):
            got = _answer(clients[persona].get(url))
            if got != want:
                failures.append(f"{name} {persona}: expected {want}, got {got}")
    assert failures == [], "\n".join(failures)


def test_the_inspector_reads_every_page_of_the_office(world):
    slug = dashboard_for(world).slug
    inspector = client_for(world.inspector)
    for name in (
        "street:dashboard",
        "street:charts",
        "street:flags",
        "api:street-dashboard",
        "api:street-flags",
    ):
        assert inspector.get(reverse(name, kwargs={"slug": slug})).status_code == 200, name
    # …and is offered no decision or refresh.
    html = inspector.get(reverse("street:flags", kwargs={"slug": slug})).content.decode()
    assert 'name="decision"' not in html
