"""The site's own error pages (issue 16): in the site's layout and language, a 403 that
says who may use a page, the API's 404 unchanged, and never Django's debug page."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from communities.models import Role
from tests.pages.helpers import client_for, page_urls


def test_it_names_the_roles_that_may_use_a_page_the_member_may_not(world):
    response = client_for(world.resident).get(page_urls(world.a)["duties_edit"])
    assert response.status_code == 403
    html = response.content.decode()
    assert "This page is not for your role" in html
    # Editing duties belongs to the community office, its secretary and the street office.
    for role in (Role.COMMUNITY_OFFICIAL, Role.COMMUNITY_SECRETARY, Role.STREET_ADMIN):
        assert str(role.label) in html
    assert str(Role.OWNER.label) not in html.split('class="roles-needed"')[1].split("</ul>")[0]
    assert world.a.name in html
    assert 'class="topbar"' in html  # the site's layout


def test_it_answers_a_compound_without_standing_like_a_missing_one(world):
    client = client_for(world.outsider)  # owns a flat in B only
    forbidden = client.get(page_urls(world.a)["duties_edit"])
    missing = client.get(reverse("compound-duties-edit", args=["no-such-compound"]))
    assert forbidden.status_code == missing.status_code == 404
    assert "Page not found" in forbidden.content.decode()
    assert world.a.name not in forbidden.content.decode()


def test_the_api_still_answers_404_to_a_member_without_the_capability(world):
    # A resident may not list the memberships of their compound: the API says "not
    # found", as it always did, in its one error shape.
    response = client_for(world.resident).get(f"/api/v1/compounds/{world.a.slug}/units/")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "extra": {}}


def test_it_shows_a_404_page_in_the_layout_and_the_api_shape_under_api(db):
    page = Client().get("/no/such/page/")
    assert page.status_code == 404
    assert 'class="topbar"' in page.content.decode()
    assert "Page not found" in page.content.decode()
    api = Client().get("/api/v1/no/such/thing/")
    assert api.status_code == 404
    assert api.json() == {"message": "Not found.", "extra": {}}


def test_it_shows_the_404_page_in_chinese_by_default(db):
    with translation.override("zh-hans"):
        response = Client(headers={"accept-language": "zh-hans"}).get("/no/such/page/")
    html = response.content.decode()
    assert "页面不存在" in html
    assert "Page not found" not in html


def test_it_explains_a_refused_csrf_check_in_the_layout(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.official)
    response = client.post(page_urls(world.a)["duties_edit"], {"reason": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "This form has expired" in html
    assert 'class="topbar"' in html


@override_settings(DEBUG=False)
def test_it_renders_the_500_page_without_a_request(db):
    from portal.error_pages import server_error

    response = server_error(Client().get("/").wsgi_request)
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


@pytest.mark.parametrize("path", ["/static/css/app.css"])
def test_it_serves_static_files_with_debug_off(db, path):
    # `make run` serves the demo with DEBUG off: WhiteNoise, not runserver, serves static.
    assert Client().get(path).status_code == 200
