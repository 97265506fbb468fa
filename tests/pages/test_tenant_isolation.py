"""A member of compound A gets 404 for every private page of compound B — by its
slug, by guessed slugs, and by POST — and nothing of B leaks into A's pages."""

from __future__ import annotations

from django.urls import reverse

from communities.models import DutyListVersion
from tests.pages.helpers import client_for, duty_post_data, page_urls

MEMBERS_OF_A = [
    "resident",
    "staff",
    "manager",
    "committee",
    "chair",
    "official",
    "secretary",
    "steward",
]
PRIVATE_PAGES = ["members", "duties_edit"]


def test_it_hides_compound_b_from_members_of_a(world):
    leaks = []
    for who in MEMBERS_OF_A:
        client = client_for(getattr(world, who))
        for page in PRIVATE_PAGES:
            status = client.get(page_urls(world.b)[page]).status_code
            if status != 404:
                leaks.append(f"{who} GET {page} of B: {status}")
    assert leaks == []


def test_it_answers_guessed_slugs_like_compound_b(world):
    n = world.b.slug.rsplit("-", 1)[-1]
    guesses = [world.b.slug, f"yinquan-{int(n) + 1}", "yinquan", "longquan-1", world.b.slug.upper()]
    leaks = []
    for who in MEMBERS_OF_A:
        client = client_for(getattr(world, who))
        for slug in guesses:
            for name in ("compound-members", "compound-duties-edit"):
                status = client.get(reverse(name, args=[slug])).status_code
                if status != 404:
                    leaks.append(f"{who} {name} {slug}: {status}")
    assert leaks == []


def test_it_hides_compound_b_from_outsider_of_a(world):
    """And the other way round: the owner in B sees nothing private of A."""
    client = client_for(world.outsider)
    for page in PRIVATE_PAGES:
        assert client.get(page_urls(world.a)[page]).status_code == 404
    assert client.get(page_urls(world.b)["members"]).status_code == 200


def test_it_refuses_a_duty_revision_posted_to_another_compound(world):
    before = DutyListVersion.objects.filter(compound=world.b).count()
    response = client_for(world.official).post(page_urls(world.b)["duties_edit"], duty_post_data(world.b))
    assert response.status_code == 404
    assert DutyListVersion.objects.filter(compound=world.b).count() == before


def test_it_lists_only_my_compounds_on_home(world):
    html = client_for(world.resident).get(reverse("home")).content.decode()
    assert page_urls(world.a)["members"] in html
    assert page_urls(world.b)["members"] not in html


def test_it_lists_both_compounds_for_the_street_admin(world):
    html = client_for(world.street_admin).get(reverse("home")).content.decode()
    assert page_urls(world.a)["members"] in html
    assert page_urls(world.b)["members"] in html
