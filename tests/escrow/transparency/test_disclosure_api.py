"""The disclosures API: list, detail with figures, files, and the officials' actions
(request, publish, correct, reopen) — the same rules as the pages (issue 16)."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from escrow.models import Disclosure, DisclosureStatus, EscrowAccount
from tests.escrow.ledger.helpers import open_escrow
from tests.escrow.transparency.helpers import build, fill_quarter, last_quarter, publish
from tests.escrow.transparency.test_disclosure_pages import client_for


@pytest.fixture
def dw(world, postgres_only):
    open_escrow(world.a, opening_fen=1_000_00)
    open_escrow(world.b, opening_fen=500_00)
    world.q = last_quarter()
    fill_quarter(world.a, world.q)
    return world


@pytest.fixture
def ready(dw, django_capture_on_commit_callbacks):
    return build(django_capture_on_commit_callbacks, dw.a, dw.q, dw.official)


@pytest.fixture
def published(dw, ready, django_capture_on_commit_callbacks):
    return publish(django_capture_on_commit_callbacks, ready, dw.official)


def api(name: str, disclosure=None, compound=None) -> str:
    if disclosure is None:
        return reverse(f"api:disclosure-{name}", kwargs={"slug": compound.slug})
    kwargs = {
        "slug": disclosure.compound.slug,
        "year": disclosure.year,
        "quarter": disclosure.quarter,
        "version": disclosure.version,
    }
    return reverse(f"api:disclosure-{name}", kwargs=kwargs)


def test_anyone_reads_the_published_list_detail_and_files(published, dw):
    client = client_for(None)
    listed = client.get(api("list", compound=dw.a))
    assert listed.status_code == 200
    [row] = listed.json()
    assert (row["year"], row["quarter"], row["version"], row["status"]) == (
        published.year,
        published.quarter,
        1,
        "published",
    )
    assert row["digest"] == published.digest and row["head_hash"] == published.head_hash
    detail = client.get(api("detail", published)).json()
    assert detail["figures"]["closing_balance"] == published.figures["closing_balance"]
    files = client.get(api("files", published)).json()
    assert sorted(f["format"] for f in files) == ["csv", "html", "json", "pdf"]
    for f in files:
        body = client.get(f["url"])
        assert body.status_code == 200
        assert hashlib.sha256(body.content).hexdigest() == f["sha256"]


@pytest.mark.parametrize("persona", ["anonymous", "stranger", "resident", "committee_member"])
def test_a_disclosure_not_published_is_missing_in_the_api_for_others(ready, dw, persona):
    client = client_for(dw.personas()[persona])
    assert client.get(api("list", compound=dw.a)).json() == []
    for name in ("detail", "files"):
        response = client.get(api(name, ready))
        assert response.status_code == 404
        assert set(response.json()) == {"message", "extra"}


def test_officials_see_and_publish_a_ready_disclosure(ready, dw, django_capture_on_commit_callbacks):
    client = client_for(dw.official)
    [row] = client.get(api("list", compound=dw.a)).json()
    assert row["status"] == "ready"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(api("publish", ready), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    again = client.post(api("publish", ready), content_type="application/json")  # idempotent
    assert again.status_code == 200 and again.json()["published_at"] == response.json()["published_at"]


@pytest.mark.parametrize(
    ("persona", "code"),
    [("anonymous", 403), ("stranger", 404), ("outsider", 404), ("resident", 403), ("committee_member", 403)],
)
def test_only_officials_act_through_the_api(ready, dw, persona, code):
    client = client_for(dw.personas()[persona])
    for name, body in (("publish", {}), ("correct", {"reason": "x"}), ("reopen", {"reason": "x"})):
        response = client.post(api(name, ready), body, content_type="application/json")
        assert response.status_code == code, (name, response.content)
    request = client.post(
        api("list", compound=dw.a), {"year": 2026, "quarter": 1}, content_type="application/json"
    )
    assert request.status_code == code
    ready.refresh_from_db()
    assert ready.status == DisclosureStatus.READY


def test_correct_and_reopen_through_the_api(published, dw, django_capture_on_commit_callbacks):
    client = client_for(dw.official)
    bad = client.post(api("correct", published), {"reason": ""}, content_type="application/json")
    assert bad.status_code == 400 and "reason" in bad.json()["extra"]["fields"]
    too_long = client.post(
        api("correct", published), {"reason": "改" * 1001}, content_type="application/json"
    )
    assert too_long.status_code == 400
    reopened = client.post(api("reopen", published), {"reason": "漏记一笔"}, content_type="application/json")
    assert reopened.status_code == 200, reopened.content
    assert EscrowAccount.objects.get(compound=dw.a).closed_through < published.period_end
    with django_capture_on_commit_callbacks(execute=True):
        corrected = client.post(
            api("correct", published), {"reason": "补记一笔"}, content_type="application/json"
        )
    assert corrected.status_code == 201, corrected.content
    assert (corrected.json()["version"], corrected.json()["supersedes_version"]) == (2, 1)
    assert Disclosure.objects.filter(compound=dw.a, version=2).exists()


def test_an_official_requests_a_quarter(dw, django_capture_on_commit_callbacks):
    client = client_for(dw.official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            api("list", compound=dw.a),
            {"year": dw.q.year, "quarter": dw.q.quarter},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    assert response.json()["quarter"] == dw.q.quarter
    bad = client.post(
        api("list", compound=dw.a), {"year": dw.q.year, "quarter": 5}, content_type="application/json"
    )
    assert bad.status_code == 400 and "quarter" in bad.json()["extra"]["fields"]
