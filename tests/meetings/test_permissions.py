"""Every meetings page and API endpoint, every persona: 200 / log-in / 404 for pages
(never 403: forbidden answers like missing), the API's 403 for a role that is missing
and 404 for a compound that is not yours; and tenant isolation — another compound's
objects never open under this compound's slug."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from meetings import services, votes
from meetings.models import Topic, TopicPhoto
from tests.meetings.helpers import decided_topic
from tests.pages.helpers import client_for

pytestmark = pytest.mark.django_db

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
OK, LOGIN, NF, FORBIDDEN = 200, "login", 404, 403
MEMBERS = {"anonymous": LOGIN, "stranger": NF, "outsider": NF, **dict.fromkeys(PERSONAS[3:], OK)}
PUBLIC = dict.fromkeys(PERSONAS, OK)


def only(*allowed):
    """Allowed personas get the page; other members of compound A are told it is not for
    their roles (403); people with no standing there get "not found"."""
    members = set(PERSONAS[3:])
    return {
        p: (LOGIN if p == "anonymous" else OK if p in allowed else FORBIDDEN if p in members else NF)
        for p in PERSONAS
    }


EXPECTED = {
    "home": MEMBERS,
    "topic_new": only("resident", "company_staff", "committee_member", "community_official"),
    "topic_detail": MEMBERS,
    "photo": MEMBERS,
    "meeting_new": only("community_official"),
    "meeting_detail": MEMBERS,
    "meeting_ics": MEMBERS,
    "action_detail": MEMBERS,
    "vote_new": only("community_official"),
    "vote_detail": MEMBERS,
    "public": PUBLIC,
    "public_meeting": PUBLIC,
    "public_topic": PUBLIC,
    "public_vote_result": PUBLIC,
}


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def scene(world, tmp_path, settings):
    """In compound A: a resolved topic with a photo, its published meeting, an action item,
    and a counted owners' vote."""
    settings.MEDIA_ROOT = tmp_path / "media"
    topic, meeting, _resolution, item = decided_topic(world)
    photo = TopicPhoto.objects.create(
        compound=world.a,
        topic=topic,
        file=SimpleUploadedFile("p.png", _png()),
        original_name="p.png",
        content_type="image/png",
        size=72,
        sha256="0" * 64,
        uploaded_by=world.resident,
    )
    services.meeting_close(meeting=meeting, actor=world.secretary)
    for user in (world.official, world.committee, world.staff):
        services.minutes_confirm(meeting=meeting, actor=user)
    vote = votes.vote_open(
        compound=world.a,
        actor=world.chair,
        title="续聘",
        matter=4,
        closes_at=timezone.now() + dt.timedelta(hours=1),
    )
    return {"topic": topic, "meeting": meeting, "item": item, "vote": vote, "photo": photo}


def _urls(world, scene):
    s = world.a.slug
    vote = scene["vote"]
    return {
        "home": reverse("meetings:home", args=[s]),
        "topic_new": reverse("meetings:topic-new", args=[s]),
        "topic_detail": reverse("meetings:topic-detail", args=[s, scene["topic"].pk]),
        "photo": reverse("meetings:photo", args=[s, scene["photo"].pk]),
        "meeting_new": reverse("meetings:meeting-new", args=[s]),
        "meeting_detail": reverse("meetings:meeting-detail", args=[s, scene["meeting"].pk]),
        "meeting_ics": reverse("meetings:meeting-ics", args=[s, scene["meeting"].pk]),
        "action_detail": reverse("meetings:action-detail", args=[s, scene["item"].pk]),
        "vote_new": reverse("meetings:vote-new", args=[s]),
        "vote_detail": reverse("meetings:vote-detail", args=[s, vote.pk]),
        "public": reverse("meetings:public", args=[s]),
        "public_meeting": reverse("meetings:public-meeting", args=[s, scene["meeting"].pk]),
        "public_topic": reverse("meetings:public-topic", args=[s, scene["topic"].pk]),
        "public_vote_result": None,  # checked once the vote is closed, below
    }


def _mismatch(response, expected):
    if expected == LOGIN:
        location = response.get("Location", "")
        ok = response.status_code == 302 and location.startswith(reverse("account_login"))
        return None if ok else f"{response.status_code} {location}"
    return None if response.status_code == expected else str(response.status_code)


