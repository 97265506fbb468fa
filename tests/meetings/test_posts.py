"""Every one-button page action and every API write, for the personas outside compound A:
anonymous is sent to log in (pages) or refused (API 403), a stranger or B's owner gets
404, and nothing changes. A member without the role is refused by the service (the page
says why, naming the field; the API answers 403) and nothing changes either."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from communities.models import AuditEvent
from meetings import votes
from meetings.models import Meeting
from tests.meetings.helpers import convene, decided_topic, raise_topic
from tests.pages.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(world):
    topic, meeting, resolution, item = decided_topic(world)
    open_topic = raise_topic(world, title="待分办")
    scheduled = convene(world)
    vote = votes.vote_open(
        compound=world.a,
        actor=world.chair,
        title="t",
        matter=9,
        closes_at=timezone.now() + dt.timedelta(hours=1),
    )
    paper = votes.ballot_enter_paper(
        vote=vote, unit=world.unit_a, choice="agree", owner=world.resident, actor=world.secretary
    )
    agenda_item = meeting.agenda.get(topic=topic)
    return {
        "open_topic": open_topic,
        "meeting": meeting,
        "scheduled": scheduled,
        "resolution": resolution,
        "item": item,
        "agenda_item": agenda_item,
        "vote": vote,
        "paper": paper,
    }


def _page_posts(world, o):
    s = world.a.slug
    m, v = o["meeting"].pk, o["vote"].pk
    return {
        "topic_second": (reverse("meetings:topic-second", args=[s, o["open_topic"].pk]), {}),
        "topic_triage": (
            reverse("meetings:topic-triage", args=[s, o["open_topic"].pk]),
            {"action": "decline", "reason": "x"},
        ),
        "attendance": (
            reverse("meetings:meeting-attendance", args=[s, o["scheduled"].pk]),
            {"user": world.official.pk, "party": "community", "present": "on"},
        ),
        "open": (reverse("meetings:meeting-step", args=[s, o["scheduled"].pk, "open"]), {}),
        "cancel": (reverse("meetings:meeting-cancel", args=[s, o["scheduled"].pk]), {"reason": "x"}),
        "close": (reverse("meetings:meeting-step", args=[s, m, "close"]), {}),
        "minutes": (reverse("meetings:agenda-minutes", args=[s, m, o["agenda_item"].pk]), {"minutes": "x"}),
        "resolution": (
            reverse("meetings:agenda-resolution", args=[s, m, o["agenda_item"].pk]),
            {"number": "X-1", "text": "x", "votes_for": "3"},
        ),
        "action_create": (
            reverse("meetings:action-create", args=[s, o["resolution"].pk]),
            {
                "title": "x",
                "responsible_party": "company",
                "responsible_person": world.staff.pk,
                "due_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            },
        ),
        "progress": (reverse("meetings:action-progress", args=[s, o["item"].pk]), {"note": "x"}),
        "claim": (reverse("meetings:action-step", args=[s, o["item"].pk, "claim"]), {}),
        "ballot": (
            reverse("meetings:vote-ballot", args=[s, v, "online"]),
            {"unit": world.unit_a.pk, "choice": "disagree"},
        ),
        "paper_confirm": (reverse("meetings:vote-confirm-paper", args=[s, v, o["paper"].pk]), {}),
        "vote_close": (reverse("meetings:vote-close", args=[s, v]), {}),
    }


def test_page_actions_refuse_everyone_outside_the_compound(world, objects):
    events = AuditEvent.objects.count()
    for name, (url, data) in _page_posts(world, objects).items():
        response = client_for(None).post(url, data)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], name
        for user in (world.stranger, world.outsider):
            assert client_for(user).post(url, data).status_code == 404, (name, user)
    assert AuditEvent.objects.count() == events


def test_page_actions_by_a_member_without_the_role_change_nothing_and_say_why(world, objects):
    events = AuditEvent.objects.count()
    posts = _page_posts(world, objects)
    roles = "Your roles in this compound do not allow this."
    expected = {
        "open": roles,
        "cancel": roles,
        "close": roles,
        "minutes": roles,
        "resolution": roles,
        "action_create": roles,
        "claim": "Only the responsible party reports its action item done.",
        "paper_confirm": "Your roles do not allow confirming paper ballots.",
        "vote_close": "Only the committee chair or a community official closes an owners' vote.",
    }
    for name, message in expected.items():
        url, data = posts[name]
        response = client_for(world.steward).post(url, data, follow=True)
        assert response.status_code == 200, name
        assert [str(m) for m in response.context["messages"]] == [message], name
    assert AuditEvent.objects.count() == events
    assert Meeting.objects.get(pk=objects["scheduled"].pk).status == "scheduled"


def _api_writes(world, o):
    base = f"/api/v1/compounds/{world.a.slug}/"
    m, r, v = o["meeting"].pk, o["resolution"].pk, o["vote"].pk
    return {
        "topic_create": (base + "topics/", {"title": "t", "body": "b"}),
        "topic_second": (f"{base}topics/{o['open_topic'].pk}/second/", {}),
        "topic_triage": (f"{base}topics/{o['open_topic'].pk}/triage/", {"action": "decline", "reason": "x"}),
        "meeting_create": (
            base + "meetings/",
            {"kind": "joint", "title": "t", "location": "l", "starts_at": "2030-01-01T10:00:00+08:00"},
        ),
        "attendance": (
            f"{base}meetings/{o['scheduled'].pk}/attendance/",
            {"user": world.official.pk, "party": "community"},
        ),
        "open": (f"{base}meetings/{o['scheduled'].pk}/open/", {}),
        "cancel": (f"{base}meetings/{o['scheduled'].pk}/cancel/", {"reason": "x"}),
        "close": (f"{base}meetings/{m}/close/", {}),
        "confirm": (f"{base}meetings/{m}/confirm/", {}),
        "minutes": (f"{base}meetings/{m}/agenda/{o['agenda_item'].pk}/minutes/", {"minutes": "x"}),
        "resolution": (
            f"{base}meetings/{m}/agenda/{o['agenda_item'].pk}/resolutions/",
            {"number": "X-2", "text": "x", "votes_for": 3},
        ),
        "action_create": (
            f"{base}resolutions/{r}/actions/",
            {
                "title": "x",
                "responsible_party": "company",
                "responsible_person": world.staff.pk,
                "due_date": "2030-01-01",
            },
        ),
        "progress": (f"{base}resolutions/{r}/actions/{o['item'].pk}/progress/", {"note": "x"}),
        "claim": (f"{base}resolutions/{r}/actions/{o['item'].pk}/claim/", {}),
        "action_confirm": (f"{base}resolutions/{r}/actions/{o['item'].pk}/confirm/", {}),
        "vote_create": (
            base + "votes/",
            {"title": "t", "matter": 9, "closes_at": "2030-01-01T10:00:00+08:00"},
        ),
        "ballot": (f"{base}votes/{v}/ballots/", {"unit": world.unit_a.pk, "choice": "agree"}),
        "paper_confirm": (f"{base}votes/{v}/ballots/{o['paper'].pk}/confirm/", {}),
        "vote_close": (f"{base}votes/{v}/close/", {}),
    }


def _api(user):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def test_api_writes_refuse_everyone_outside_the_compound(world, objects):
    events = AuditEvent.objects.count()
    for name, (url, body) in _api_writes(world, objects).items():
        assert _api(None).post(url, body, format="json").status_code == 403, name
        for user in (world.stranger, world.outsider):
            response = _api(user).post(url, body, format="json")
            assert response.status_code == 404, (name, user, response.status_code)
            assert set(response.json()) == {"message", "extra"}
    assert AuditEvent.objects.count() == events


def test_api_writes_by_a_member_without_the_role_are_403(world, objects):
    events = AuditEvent.objects.count()
    writes = _api_writes(world, objects)
    for name in (
        "topic_second",
        "topic_triage",
        "meeting_create",
        "attendance",
        "open",
        "cancel",
        "close",
        "minutes",
        "resolution",
        "action_create",
        "claim",
        "vote_create",
        "paper_confirm",
        "vote_close",
    ):
        url, body = writes[name]
        response = _api(world.steward).post(url, body, format="json")
        assert response.status_code == 403, (name, response.status_code, response.json())
    assert AuditEvent.objects.count() == events
