"""Every named URL of the URLconf against every persona, as the registry in
tests/url_matrix/ says. A URL with no row fails the test: a new view cannot ship without
saying who may reach it. Third-party URL sets (the admin, allauth, i18n, the OpenAPI
schema) are outside the matrix and listed in ``OUTSIDE``."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Notification
from escrow.models import BankStatementMapping, DisclosureFile
from tests.escrow.fees.helpers import make_mapping
from tests.escrow.payouts.helpers import file_payout, prepare, walk
from tests.escrow.transparency.helpers import build, fill_quarter, last_quarter, publish
from tests.pages.helpers import client_for
from tests.url_matrix import PERSONAS, rows

# URL sets that are not the project's views, by namespace or by the view's module.
OUTSIDE_NAMESPACES = {"admin"}
OUTSIDE_MODULES = ("allauth.", "django.", "drf_spectacular.")
MISSING = 2**31 - 7  # an id no row has: only the gate in front of the lookup answers


def _named_patterns(resolver=None, namespace: str = ""):
    """(name with its namespaces, view module) of every named pattern, depth first."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace in OUTSIDE_NAMESPACES:
                continue
            yield from _named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            module = getattr(pattern.callback, "__module__", "")
            if not module.startswith(OUTSIDE_MODULES):
                yield f"{namespace}{pattern.name}", module


def test_every_view_has_a_row_in_the_matrix():
    listed = set(rows())
    missing = sorted(f"{name} ({module})" for name, module in _named_patterns() if name not in listed)
    assert missing == [], "views without a row in tests/url_matrix/: " + ", ".join(missing)


def test_every_row_names_a_url():
    named = {name for name, _module in _named_patterns()}
    assert sorted(set(rows()) - named) == []


@pytest.fixture
def things(world, settings, tmp_path, postgres_only, django_capture_on_commit_callbacks):
    """Compound A with one of everything a URL can name: a paid payout with its invoice,
    a published disclosure, a statement mapping, a notification of the staff member."""
    prepare(world, settings, tmp_path)
    payout = walk(world, file_payout(world), to="paid")
    quarter = last_quarter()
    fill_quarter(world.a, quarter)
    disclosure = publish(
        django_capture_on_commit_callbacks,
        build(django_capture_on_commit_callbacks, world.a, quarter, world.official),
        world.official,
    )
    stored = DisclosureFile.objects.get(disclosure=disclosure, format="csv")
    mapping = make_mapping(world.a)
    assert BankStatementMapping.objects.filter(pk=mapping.pk).exists()
    notification = Notification.objects.filter(user=world.staff).order_by("pk").first()
    assert notification is not None
    return {
        "world": world,
        "payout": payout,
        "attachment": payout.attachments.first(),
        "disclosure": disclosure,
        "file": stored,
        "mapping": mapping,
        "notification": notification,
    }


def _kwargs(objects: str, t: dict) -> dict:
    world, payout, disclosure = t["world"], t["payout"], t["disclosure"]
    slug = {"slug": world.a.slug}
    quarter = {"year": disclosure.year, "quarter": disclosure.quarter, "version": disclosure.version}
    return {
        "none": {},
        "compound": slug,
        "payout": {**slug, "pk": payout.pk},
        "attachment": {**slug, "pk": payout.pk, "attachment_pk": t["attachment"].pk},
        "disclosure": {**slug, **quarter},
        "disclosure_file": {
            **slug,
            **quarter,
            "name": f"disclosure-{world.a.slug}-{disclosure.year}Q{disclosure.quarter}-v{disclosure.version}",
            "fmt": "csv",
        },
        "mapping": {**slug, "mapping_id": t["mapping"].pk},
        "payment": {**slug, "payment_id": MISSING},
        "unit": {**slug, "unit_id": world.unit_a.pk},
        "building": {**slug, "building_id": world.building_a.pk},
        "membership": {**slug, "membership_id": world.a.memberships.order_by("pk").first().pk},
        "duty_version": {**slug, "version": 1},
        "notification": {"pk": t["notification"].pk},
        "provider": {"provider": "wechatpay"},
        "budget": {**slug, "pk": MISSING},
        "year": {**slug, "year": 2026},
    }[objects]


def _answer(response) -> object:
    if response.status_code == 302 and response["Location"].startswith(reverse("account_login")):
        return "L"
    return response.status_code


def test_each_persona_gets_what_the_matrix_says(things):
    """One world for the whole matrix (it is built through every workflow once)."""
    world = things["world"]
    clients = {persona: client_for(user) for persona, user in world.personas().items()}
    assert list(clients) == PERSONAS
    failures = []
    for name, (objects, expected) in sorted(rows().items()):
        url = reverse(name, kwargs=_kwargs(objects, things))
        for persona in PERSONAS:
            got = _answer(clients[persona].get(url))
            if got != expected[persona]:
                failures.append(f"{name} {persona}: expected {expected[persona]}, got {got}")
    assert failures == [], "\n".join(failures)
