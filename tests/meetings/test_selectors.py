"""The street office's counts per compound and period, the public section, and the
resolutions a payout may cite."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings import selectors, services
from tests.meetings.helpers import decided_topic, raise_topic

pytestmark = pytest.mark.django_db


def _done(world, item):
    services.action_claim_done(action_item=item, actor=world.staff)
    services.action_confirm_done(action_item=item, actor=world.committee)
    services.action_confirm_done(action_item=item, actor=world.official)


def _publish(world, meeting):
    services.meeting_close(meeting=meeting, actor=world.secretary)
    for user in (world.official, world.committee, world.staff):
        services.minutes_confirm(meeting=meeting, actor=user)


def test_counts_per_compound_and_period(world):
    today = timezone.localdate()
    _topic, _meeting, _resolution, item = decided_topic(world)
    raise_topic(world, title="第二个议题")
    services.topic_raise(compound=world.b, actor=world.outsider, title="B", body="b")
    counts = selectors.meeting_counts([world.a, world.b], start=today, end=today + dt.timedelta(days=10))
    a, b = counts[world.a.pk], counts[world.b.pk]
    assert a.meetings_held == {"joint": 1, "expanded": 0, "assembly": 0} and a.meetings_total == 1
    assert (a.topics_raised, a.topics_on_agenda, a.topics_resolved, a.actions_overdue) == (2, 1, 0, 0)
    assert (b.topics_raised, b.meetings_total) == (1, 0)
    _done(world, item)
    counts = selectors.meeting_counts([world.a], start=today, end=today)
    assert counts[world.a.pk].topics_resolved == 1
    # A period before anything happened counts nothing.
    before = selectors.meeting_counts(
        [world.a], start=today - dt.timedelta(days=30), end=today - dt.timedelta(days=1)
    )
    assert before[world.a.pk].meetings_total == 0 and before[world.a.pk].topics_raised == 0


def test_overdue_counts_as_of_the_period_end(world):
    _topic, _meeting, _resolution, item = decided_topic(world)
    later = item.due_date + dt.timedelta(days=3)
    moment = timezone.make_aware(dt.datetime.combine(later, dt.time(12)))
    with mock.patch("django.utils.timezone.now", return_value=moment):
        counts = selectors.meeting_counts([world.a], start=later, end=later)
        assert counts[world.a.pk].actions_overdue == 1
        due_day = selectors.meeting_counts([world.a], start=item.due_date, end=item.due_date)
        assert due_day[world.a.pk].actions_overdue == 0


def test_counts_take_five_queries_whatever_the_number_of_compounds(world):
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as queries:
        selectors.meeting_counts([world.a, world.b], start=today, end=today)
    assert len(queries) == 5


def test_only_adopted_resolutions_of_published_minutes_of_this_compound_are_citable(world):
    _topic, meeting, resolution, _item = decided_topic(world)
    assert selectors.resolution_for_citation(world.a, "2026-04") is None  # minutes not yet published
    _publish(world, meeting)
    assert selectors.resolution_for_citation(world.a, " 2026-04 ") == resolution
    assert selectors.resolution_for_citation(world.b, "2026-04") is None
    assert list(selectors.resolutions_citable(world.a)) == [resolution]


def test_public_section_counts_topics(world):
    _topic, meeting, _resolution, item = decided_topic(world)
    raise_topic(world, title="另一个")
    _publish(world, meeting)
    _done(world, item)
    section = selectors.public_section(world.a)
    assert (section.topics_raised, section.topics_resolved, section.topics_in_progress) == (2, 1, 0)
    assert section.meetings == [meeting]


def test_a_large_payout_citing_a_resolution_is_listed_under_it_publicly(world, settings, tmp_path):
    from django.test import Client
    from django.urls import reverse

    from tests.escrow.payouts.helpers import file_payout, pdf, prepare, walk

    prepare(world, settings, tmp_path)
    _topic, meeting, resolution, _item = decided_topic(world)
    _publish(world, meeting)
    payout = file_payout(
        world,
        amount_fen=60_000_00,
        resolution_number=resolution.number,
        resolution_date=resolution.decided_on,
        attachments=[("invoice", pdf()), ("minutes", pdf("minutes.pdf"))],
    )
    payout = walk(world, payout, to="paid")
    assert selectors.payouts_citing(world.a, [resolution.number]) == {resolution.number: [payout]}
    assert selectors.payouts_citing(world.b, [resolution.number]) == {}
    page = Client().get(reverse("meetings:public", args=[world.a.slug])).content.decode()
    assert reverse("escrow:ledger-payout-trail", args=[world.a.slug, payout.pk]) in page
    assert "¥60,000.00" in page
