"""Simplified Chinese by default; English through the language switcher."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.pages.helpers import page_urls


def test_it_speaks_chinese_by_default(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the real default (tests otherwise read English msgids)
    html = Client().get(page_urls(world.a)["public"]).content.decode()
    assert '<html lang="zh-hans">' in html
    # Translated, not merely tagged: the headings come out of the committed catalogue.
    assert "三方权责清单" in html
    assert "Tripartite duty list" not in html


def test_it_switches_to_english(world):
    client = Client()
    url = page_urls(world.a)["public"]
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302
    assert response["Location"] == url
    html = client.get(url).content.decode()
    assert '<html lang="en">' in html
    assert "Tripartite duty list" in html
    # The data stays as the compound wrote it.
    assert "共管账户管理" in html


def test_it_offers_the_switcher_on_every_page(world):
    client = Client()
    for url in (reverse("home"), page_urls(world.a)["public"], reverse("account_login")):
        html = client.get(url).content.decode()
        assert f'action="{reverse("set_language")}"' in html, url
        assert 'value="en"' in html and 'value="zh-hans"' in html, url
