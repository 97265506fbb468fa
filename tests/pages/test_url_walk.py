"""Walk every page URL as each role on a small world, in Chinese (issue 16): no server
error, no debug page, the site's own error pages, and none of a small set of English
words that must never show on a zh-hans page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from tests.pages.small_world import small_world

# English msgids of the site's own UI: on a Chinese page each means a missing translation.
ENGLISH = [
    "Log out",
    "Log in",
    "Notifications",
    "Security",
    "Language",
    "Home",
    "Balance",
    "Approve",
    "Reject",
    "Submit",
    "Cancel",
    "Download",
    "Members' page",
    "Public page",
    "Escrow ledger",
    "Arrears",
    "Page not found",
    "Not found",
    "Waiting for you",
    "Previous",
    "This field is required",
    "Confirm",
    "Error",
]
ENGLISH_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")
DEBUG_MARKERS = ("Traceback", "You’re seeing this error", "You're seeing this error", "Django Version")
# Not pages: the admin (Django's own), the API (JSON, its own error shape), downloads.
SKIP_PREFIXES = ("admin/", "api/", "i18n/")
ROLES = ["resident", "staff", "committee", "chair", "official", "secretary", "steward", "street_admin"]


def _routes(resolver: URLResolver | None = None, prefix: str = ""):
    for p in (resolver or get_resolver()).url_patterns:
        if not isinstance(p.pattern, RoutePattern):
            continue  # allauth's few regex routes (e-mail and password-reset keys)
        route = prefix + str(p.pattern)
        if isinstance(p, URLPattern):
            yield route
        else:
            yield from _routes(p, route)


def _fill(route: str, values: dict) -> str | None:
    def value(match):
        name = match.group(2)
        return str(values.get(name, 999_999 if match.group(1) == "int" else "x"))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def walk(db, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    world = small_world()
    payout = world.payout
    values = {
        "slug": world.a.slug,
        "pk": payout.pk,
        "attachment_pk": payout.attachments.first().pk,
        "unit_id": world.unit_a.pk,
        "year": 2026,
        "quarter": 1,
        "version": 1,
        "fmt": "pdf",
    }
    urls = sorted({_fill(r, values) for r in _routes() if not r.startswith(SKIP_PREFIXES)})
    return world, urls


def test_every_page_as_every_role_is_chinese_and_never_a_debug_page(walk):
    world, urls = walk
    assert len(urls) > 40
    problems = []
    for role in [None, *ROLES]:
        client = Client(headers={"accept-language": "zh-hans"})
        if role:
            client.force_login(getattr(world, role), backend="django.contrib.auth.backends.ModelBackend")
        for url in urls:
            response = client.get(url)
            status = response.status_code
            if status >= 500:
                problems.append(f"{role} {url}: {status}")
                continue
            if "text/html" not in response.get("Content-Type", "") or status in (301, 302):
                continue
            html = response.content.decode()
            if any(marker in html for marker in DEBUG_MARKERS):
                problems.append(f"{role} {url}: debug page")
            if status in (400, 403, 404) and 'class="topbar"' not in html:
                problems.append(f"{role} {url}: {status} outside the site's layout")
            english = sorted(set(ENGLISH_RE.findall(_visible_text(html))))
            if english:
                problems.append(f"{role} {url}: English {english}")
    assert problems == []


def test_make_run_serves_the_demo_with_debug_off():
    makefile = (settings.BASE_DIR / "Makefile").read_text(encoding="utf-8")
    demo_env = re.search(r"^DEMO_ENV := (.*)$", makefile, re.M).group(1)
    assert "DEBUG=false" in demo_env and "DEMO_MODE=true" in demo_env
    run = re.search(r"^run:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "runserver" in run and all(
        line.strip().startswith(("$(DEMO_ENV)", "@echo")) for line in run.strip().splitlines()
    )
