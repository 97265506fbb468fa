"""A payout above the threshold cites a real resolution of its compound (issue 16, part 3):
the foreign key, checked to be of the same compound and citable (adopted, minutes
published); its number and date are what the signatures bind. Older rows keep their text."""

from __future__ import annotations

import pytest
from django.utils import timezone

from escrow.models import PayoutRequest, PayoutStatus
from escrow.payouts import services
from meetings.models import AgendaItem, Meeting, Resolution
from tests.escrow.payouts.helpers import file_payout, pdf, prepare


@pytest.fixture
def pw(world, settings, tmp_path):
    return prepare(world, settings, tmp_path)


def _resolution(world, compound, number: str, *, adopted=True, status="published") -> Resolution:
    now = timezone.now()
    meeting = Meeting.objects.create(
        compound=compound, kind="joint", title="联席会议", location="物业办公室", starts_at=now,
        convened_by=world.secretary, noticed_at=now, status=status, opened_at=now, closed_at=now,
        published_at=now if status == "published" else None,
    )  # fmt: skip
    item = AgendaItem.objects.create(compound=compound, meeting=meeting, position=1, title="屋面维修")
    return Resolution.objects.create(
        compound=compound, meeting=meeting, agenda_item=item, number=number, text="同意维修",
        votes_for=3, votes_against=0, votes_abstain=0, present=3, adopted=adopted,
        decided_on=timezone.localdate(), recorded_by=world.secretary,
    )  # fmt: skip


BIG = 60_000_00  # above the default resolution threshold (¥50,000)


def test_a_citable_resolution_supplies_the_number_and_date_the_signatures_bind(pw):
    resolution = _resolution(pw, pw.a, "2026-07")
    payout = file_payout(pw, amount_fen=BIG, resolution=resolution)
    assert payout.status == PayoutStatus.SUBMITTED
    assert (payout.resolution, payout.resolution_number, payout.resolution_date) == (
        resolution,
        "2026-07",
        resolution.decided_on,
    )
    assert list(PayoutRequest.citable_resolutions(pw.a)) == [resolution]


@pytest.mark.parametrize("case", ["other-compound", "not-adopted", "minutes-not-published"])
def test_a_resolution_that_may_not_be_cited_is_refused(pw, case):
    resolution = {
        "other-compound": lambda: _resolution(pw, pw.b, "2026-08"),
        "not-adopted": lambda: _resolution(pw, pw.a, "2026-09", adopted=False),
        "minutes-not-published": lambda: _resolution(pw, pw.a, "2026-10", status="closed"),
    }[case]()
    with pytest.raises(services.PayoutError) as exc:
        file_payout(pw, amount_fen=BIG, resolution=resolution)
    assert list(exc.value.extra["fields"]) == ["resolution"]
    assert not PayoutRequest.objects.exists()


def test_typed_resolution_text_still_needs_the_minutes_attached(pw):
    typed = {"amount_fen": BIG, "resolution_number": "2025-03", "resolution_date": timezone.localdate()}
    with pytest.raises(services.PayoutError) as exc:
        file_payout(pw, **typed)
    assert list(exc.value.extra["fields"]) == ["minutes"]
    payout = file_payout(pw, **typed, attachments=[("invoice", pdf()), ("minutes", pdf("minutes.pdf"))])
    assert (payout.resolution, payout.resolution_number) == (None, "2025-03")


def test_the_form_offers_the_compound_s_citable_resolutions_and_the_api_takes_one(pw, client):
    from django.urls import reverse

    ours = _resolution(pw, pw.a, "2026-11")
    theirs = _resolution(pw, pw.b, "2026-12")
    _resolution(pw, pw.a, "2026-13", adopted=False)
    client.force_login(pw.staff, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("escrow:payout-new", args=[pw.a.slug]))
    choices = [label for value, label in page.context["form"].fields["resolution"].choices if value]
    assert choices == [f"2026-11 · {ours.decided_on:%Y-%m-%d}"]
    body = {
        "category": "repair",
        "payee_name": "咸宁市利民水电维修部",
        "payee_account": "6217 0012 3456 7890 123",
        "amount": "60000.00",
        "purpose": "屋面维修",
    }
    url = reverse("api:payout-list", args=[pw.a.slug])
    refused = client.post(url, {**body, "resolution": theirs.pk}, content_type="application/json")
    assert refused.status_code == 400 and list(refused.json()["extra"]["fields"]) == ["resolution"]
    created = client.post(url, {**body, "resolution": ours.pk}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert PayoutRequest.objects.get(pk=created.json()["id"]).resolution == ours
