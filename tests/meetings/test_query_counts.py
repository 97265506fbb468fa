"""Pages cost the same number of queries however long the agenda or the list: no query per
row (the reads prefetch what the templates show)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services
from tests.meetings.helpers import attend_three_parties, convene, raise_topic
from tests.pages.helpers import client_for

pytestmark = pytest.mark.django_db


def _meeting_with(world, n: int, tag: str):
    topics = [raise_topic(world, title=f"{tag}议题{i}") for i in range(n)]
    meeting = convene(world, topics=topics)
    attend_three_parties(world, meeting)
    meeting = services.meeting_open(meeting=meeting, actor=world.secretary)
    for i, topic in enumerate(topics):
        item = meeting.agenda.get(topic=topic)
        services.minutes_record(agenda_item=item, text="记录", actor=world.secretary)
        resolution = services.resolution_record(
            agenda_item=item, number=f"{tag}-{i}", text="决议", votes_for=3, actor=world.secretary
        )
        services.action_item_create(
            resolution=resolution,
            title="落实",
            responsible_party="company",
            responsible_person=world.staff,
            due_date=timezone.localdate() + dt.timedelta(days=5),
            actor=world.secretary,
        )
    services.meeting_close(meeting=meeting, actor=world.secretary)
    for user in (world.official, world.committee, world.staff):
        services.minutes_confirm(meeting=meeting, actor=user)
    return meeting


def _queries(client, url) -> int:
    # The first request computes the person's standing and caches it; count a warm one.
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_meeting_pages_do_not_grow_with_the_agenda(world):
    small, large = _meeting_with(world, 1, "S"), _meeting_with(world, 5, "L")
    client, anonymous = client_for(world.secretary), client_for(None)
    for name, user in (("meetings:meeting-detail", client), ("meetings:public-meeting", anonymous)):
        one = _queries(user, reverse(name, args=[world.a.slug, small.pk]))
        five = _queries(user, reverse(name, args=[world.a.slug, large.pk]))
        assert one == five, (name, one, five)


def test_lists_do_not_grow_with_their_rows(world):
    _meeting_with(world, 1, "A")
    urls = [reverse("meetings:home", args=[world.a.slug]), reverse("meetings:public", args=[world.a.slug])]
    before = [_queries(client_for(world.resident), urls[0]), _queries(client_for(None), urls[1])]
    _meeting_with(world, 4, "B")
    after = [_queries(client_for(world.resident), urls[0]), _queries(client_for(None), urls[1])]
    assert before == after
