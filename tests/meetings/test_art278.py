"""Owners' decisions by Civil Code art. 278: the count against the worked examples of
docs/meetings.md (pure, no database), then the same rules end to end on PostgreSQL:
co-owners, proxies, paper ballots, changes until closing, the published result and
its digest recomputed by the stand-alone tools/verify_vote.py."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from common.errors import ConflictError, PermissionDeniedError
from communities import services as community_services
from communities.testing import make_user
from meetings import votes
from meetings.models import Ballot, BallotChannel
from meetings.votes import RollUnit, tally

ROOT = Path(__file__).resolve().parents[2]
M2 = 100  # one m² in hundredths


def roll(*units):
    """units: (area in m², owners as a string of letters) → RollUnit list with ids 1…n."""
    people = {}
    out = []
    for n, (area, owners) in enumerate(units, start=1):
        ids = frozenset(people.setdefault(letter, len(people) + 1) for letter in owners)
        out.append(RollUnit(n, int(Decimal(str(area)) * M2), ids))
    return out


# --------------------------------------------------------------------------- worked examples (docs/meetings.md)


def test_example_1_exactly_two_thirds_takes_part():
    t = tally(4, roll((100, "A"), (100, "B"), (100, "C")), {1: "agree", 2: "agree"})
    assert (t.participating_area, t.total_area) == (200 * M2, 300 * M2)
    assert (t.participating_owners, t.total_owners) == (2, 3)
    assert t.participation_met and t.majority_met and t.passed


def test_example_1b_a_hundredth_of_a_square_metre_short_of_two_thirds():
    t = tally(4, roll((100, "A"), (100, "B"), ("100.01", "C")), {1: "agree", 2: "agree"})
    assert not t.participation_met and not t.passed


def test_example_2_one_person_with_three_units_counts_once():
    r = roll((80, "P"), (80, "P"), (80, "P"), (80, "Q"), (80, "R"))
    t = tally(4, r, {1: "agree", 2: "agree", 3: "agree", 4: "disagree"})
    assert (t.total_owners, t.participating_owners) == (3, 2)
    assert t.participation_met
    # By area 240 of 320 agree (75 %), by headcount 1 of 2 — not more than half.
    assert t.area_by_choice["agree"] == 240 * M2
    assert t.owners_by_choice == {"agree": 1, "disagree": 1}
    assert not t.majority_met and not t.passed


def test_example_3_co_owners_are_one_owner_with_one_ballot():
    r = roll((100, "AB"), (100, "C"), (100, "D"))
    t = tally(9, r, {1: "agree", 2: "agree", 3: "disagree"})
    assert t.total_owners == 3
    assert t.owners_by_choice == {"agree": 2, "disagree": 1}
    assert t.passed


def test_example_4_abstaining_takes_part_not_voting_does_not():
    r = roll((100, "A"), (100, "B"), (100, "C"), (100, "D"))
    with_abstention = tally(9, r, {1: "agree", 2: "agree", 3: "abstain"})
    assert with_abstention.participation_met and with_abstention.passed  # 2 of 3 > 1/2
    without = tally(9, r, {1: "agree", 2: "agree"})
    assert not without.participation_met and not without.passed  # 2 of 4 < 2/3 take part
    # Items 6–8: three quarters of those taking part; the abstention now blocks it.
    assert not tally(7, r, {1: "agree", 2: "agree", 3: "abstain"}).majority_met


def test_example_5_three_quarters_exactly_is_enough_for_items_6_to_8():
    r = roll((100, "A"), (100, "B"), (100, "C"), (100, "D"))
    t = tally(6, r, {1: "agree", 2: "agree", 3: "agree", 4: "disagree"})
    assert t.majority_met and t.passed
    assert not tally(6, r, {1: "agree", 2: "agree", 3: "disagree", 4: "disagree"}).passed


def test_example_6_area_and_headcount_disagree():
    r = roll((400, "W"), (50, "X"), (50, "Y"), (50, "Z"))
    big = tally(9, r, {1: "agree", 2: "disagree", 3: "disagree", 4: "disagree"})
    assert big.area_by_choice["agree"] * 2 > big.participating_area  # 400 of 550 by area
    assert not big.majority_met  # but 1 of 4 owners
    many = tally(9, r, {1: "disagree", 2: "agree", 3: "agree", 4: "agree"})
    assert not many.majority_met  # 3 of 4 owners, 150 of 550 by area


def test_example_7_not_voting_never_counts_as_agreeing():
    r = roll((100, "A"), (100, "B"), (100, "C"))
    t = tally(9, r, {1: "agree", 2: "disagree"})
    assert t.participation_met and not t.majority_met  # 1 of 2; C's silence is not a yes


def test_an_owner_splitting_ballots_over_units_takes_part_but_never_agrees():
    r = roll((100, "P"), (100, "P"), (100, "Q"))
    t = tally(9, r, {1: "agree", 2: "disagree", 3: "agree"})
    assert t.owners_by_choice == {"split": 1, "agree": 1}
    assert not t.majority_met  # 1 agreeing owner of 2 taking part


def test_units_without_an_owner_on_record_count_as_one_owner():
    r = roll((100, "A"), (100, ""), (100, ""))
    assert tally(9, r, {}).total_owners == 2


# --------------------------------------------------------------------------- end to end on the database


@pytest.fixture
def estate(world):
    """Compound A with 6 units of 100 m² besides the world's two: the resident also owns
    two more (three in all), a couple co-owns one, three others one each."""
    b = world.building_a
    units = [
        community_services.unit_create(
            building=b, entrance="2", number=f"{n}01", floor_area="100.00", actor=None
        )
        for n in range(1, 7)
    ]
    couple = (make_user(name="甲"), make_user(name="乙"))
    others = [make_user(name=f"业主{n}") for n in range(3)]
    since = dt.date(2024, 1, 1)
    for unit in units[:2]:
        community_services.unit_owner_add(unit=unit, user=world.resident, start_date=since, actor=None)
    for person in couple:
        community_services.unit_owner_add(unit=units[2], user=person, start_date=since, actor=None)
    for unit, person in zip(units[3:], others, strict=True):
        community_services.unit_owner_add(unit=unit, user=person, start_date=since, actor=None)
    # The world's 1-1-102 (120 m²) belongs to nobody on record: the developer.
    return world, units, couple, others


def _later(hours=2):
    moment = timezone.now() + dt.timedelta(hours=hours)
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _open(world, matter=4):
    return votes.vote_open(
        compound=world.a,
        actor=world.chair,
        title="续聘华懋物业",
        matter=matter,
        closes_at=timezone.now() + dt.timedelta(hours=1),
    )


def _pdf():
    return SimpleUploadedFile("委托书.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


@pytest.mark.django_db
def test_a_vote_end_to_end_with_co_owners_proxies_paper_and_a_verifiable_result(estate, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    world, units, couple, others = estate
    vote = _open(world)
    # The resident owns three units (1-1-101 and 2-1xx ×2): one person, three ballots.
    for unit in [world.unit_a, *units[:2]]:
        votes.ballot_cast(vote=vote, unit=unit, choice="agree", actor=world.resident)
    # The couple: one ballot for their unit; the second co-owner changes it.
    votes.ballot_cast(vote=vote, unit=units[2], choice="disagree", actor=couple[0])
    votes.ballot_cast(vote=vote, unit=units[2], choice="agree", actor=couple[1])
    assert Ballot.objects.filter(vote=vote, unit=units[2]).count() == 1
    # A proxy for owner 0, with the signed document.
    votes.ballot_cast_by_proxy(
        vote=vote, unit=units[3], choice="agree", owner=others[0], document=_pdf(), actor=world.steward
    )
    # A paper ballot for owner 1: entered by the secretary, confirmed by a committee member.
    paper = votes.ballot_enter_paper(
        vote=vote, unit=units[4], choice="abstain", owner=others[1], actor=world.secretary
    )
    assert votes.vote_tally(vote).participating_owners == 3  # unconfirmed paper does not count yet
    with pytest.raises(ValidationError) as exc:
        votes.ballot_confirm_paper(ballot=paper, actor=world.secretary)
    assert set(exc.value.message_dict) == {"ballot"}
    votes.ballot_confirm_paper(ballot=paper, actor=world.committee)
    # owners 2 does not vote; nor does the developer's unit.
    with pytest.raises(ValidationError):
        votes.vote_close(vote=vote, actor=world.chair)  # before closes_at
    with _later():
        with pytest.raises(ConflictError) as exc:
            votes.ballot_cast(vote=vote, unit=units[5], choice="agree", actor=others[2])
        assert set(exc.value.extra["fields"]) == {"vote"}
        vote = votes.vote_close(vote=vote, actor=world.chair)
    r = vote.result
    # Owners: resident, couple, others×3, developer = 6; area 89.50+120+600 = 809.50 m².
    assert r["total"] == {"area_centi_m2": 80950, "owners": 6}
    assert r["participating"] == {"area_centi_m2": 58950, "owners": 4}
    assert r["agree"] == {"area_centi_m2": 48950, "owners": 3}
    assert r["abstain"] == {"area_centi_m2": 10000, "owners": 1}
    assert r["participation_met"] is True  # 4×3 ≥ 6×2 exactly; 589.50×3 ≥ 809.50×2
    assert r["passed"] is True and vote.passed is True
    assert {line["unit"] for line in r["ballots"]} >= {"1栋2单元***", "1栋1单元***"}
    assert not any("101" in line["unit"] for line in r["ballots"])
    # The stand-alone check recomputes the digest and the count.
    path = tmp_path / "result.json"
    path.write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    key = votes.unit_key(vote.salt, world.unit_a)
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "verify_vote.py"), str(path), "--key", key],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VERIFIED: passed" in run.stdout and key in run.stdout
    # A changed ballot line is caught.
    forged = dict(r, ballots=[dict(line, choice="agree") for line in r["ballots"]])
    path.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "verify_vote.py"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1 and "digest" in run.stdout


@pytest.mark.django_db
def test_the_public_result_file_is_the_frozen_result(estate, client):
    world, _units, _couple, _others = estate
    vote = _open(world)
    votes.ballot_cast(vote=vote, unit=world.unit_a, choice="agree", actor=world.resident)
    with _later():
        vote = votes.vote_close(vote=vote, actor=world.chair)
    url = reverse("meetings:public-vote-result", kwargs={"slug": world.a.slug, "pk": vote.pk})
    body = client.get(url).json()
    assert body["digest"] == vote.digest == votes.result_digest(body)
    assert body["passed"] is False
    assert "陈先生" not in json.dumps(body, ensure_ascii=False)


@pytest.mark.django_db
def test_ballot_refusals_name_the_field(estate, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    world, units, _couple, others = estate
    vote = _open(world)
    with pytest.raises(PermissionDeniedError) as exc:
        votes.ballot_cast(vote=vote, unit=units[3], choice="agree", actor=world.staff)
    assert set(exc.value.extra["fields"]) == {"unit"}
    with pytest.raises(ValidationError) as exc:
        votes.ballot_cast(vote=vote, unit=world.unit_b, choice="agree", actor=world.outsider)
    assert set(exc.value.message_dict) == {"unit"}
    with pytest.raises(ValidationError) as exc:
        votes.ballot_cast(vote=vote, unit=world.unit_a, choice="yes", actor=world.resident)
    assert set(exc.value.message_dict) == {"choice"}
    # A proxy for someone who already voted.
    votes.ballot_cast(vote=vote, unit=units[3], choice="disagree", actor=others[0])
    with pytest.raises(ValidationError) as exc:
        votes.ballot_cast_by_proxy(
            vote=vote, unit=units[3], choice="agree", owner=others[0], document=_pdf(), actor=world.steward
        )
    assert set(exc.value.message_dict) == {"owner"}
    with pytest.raises(ValidationError) as exc:
        votes.ballot_cast_by_proxy(
            vote=vote, unit=units[4], choice="agree", owner=others[1], document=None, actor=world.steward
        )
    assert set(exc.value.message_dict) == {"document"}
    with pytest.raises(ValidationError) as exc:
        votes.ballot_enter_paper(
            vote=vote, unit=units[3], choice="agree", owner=others[0], actor=world.secretary
        )
    assert set(exc.value.message_dict) == {"unit"}
    assert Ballot.objects.get(vote=vote, unit=units[3]).choice == "disagree"
    assert not Ballot.objects.filter(channel=BallotChannel.PROXY).exists()
    with pytest.raises(ValidationError) as exc:
        votes.vote_open(compound=world.a, actor=world.chair, title="x", matter=10, closes_at=timezone.now())
    assert set(exc.value.message_dict) == {"matter"}
    with pytest.raises(PermissionDeniedError):
        votes.vote_open(
            compound=world.a,
            actor=world.committee,
            title="x",
            matter=4,
            closes_at=timezone.now() + dt.timedelta(1),
        )


@pytest.mark.django_db
def test_an_owners_assembly_records_the_counted_vote_as_its_resolution(estate):
    from meetings import services
    from tests.meetings.helpers import convene
    from tests.pages.helpers import client_for

    world, units, couple, others = estate
    assembly = convene(world, kind="assembly", days=16, actor=world.chair)
    vote = votes.vote_open(
        compound=world.a,
        actor=world.chair,
        title="续聘",
        matter=4,
        closes_at=timezone.now() + dt.timedelta(hours=1),
        meeting=assembly,
    )
    for unit, owner in [
        (world.unit_a, world.resident),
        (units[2], couple[0]),
        *zip(units[3:], others, strict=True),
    ]:
        votes.ballot_cast(vote=vote, unit=unit, choice="agree", actor=owner)
    services.attendance_record(meeting=assembly, actor=world.secretary, user=world.chair, party="committee")
    assembly = services.meeting_open(meeting=assembly, actor=world.secretary)
    agenda_item = assembly.agenda.get()
    with pytest.raises(ValidationError) as exc:  # the vote is still open
        services.resolution_record(
            agenda_item=agenda_item, number="OA-1", text="续聘", owners_vote=vote, actor=world.secretary
        )
    assert set(exc.value.message_dict) == {"owners_vote"}
    with _later():
        vote = votes.vote_close(vote=vote, actor=world.chair)
        url = reverse("meetings:agenda-resolution", args=[world.a.slug, assembly.pk, agenda_item.pk])
        client_for(world.secretary).post(url, {"number": "OA-1", "text": "续聘", "owners_vote": vote.pk})
    resolution = vote.resolution
    # 5 of 6 owners (the resident with three flats counts once; the developer did not vote).
    assert (resolution.votes_for, resolution.present, resolution.adopted) == (5, 5, vote.passed)
    assert vote.result["participating"]["owners"] == 5