def test_page_permission_matrix(world, scene):
    urls = _urls(world, scene)
    personas = world.personas()
    wrong = []
    for page, url in urls.items():
        if url is None:
            continue
        for persona in PERSONAS:
            response = client_for(personas[persona]).get(url)
            problem = _mismatch(response, EXPECTED[page][persona])
            if problem:
                wrong.append(f"{page} as {persona}: expected {EXPECTED[page][persona]}, got {problem}")
    assert wrong == []


def test_posts_need_the_role_and_never_reach_another_compound(world, scene):
    """A one-button action without the role changes nothing and names the refusal; a
    compound that is not yours answers 404."""
    open_topic = services.topic_raise(
        compound=world.a, actor=world.resident, title="路灯不亮", body="5栋门口"
    )
    url = reverse("meetings:topic-triage", args=[world.a.slug, open_topic.pk])
    # The resident may not triage (no TRIAGE_TOPICS): the page says it is not for their role.
    response = client_for(world.resident).post(url, {"action": "decline", "reason": "x"})
    assert response.status_code == 403
    response = client_for(world.outsider).post(url, {"action": "decline", "reason": "x"})
    assert response.status_code == 404
    open_topic.refresh_from_db()
    assert open_topic.status == "open"
    # A refusal from the service comes back as a message naming the field.
    response = client_for(world.secretary).post(url, {"action": "decline", "reason": " "}, follow=True)
    assert "reason:" in response.content.decode()


def test_another_compounds_objects_do_not_open_under_this_slug(world, scene):
    b_topic = services.topic_raise(compound=world.b, actor=world.outsider, title="B的议题", body="b")
    a, b = world.a.slug, world.b.slug
    for user in (world.resident, world.official, world.street_admin):
        client = client_for(user)
        assert client.get(reverse("meetings:topic-detail", args=[a, b_topic.pk])).status_code == 404
        assert client.get(reverse("meetings:public-topic", args=[a, b_topic.pk])).status_code == 404
    # Members of A see nothing of B's members' area (the street admin sees both compounds).
    for user in (world.resident, world.official, world.secretary, world.staff):
        assert client_for(user).get(reverse("meetings:topic-detail", args=[b, b_topic.pk])).status_code == 404
    # B's owner cannot reach A's meeting through B's slug.
    meeting_pk = scene["meeting"].pk
    assert (
        client_for(world.outsider).get(reverse("meetings:meeting-detail", args=[b, meeting_pk])).status_code
        == 404
    )
    assert client_for(None).get(reverse("meetings:public-meeting", args=[b, meeting_pk])).status_code == 404


def test_unpublished_minutes_are_not_public(world):
    _topic, meeting, _resolution, _item = decided_topic(world)
    url = reverse("meetings:public-meeting", args=[world.a.slug, meeting.pk])
    assert client_for(None).get(url).status_code == 404


def test_the_public_pages_name_no_owner_and_show_the_topic_resolved(world, scene):
    item = scene["item"]
    services.action_claim_done(action_item=item, actor=world.staff)
    services.action_confirm_done(action_item=item, actor=world.committee)
    services.action_confirm_done(action_item=item, actor=world.official)
    anonymous = client_for(None)
    page = anonymous.get(
        reverse("meetings:public-topic", args=[world.a.slug, scene["topic"].pk])
    ).content.decode()
    assert "Resolved" in page and "陈先生" not in page
    index = anonymous.get(reverse("meetings:public", args=[world.a.slug])).content.decode()
    assert "2026-04" in index and "陈先生" not in index
    assert Topic.objects.get(pk=scene["topic"].pk).status == "resolved"


def test_the_ics_file_describes_the_meeting(world, scene):
    response = client_for(world.resident).get(
        reverse("meetings:meeting-ics", args=[world.a.slug, scene["meeting"].pk])
    )
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert f"UID:{scene['meeting'].uid}@gongguan" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


# --------------------------------------------------------------------------- API


def _api(user):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


API_READS = ["topics/", "meetings/", "resolutions/", "votes/"]


def test_api_reads_members_only_and_isolated(world, scene):
    personas = world.personas()
    for rest in API_READS:
        for persona in PERSONAS:
            response = _api(personas[persona]).get(f"/api/v1/compounds/{world.a.slug}/{rest}")
            expected = {"anonymous": 403, "stranger": 404, "outsider": 404}.get(persona, 200)
            assert response.status_code == expected, (rest, persona, response.status_code)
    # B's ids under A's slug: 404.
    b_topic = services.topic_raise(compound=world.b, actor=world.outsider, title="B", body="b")
    response = _api(world.resident).get(f"/api/v1/compounds/{world.a.slug}/topics/{b_topic.pk}/")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "extra"}


