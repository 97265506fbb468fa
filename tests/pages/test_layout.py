"""The frame every page shares (issue 16): titles, the language menu, one unit label."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from tests.pages.helpers import client_for, page_urls


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def test_it_names_the_site_once_at_the_end_of_each_title(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = client_for(world.resident)
    titles = {
        url: _title(client.get(url).content.decode())
        for url in (reverse("home"), page_urls(world.a)["public"], page_urls(world.a)["members"])
    }
    for url, title in titles.items():
        assert title.endswith(" · 共管"), (url, title)
        assert title.count("共管") == 1 or world.a.name in title, (url, title)
        assert "共管 · 共管" not in title, (url, title)
    assert titles[page_urls(world.a)["public"]].startswith(world.a.name)
    # Pages that fill the `title` block (payouts, notifications) get the suffix too.
    notifications = _title(client.get(reverse("notification-list")).content.decode())
    assert notifications == "通知 · 共管"


def test_it_lists_each_language_in_its_own_name(world, settings):
    for language in ("zh-hans", "en"):
        settings.LANGUAGE_CODE = language
        html = Client().get(reverse("home")).content.decode()
        options = dict(
            re.findall(r'<option value="([a-z-]+)" lang="[a-z-]+"(?: selected)?>([^<]+)</option>', html)
        )
        assert options == {"zh-hans": "简体中文", "en": "English"}, (language, options)
        assert "英语" not in html


def test_the_language_menu_needs_no_inline_script(db):
    html = Client().get(reverse("home")).content.decode()
    assert "onchange=" not in html
    assert "data-autosubmit" in html
    assert "/static/js/site.js" in html


def test_a_unit_is_written_one_way_on_its_statement(world):
    html = (
        client_for(world.resident)
        .get(reverse("escrow:unit-statement", args=[world.a.slug, world.unit_a.pk]))
        .content.decode()
    )
    assert str(world.unit_a) == "1栋1单元101"
    assert "1栋1单元101" in html
    # The bank-transfer reference (SLUG-1栋-1-101) is a code to copy, not a label.
    assert "1栋-1-101" not in html.replace(world.unit_a.reference, "")
