"""Who may reach the payments-in pages and API: anonymous, a stranger, an owner of
compound B, a resident of A, and each role in A. Another compound's objects are 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.escrow.fees.helpers import (
    client_for,
    csv_text,
    make_mapping,
    row,
)

RECORD = {"company_staff", "company_manager", "community_official"}
SUSPENSE = {"company_manager", "community_official"}
ARREARS = {
    "company_staff",
    "company_manager",
    "committee_member",
    "committee_chair",
    "community_official",
    "street_admin",
    "street_inspector",
}
NOBODY_OUTSIDE = {"anonymous", "stranger", "outsider"}


def _people(w) -> dict:
    return {
        **w.personas(),
        "company_manager": w.manager,
        "committee_chair": w.chair,
        "community_secretary": w.secretary,
        "steward": w.steward,
        "street_inspector": w.inspector,
    }


def _pages(w, suspense_id):
    slug = w.a.slug
    return {
        "payment-record": (reverse("escrow:payment-record", args=[slug]), RECORD),
        "statement-import": (reverse("escrow:statement-import", args=[slug]), RECORD),
        "mapping-new": (reverse("escrow:statement-mapping-new", args=[slug]), RECORD),
        "suspense": (reverse("escrow:suspense", args=[slug]), SUSPENSE),
        "arrears": (reverse("escrow:arrears", args=[slug]), ARREARS),
        "collection": (reverse("escrow:collection", args=[slug]), ARREARS),
        "own-statement": (reverse("escrow:unit-statement", args=[slug, w.unit_a.pk]), ARREARS | {"resident"}),
        "other-statement": (
            reverse("escrow:unit-statement", args=[slug, w.unit_a.building.units.get(number="102").pk]),
            ARREARS,
        ),
    }


@pytest.fixture
def suspense_id(escrow_world):
    from escrow.fees.services.imports import statement_import
    from escrow.models import Payment

    w = escrow_world
    mapping = make_mapping(w.a)
    statement_import(
        compound=w.a,
        mapping=mapping,
        file_name="s.csv",
        data=csv_text([row("2026-03-01", "10.00", "S1", "?")]).encode(),
        actor=None,
    )
    return Payment.objects.get().pk


def test_pages_answer_each_persona(escrow_world, suspense_id):
    w = escrow_world
    failures = []
    for persona, user in _people(w).items():
        client = client_for(user)
        for name, (url, allowed) in _pages(w, suspense_id).items():
            status = client.get(url).status_code
            if persona in allowed:
                expected = 200
            elif persona == "anonymous":
                expected = 302
            elif persona in {"stranger", "outsider"} or name.endswith("statement"):
                expected = 404  # a compound one cannot enter, or a unit one may not see: missing
            else:
                expected = 403  # a member whose role lacks the capability is told so
            if status != expected:
                failures.append(f"{persona} GET {name}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)


def _apis(w, suspense_id):
    slug = w.a.slug
    return {
        "payments": (reverse("api:escrow-payment-list", args=[slug]), ARREARS),
        "mappings": (reverse("api:escrow-statement-mapping-list", args=[slug]), RECORD),
        "imports": (reverse("api:escrow-statement-import-list", args=[slug]), RECORD),
        "suspense": (reverse("api:escrow-suspense-list", args=[slug]), SUSPENSE),
        "arrears": (reverse("api:escrow-arrears-list", args=[slug]), ARREARS),
        "collection": (reverse("api:escrow-collection-rates", args=[slug]), ARREARS),
        "own-statement": (
            reverse("api:escrow-unit-statement", args=[slug, w.unit_a.pk]),
            ARREARS | {"resident"},
        ),
    }


def test_api_reads_answer_each_persona(escrow_world, suspense_id):
    """Anonymous 403; a compound one cannot enter 404; a member without the role 403; a
    unit's statement one may not see 404, like a missing unit."""
    w = escrow_world
    failures = []
    for persona, user in _people(w).items():
        client = client_for(user)
        for name, (url, allowed) in _apis(w, suspense_id).items():
            response = client.get(url)
            if persona in allowed:
                expected = 200
            elif persona in {"stranger", "outsider"} or (
                name.endswith("statement") and persona != "anonymous"
            ):
                expected = 404
            else:
                expected = 403
            if response.status_code != expected:
                failures.append(f"{persona} GET {name}: {response.status_code}, expected {expected}")
            elif expected != 200:
                assert set(response.json()) == {"message", "extra"}
    assert not failures, "\n".join(failures)


def test_api_writes_answer_each_persona(escrow_world, suspense_id):
    from escrow.models import Payment

    w = escrow_world
    slug = w.a.slug
    failures = []
    for persona, user in _people(w).items():
        client = client_for(user)
        record = client.post(
            reverse("api:escrow-payment-list", args=[slug]),
            {
                "receipt_no": f"R-{persona}",
                "unit": w.unit_a.pk,
                "amount": "1.00",
                "method": "cash",
                "received_on": "2026-03-01",
            },
            content_type="application/json",
        )
        expected = 201 if persona in RECORD else 404 if persona in {"stranger", "outsider"} else 403
        if record.status_code != expected:
            failures.append(f"{persona} POST payment: {record.status_code}, expected {expected}")
        assign = client.post(
            reverse("api:escrow-suspense-assign", args=[slug, suspense_id]),
            {"unit": w.unit_a.pk},
            content_type="application/json",
        )
        expected = (
            (201, 200) if persona in SUSPENSE else (404,) if persona in {"stranger", "outsider"} else (403,)
        )
        if assign.status_code not in expected:
            failures.append(f"{persona} POST assign: {assign.status_code}, expected {expected}")
    assert not failures, "\n".join(failures)
    assert Payment.objects.filter(source="manual").count() == len(RECORD)


def test_another_compounds_objects_are_not_found(escrow_world, suspense_id):
    w = escrow_world
    official = client_for(w.official)  # an official of A's community only
    street_admin = client_for(w.street_admin)  # sees both compounds
    slug_a, slug_b = w.a.slug, w.b.slug
    # B's unit through A's URL.
    assert street_admin.get(reverse("escrow:unit-statement", args=[slug_a, w.unit_b.pk])).status_code == 404
    assert (
        street_admin.get(reverse("api:escrow-unit-statement", args=[slug_a, w.unit_b.pk])).status_code == 404
    )
    # A's suspense receipt through B's URL: B's community has no official here, so use A's
    # official on B (cannot enter B) and the street admin on B (no MANAGE_SUSPENSE).
    assert official.get(reverse("escrow:suspense", args=[slug_b])).status_code == 404
    url = reverse("api:escrow-suspense-assign", args=[slug_b, suspense_id])
    assert official.post(url, {"unit": w.unit_b.pk}, content_type="application/json").status_code == 404
    # A's mapping through B's URL.
    mapping = make_mapping(w.a, bank_name="建设银行")
    manager = client_for(w.manager)  # a company-wide manager of A's company only
    assert manager.get(reverse("escrow:statement-mapping-edit", args=[slug_b, mapping.pk])).status_code == 404


def test_arrears_are_never_public(escrow_world):
    w = escrow_world
    anonymous = client_for(None)
    assert anonymous.get(reverse("escrow:arrears", args=[w.a.slug])).status_code == 302
    assert anonymous.get(reverse("api:escrow-arrears-list", args=[w.a.slug])).status_code == 403
