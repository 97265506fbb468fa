"""The meetings demo on top of seed_demo's people: 23 joint and expanded meetings across
the pilots, 18 topics resolved with confirmed action items, one owners' assembly that
renews 尚城国际's company by art. 278 — built through the services, idempotently.

Seeding the estates is slow, so the module seeds once (committed to the test database,
flushed afterwards) and each test reads inside its own transaction."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from communities.models import Compound
from meetings import selectors
from meetings.demo import SLUGS, seed_meetings_demo
from meetings.models import ActionStatus, Ballot, MeetingKind, OwnersVote, Resolution, Topic, TopicStatus
from portal.management.commands.seed_demo import Seeder


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        try:
            seeder = Seeder(out=io.StringIO())
            for stage in seeder.stages:
                if stage.__name__ in ("_seed_escrow", "_seed_payouts", "_seed_disclosures"):
                    continue
                stage()
            first = seed_meetings_demo(stdout=io.StringIO())
            counts = (Topic.objects.count(), Ballot.objects.count(), Resolution.objects.count())
            second = seed_meetings_demo(stdout=io.StringIO())
            again = (Topic.objects.count(), Ballot.objects.count(), Resolution.objects.count())
            yield {"first": first, "second": second, "counts": counts, "again": again}
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_twenty_three_meetings_and_eighteen_topics_resolved(demo):
    compounds = list(Compound.objects.filter(slug__in=SLUGS))
    counts = selectors.meeting_counts(compounds, start=dt.date(2025, 12, 1), end=timezone.localdate())
    joint_expanded = sum(c.meetings_held["joint"] + c.meetings_held["expanded"] for c in counts.values())
    assert joint_expanded == 23
    assert sum(c.meetings_held["joint"] for c in counts.values()) > 0
    assert sum(c.meetings_held["expanded"] for c in counts.values()) > 0
    assert sum(c.topics_resolved for c in counts.values()) == 18
    assert sum(c.meetings_held["assembly"] for c in counts.values()) == 1
    assert sum(c.actions_overdue for c in counts.values()) >= 1
    for topic in Topic.objects.filter(status=TopicStatus.RESOLVED):
        items = [a for r in Resolution.objects.filter(agenda_item__topic=topic) for a in r.action_items.all()]
        assert items and all(a.status == ActionStatus.DONE and a.confirmations.count() == 2 for a in items)


@pytest.mark.django_db
def test_the_second_run_adds_nothing(demo):
    assert demo["again"] == demo["counts"]
    assert demo["first"] == demo["second"]


@pytest.mark.django_db
def test_the_assembly_renews_the_company_by_both_thresholds(demo):
    vote = OwnersVote.objects.get(compound__slug="shangcheng")
    r = vote.result
    assert vote.passed and r["matter"] == 4
    assert r["participating"]["area_centi_m2"] * 3 >= r["total"]["area_centi_m2"] * 2
    assert r["participating"]["owners"] * 3 >= r["total"]["owners"] * 2
    assert r["agree"]["owners"] * 2 > r["participating"]["owners"]
    # Some people own two flats: fewer owners than flats.
    assert r["total"]["owners"] < len(r["ballots"])
    assert {"paper", "proxy", "online"} <= set(
        Ballot.objects.filter(vote=vote).values_list("channel", flat=True)
    )
    resolution = Resolution.objects.get(owners_vote=vote)
    assert resolution.meeting.kind == MeetingKind.ASSEMBLY and resolution.adopted
    compound = vote.compound
    assert selectors.resolution_for_citation(compound, resolution.number) == resolution


@pytest.mark.django_db
def test_the_public_page_shows_shangchengs_minutes_and_resolutions(demo):
    client = Client()
    page = client.get(reverse("meetings:public", args=["shangcheng"])).content.decode()
    assert "SHANGCHENG-2026-01" in page and "SHANGCHENG-2026-OA-01" in page
    assert "业主1" not in page  # no owner is named
