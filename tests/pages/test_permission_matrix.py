"""Every page, every persona: 200, a redirect to log in, 404 or 403.

A compound the user has no standing in answers exactly like a missing one (404); inside a
compound they belong to, a page their roles may not use answers 403 and says who may
(issue 16: this used to be a 404 too)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.pages.helpers import client_for, page_urls

OK, LOGIN, FORBIDDEN, NOT_FOUND = 200, "login", 403, 404

PERSONAS = [
    "anonymous",
    "stranger",
    "outsider",
    "resident",
    "company_staff",
    "committee_member",
    "community_official",
    "street_admin",
]

# Pages of compound A. The outsider owns a flat in B only; the stranger belongs nowhere.
EXPECTED = {
    "home": dict.fromkeys(PERSONAS, OK),
    "public": dict.fromkeys(PERSONAS, OK),
    "members": {
        "anonymous": LOGIN,
        "stranger": NOT_FOUND,
        "outsider": NOT_FOUND,
        "resident": OK,
        "company_staff": OK,
        "committee_member": OK,
        "community_official": OK,
        "street_admin": OK,
    },
    "duties_edit": {
        "anonymous": LOGIN,
        "stranger": NOT_FOUND,
        "outsider": NOT_FOUND,
        "resident": FORBIDDEN,
        "company_staff": FORBIDDEN,
        "committee_member": FORBIDDEN,
        "community_official": OK,
        "street_admin": OK,
    },
}


def _mismatch(response, expected) -> str | None:
    """None when the response is what the matrix expects, else what it was."""
    if expected == LOGIN:
        location = response.get("Location", "")
        if response.status_code == 302 and location.startswith(reverse("account_login")):
            return None
        return f"{response.status_code} {location}".strip()
    return None if response.status_code == expected else str(response.status_code)


def _run(world, method, url_for, expected_for) -> list[str]:
    """Every persona against one page; the failures, all of them, as readable lines.
    (One world per page rather than per cell keeps the matrix fast.)"""
    failures = []
    for persona, user in world.personas().items():
        response = getattr(client_for(user), method)(url_for(world))
        expected = expected_for(persona)
        got = _mismatch(response, expected)
        if got is not None:
            failures.append(f"{persona}: expected {expected}, got {got}")
    return failures


@pytest.mark.parametrize("page", list(EXPECTED))
def test_it_answers_each_persona_as_the_matrix_says(world, page):
    def url_for(w):
        return reverse("home") if page == "home" else page_urls(w.a)[page]

    assert _run(world, "get", url_for, EXPECTED[page].get) == []


def test_it_treats_posting_the_duty_form_like_getting_it(world):
    # A permitted user gets the form back with errors (200); everyone else the same as a GET.
    failures = _run(world, "post", lambda w: page_urls(w.a)["duties_edit"], EXPECTED["duties_edit"].get)
    assert failures == []


@pytest.mark.parametrize("page", ["public", "members", "duties_edit"])
def test_it_answers_an_unknown_compound_like_a_forbidden_one(world, page):
    name = {"public": "compound-public", "members": "compound-members", "duties_edit": "compound-duties-edit"}

    def expected_for(persona):
        return LOGIN if persona == "anonymous" and page != "public" else NOT_FOUND

    assert _run(world, "get", lambda w: reverse(name[page], args=["no-such-compound"]), expected_for) == []


def test_it_covers_every_persona_of_the_world(world):
    assert list(world.personas()) == PERSONAS
