"""The public compound page: no log-in, the 19 duties, and no phone numbers."""

from __future__ import annotations

import re

from django.urls import reverse

from communities.default_duties import DEFAULT_DUTIES
from tests.pages.helpers import client_for, page_urls


def _html(client, compound):
    response = client.get(page_urls(compound)["public"])
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_19_duties_to_anyone(world):
    html = _html(client_for(None), world.a)
    numbers = set(re.findall(r'data-duty-number="(\d+)"', html))
    assert numbers == {str(n) for n in range(1, 20)}
    for duty in DEFAULT_DUTIES:
        assert duty["title"] in html


def test_it_groups_the_duties_by_party(world):
    html = _html(client_for(None), world.a)
    for party in ("community", "committee", "company"):
        assert f'class="duty-group party-{party}"' in html
    # 共管账户管理 (item 4) is a duty of all three parties, so it appears in each group.
    assert html.count("共管账户管理") == 3


def test_it_names_who_runs_the_compound(world):
    html = _html(client_for(None), world.a)
    assert world.a.name in html
    assert world.community.name in html
    assert world.office.name in html
    assert world.company.name in html
    assert "2025-12-25" in html
    for user in (world.chair, world.committee, world.committee2):
        assert user.display_name in html


def test_it_counts_the_stewards(world):
    response = client_for(None).get(page_urls(world.a)["public"])
    assert response.context["steward_count"] == 1


def test_it_shows_no_phone_numbers(world):
    html = _html(client_for(None), world.a)
    for user in (world.chair, world.committee, world.committee2, world.steward, world.official):
        national = user.phone.removeprefix("+86")
        assert national not in html
        assert national[-4:] + "<" not in html  # not even the masked tail
        assert user.masked_phone not in html


def test_it_shows_no_phone_number_for_a_member_without_a_name(world):
    """A user's str() falls back to the username, which is the phone number."""
    world.committee.display_name = ""
    world.committee.save(update_fields=["display_name"])
    html = _html(client_for(None), world.a)
    assert world.committee.phone.removeprefix("+86") not in html


def test_it_answers_404_for_an_unknown_slug(world):
    assert client_for(None).get(reverse("compound-public", args=["nowhere"])).status_code == 404


def test_it_links_members_to_their_page_and_no_one_else(world):
    members_url = page_urls(world.a)["members"]
    assert members_url in _html(client_for(world.resident), world.a)
    assert members_url not in _html(client_for(None), world.a)
    assert members_url not in _html(client_for(world.outsider), world.a)


def test_it_lists_the_pilot_compounds_on_the_landing_page(world):
    html = client_for(None).get(reverse("home")).content.decode()
    assert page_urls(world.a)["public"] in html
    assert page_urls(world.b)["public"] in html
    assert page_urls(world.a)["members"] not in html
