"""Small things of issue 11 item 6 outside escrow: API errors in the API's shape, a GET
that changes nothing, and a Content-Security-Policy on every page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from common.csp import ALLOWED_HANDLERS

# --------------------------------------------------------------------------- API errors


def _boom(*args, **kwargs):
    raise RuntimeError("a bug")


def test_an_api_server_error_answers_the_error_shape(world, monkeypatch):
    monkeypatch.setattr("communities.api.selectors.public_compounds", _boom)
    response = Client(raise_request_exception=False).get("/api/v1/compounds/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "message": "Server error: the request was not completed. Try again later.",
        "extra": {},
    }


def test_a_page_server_error_is_still_a_page(world, monkeypatch):
    monkeypatch.setattr("accounts.views.render", _boom)
    client = Client(raise_request_exception=False)
    client.force_login(world.resident)
    response = client.get("/notifications/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def _too_many_fields() -> str:
    return "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))


def test_an_api_bad_request_answers_the_error_shape(world):
    response = Client().get(f"/api/v1/compounds/?{_too_many_fields()}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "Bad request.", "extra": {}}


def test_an_api_request_for_another_host_answers_the_error_shape(world):
    response = Client().get("/api/v1/compounds/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert json.loads(response.content) == {"message": "Bad request.", "extra": {}}


def test_a_page_bad_request_is_still_a_page(world):
    response = Client().get(f"/accounts/login/?{_too_many_fields()}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --------------------------------------------------------------------------- notifications


@pytest.fixture
def item(world):
    return Notification.objects.create(
        user=world.resident, kind="x", title="公示已发布", url=f"/c/{world.a.slug}/"
    )


def test_opening_a_notification_by_get_changes_nothing(world, item):
    client = Client()
    client.force_login(world.resident)
    response = client.get(reverse("notification-open", args=[item.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"/c/{world.a.slug}/"
    item.refresh_from_db()
    assert item.read_at is None


def test_opening_a_notification_from_the_inbox_posts_and_marks_it_read(world, item):
    client = Client()
    client.force_login(world.resident)
    inbox = client.get(reverse("notification-list")).content.decode()
    assert f'<form method="post" action="{reverse("notification-open", args=[item.pk])}">' in inbox
    response = client.post(reverse("notification-open", args=[item.pk]))
    assert response["Location"] == f"/c/{world.a.slug}/"
    item.refresh_from_db()
    assert item.read_at is not None


def test_someone_else_s_notification_is_not_found_either_way(world, item):
    client = Client()
    client.force_login(world.outsider)
    assert client.get(reverse("notification-open", args=[item.pk])).status_code == 404
    assert client.post(reverse("notification-open", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.read_at is None


# --------------------------------------------------------------------------- CSP


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/c/{slug}/", "/notifications/", "/api/v1/compounds/"]
)
def test_every_response_carries_the_policy(world, path):
    client = Client()
    if path == "/notifications/":
        client.force_login(world.resident)
    response = client.get(path.format(slug=world.a.slug))
    assert response.status_code == 200
    policy = _policy(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]


def _templates():
    for root in TEMPLATE_DIRS:
        yield from root.rglob("*.html")


def test_templates_have_no_inline_script_the_policy_would_block():
    """Every <script> loads a file (or is JSON data); every inline handler is allowed by hash."""
    problems = []
    for path in _templates():
        if path.name.endswith("_pdf.html") or "/pdf" in str(path) or path.name == "document.html":
            continue  # rendered to PDF on the server, never run by a browser
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag:
                problems.append(f"{path}: {tag}")
        for handler in re.findall(r'\son[a-z]+="([^"]*)"', text):
            if handler not in ALLOWED_HANDLERS:
                problems.append(f"{path}: on…={handler!r}")
    assert problems == []