def test_api_writes_answer_403_for_a_missing_role_and_name_bad_fields(world, scene):
    a = world.a.slug
    response = _api(world.street_admin).post(
        f"/api/v1/compounds/{a}/topics/", {"title": "t", "body": "b"}, format="json"
    )
    assert response.status_code == 403
    response = _api(world.resident).post(
        f"/api/v1/compounds/{a}/topics/", {"title": "", "body": "b"}, format="json"
    )
    assert response.status_code == 400 and set(response.json()["extra"]["fields"]) == {"title"}
    response = _api(world.resident).post(
        f"/api/v1/compounds/{a}/meetings/",
        {"kind": "joint", "title": "t", "location": "l", "starts_at": timezone.now().isoformat()},
        format="json",
    )
    assert response.status_code == 403
    response = _api(world.official).post(
        f"/api/v1/compounds/{a}/meetings/",
        {"kind": "joint", "title": "t", "location": "l", "starts_at": timezone.now().isoformat()},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()["extra"]["fields"]) == {"starts_at"}
    vote = scene["vote"]
    response = _api(world.resident).post(
        f"/api/v1/compounds/{a}/votes/{vote.pk}/ballots/",
        {"unit": world.unit_a.pk, "choice": "agree"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["choice"] == "agree"
    response = _api(world.staff).post(
        f"/api/v1/compounds/{a}/votes/{vote.pk}/ballots/",
        {"unit": world.unit_a.pk, "choice": "agree"},
        format="json",
    )
    assert response.status_code == 403 and set(response.json()["extra"]["fields"]) == {"unit"}
    response = _api(world.resident).post(
        f"/api/v1/compounds/{a}/votes/{vote.pk}/ballots/",
        {"unit": world.unit_b.pk, "choice": "agree"},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()["extra"]["fields"]) == {"unit"}


def test_api_full_journey(world):
    """Raise → convene with the topic → attendance → open → minutes → resolution → action
    item → close → confirm ×3 → claim → confirm ×2: the topic is resolved."""
    a = world.a.slug
    base = f"/api/v1/compounds/{a}/"
    topic = (
        _api(world.resident)
        .post(base + "topics/", {"title": "水压低", "body": "高层水压不足"}, format="json")
        .json()
    )
    starts = (timezone.now() + dt.timedelta(days=4)).isoformat()
    meeting = (
        _api(world.secretary)
        .post(
            base + "meetings/",
            {
                "kind": "joint",
                "title": "联席会议",
                "location": "会议室",
                "starts_at": starts,
                "topics": [topic["id"]],
            },
            format="json",
        )
        .json()
    )
    m = f"{base}meetings/{meeting['id']}/"
    for user, party in (
        (world.official, "community"),
        (world.committee, "committee"),
        (world.staff, "company"),
    ):
        assert (
            _api(world.secretary)
            .post(m + "attendance/", {"user": user.pk, "party": party}, format="json")
            .status_code
            == 200
        )
    assert _api(world.secretary).post(m + "open/").json()["quorum_met"] is True
    item = meeting["agenda"][0]["id"]
    assert (
        _api(world.secretary)
        .post(f"{m}agenda/{item}/minutes/", {"minutes": "讨论"}, format="json")
        .status_code
        == 200
    )
    resolution = (
        _api(world.secretary)
        .post(
            f"{m}agenda/{item}/resolutions/",
            {"number": "2026-09", "text": "加装水泵", "votes_for": 3},
            format="json",
        )
        .json()
    )
    r = f"{base}resolutions/{resolution['id']}/actions/"
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    action = (
        _api(world.secretary)
        .post(
            r,
            {
                "title": "加装水泵",
                "responsible_party": "company",
                "responsible_person": world.staff.pk,
                "due_date": due,
            },
            format="json",
        )
        .json()
    )
    assert _api(world.secretary).post(m + "close/").status_code == 200
    for user in (world.official, world.committee, world.staff):
        assert _api(user).post(m + "confirm/").status_code == 200
    assert _api(world.staff).post(f"{r}{action['id']}/claim/").json()["status"] == "claimed"
    response = _api(world.staff).post(f"{r}{action['id']}/confirm/", {}, format="json")
    assert response.status_code == 403
    _api(world.committee).post(f"{r}{action['id']}/confirm/", {}, format="json")
    assert (
        _api(world.official).post(f"{r}{action['id']}/confirm/", {}, format="json").json()["status"] == "done"
    )
    assert _api(world.resident).get(f"{base}topics/{topic['id']}/").json()["status"] == "resolved"
