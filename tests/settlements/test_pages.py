"""The pages: policy editor, run, detail and confirm (with step-up), files, the public view."""

from __future__ import annotations

import hashlib
import time

import pytest
from django.test import Client
from django.urls import reverse

from settlements.models import Settlement, SettlementPolicy, SettlementStatus
from tests.escrow.payouts.helpers import set_auth_records
from tests.settlements.helpers import YEAR, settled_world

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def stepped_up(user):
    c = client_for(user)
    set_auth_records(c, user, [{"method": "mfa", "type": "totp", "at": time.time()}])
    return c


def bands_post(bands, months=3):
    data = {"reserve_months": months}
    for n, (low, high, rate, renew) in enumerate(bands, start=1):
        data |= {f"low_{n}": low, f"high_{n}": high, f"rate_{n}": rate}
        if renew:
            data[f"renew_{n}"] = "on"
    return data


DEFAULT = [
    (90, 100, 100, True),
    (80, 89, 95, True),
    (70, 79, 85, True),
    (60, 69, 70, True),
    (0, 59, 50, False),
]


def test_street_admin_edits_the_policy_each_save_a_new_version(world):
    url = reverse("settlements:policy")
    c = client_for(world.street_admin)
    assert c.get(url).status_code == 200
    response = c.post(url, bands_post([(90, 100, 100, True), (0, 89, 80, False)], months=2))
    assert response.status_code == 302
    versions = list(SettlementPolicy.objects.filter(street_office=world.office).order_by("version"))
    assert [p.version for p in versions] == [1, 2]
    assert versions[-1].reserve_months == 2
    assert versions[-1].bands == [
        {"low": 90, "high": 100, "rate": 100, "renew": True},
        {"low": 0, "high": 89, "rate": 80, "renew": False},
    ]
    assert client_for(world.official).get(url).status_code == 404


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([(90, 100, 100, True), (80, 90, 95, True), (0, 79, 50, False)], "bands: 80–90 overlaps 90–100."),
        ([(90, 100, 100, True), (0, 79, 50, False)], "bands: no band covers scores 80–89."),
        ([(90, 100, 100, True), (10, 89, 50, False)], "bands: no band covers scores 0–9."),
        ([(90, 99, 100, True), (0, 89, 50, False)], "bands: no band covers scores 100–100."),
    ],
)
def test_bands_that_overlap_or_leave_a_gap_are_refused(world, bands, message):
    c = client_for(world.street_admin)
    response = c.post(reverse("settlements:policy"), bands_post(bands))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert SettlementPolicy.objects.filter(street_office=world.office).count() == 1  # only the default


def test_official_runs_committee_and_official_confirm_on_the_pages(world, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    settled_world(world, capture)
    official = stepped_up(world.official)
    with capture(execute=True):
        response = official.post(
            reverse("settlements:run", args=[world.a.slug]),
            {"year": YEAR, "payee_account": "6222000011112222"},
        )
    detail = reverse("settlements:detail", args=[world.a.slug, YEAR])
    assert response.status_code == 302 and response["Location"] == detail
    settlement = Settlement.objects.get(compound=world.a, year=YEAR)
    assert settlement.status == SettlementStatus.READY

    # The public does not see a settlement nobody has confirmed.
    assert client_for(None).get(detail).status_code == 404
    page = client_for(world.committee).get(detail).content.decode()
    assert "¥212,251.87" in page and "Confirm these figures" in page

    # Without a fresh second factor, confirming goes through the step-up first (this member
    # has no authenticator yet: to its set-up page).
    response = client_for(world.committee).post(
        reverse("settlements:confirm", args=[world.a.slug, YEAR]), {"digest": settlement.digest}
    )
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    assert not settlement.confirmations.exists()

    for user in (world.committee, world.committee2, world.official):
        with capture(execute=True):
            response = stepped_up(user).post(
                reverse("settlements:confirm", args=[world.a.slug, YEAR]), {"digest": settlement.digest}
            )
        assert response.status_code == 302
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.RELEASED and settlement.payout_id

    public = client_for(None).get(reverse("settlements:list", args=[world.a.slug])).content.decode()
    assert "¥11,171.16" in public and "88.96" in public
    response = client_for(None).get(reverse("settlements:file", args=[world.a.slug, YEAR, "json"]))
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == settlement.files.get(format="json").sha256

    # The formulas read as words in the page's language, never the JSON's keys.
    assert "Fees received − necessary costs − other expenses − reserve" in public
    assert "fees_received −" not in public and "Σ" not in public and "⌊" not in public
    # "Follow the payout" only for those who may open the payout's page (a steward may not).
    payout_url = reverse("escrow:payout-detail", args=[world.a.slug, settlement.payout_id])
    assert payout_url in client_for(world.committee).get(detail).content.decode()
    assert client_for(world.steward).get(payout_url).status_code == 403
    assert payout_url not in client_for(world.steward).get(detail).content.decode()


def test_run_form_names_the_field(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks, disclose=False)
    response = client_for(world.official).post(
        reverse("settlements:run", args=[world.a.slug]), {"year": YEAR}
    )
    assert response.status_code == 400
    assert "year: 2025 is not fully disclosed yet" in response.content.decode()
    assert (
        client_for(world.staff)
        .post(reverse("settlements:run", args=[world.a.slug]), {"year": YEAR})
        .status_code
        == 404
    )
    assert not Settlement.objects.exists()


def test_official_corrects_on_the_page_until_the_first_confirmation(
    world, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    settled_world(world, capture)
    official = client_for(world.official)
    with capture(execute=True):
        official.post(
            reverse("settlements:run", args=[world.a.slug]),
            {"year": YEAR, "payee_account": "6222000011112222"},
        )
    detail = reverse("settlements:detail", args=[world.a.slug, YEAR])
    assert 'id="correct-form"' in official.get(detail).content.decode()
    assert 'id="correct-form"' not in client_for(world.committee).get(detail).content.decode()
    with capture(execute=True):
        response = official.post(
            reverse("settlements:correct", args=[world.a.slug, YEAR]), {"reason": "补录Q4维修"}
        )
    assert response.status_code == 302
    current = Settlement.objects.get(compound=world.a, year=YEAR, status=SettlementStatus.READY)
    assert (current.version, current.correction_reason) == (2, "补录Q4维修")
    page = official.get(detail).content.decode()
    assert "补录Q4维修" in page
