"""Every role's home and every table page on a 360 px phone (issue 16): the page body
never scrolls sideways (a wide table scrolls inside its own box instead)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.pages.small_world import page_paths, small_world

pytestmark = pytest.mark.browser
WIDTH = 360

ROLES = [
    "resident",
    "staff",
    "manager",
    "committee",
    "chair",
    "official",
    "secretary",
    "steward",
    "street_admin",
]


def _phone(browser, live_server, user):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": WIDTH, "height": 740}, locale="zh-CN"
    )
    context.set_default_timeout(20_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": live_server.url},
        ]
    )
    return context


def test_no_page_scrolls_sideways_on_a_360_px_phone(live_server, transactional_db, browser):
    world = small_world()
    paths = page_paths(world)
    overflow = []
    seen = 0
    for role in ROLES:
        context = _phone(browser, live_server, getattr(world, role))
        page = context.new_page()
        for name, path in paths.items():
            response = page.goto(path)
            if response.status != 200:
                continue  # not this role's page: the 403/404 pages are checked below
            seen += 1
            width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
            if width > WIDTH:
                overflow.append(f"{role} {name}: {width}px")
        # The error pages a role meets are laid out for the phone too.
        for path in (paths["arrears"], "/c/no-such-compound/members/"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, (role, path)
        context.close()
    assert overflow == []
    assert seen >= 60  # the walk really opened the pages (9 roles, most pages each)


def test_the_top_bar_keeps_each_link_on_one_line(live_server, transactional_db, browser):
    world = small_world()
    context = _phone(browser, live_server, world.committee)
    page = context.new_page()
    page.goto("/")
    for selector in (".topnav a[href*='/accounts/2fa/']", ".topnav button.link"):
        box = page.locator(selector).bounding_box()
        line = page.evaluate(
            "s => parseFloat(getComputedStyle(document.querySelector(s)).lineHeight)", selector
        )
        assert box["height"] <= line * 1.5, (selector, box, line)  # one line, not two
    options = page.locator(".lang option").all_inner_texts()
    assert options == ["简体中文", "English"]
    context.close()
