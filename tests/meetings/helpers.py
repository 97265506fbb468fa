"""Small worlds for the meetings tests, built through the services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from meetings import services


def soon(days: int = 4) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def raise_topic(world, *, by=None, title="电梯经常停运", body="3栋电梯一周停了三次。"):
    return services.topic_raise(compound=world.a, actor=by or world.resident, title=title, body=body)


def convene(world, *, kind="joint", topics=(), actor=None, days=4):
    return services.meeting_convene(
        compound=world.a,
        actor=actor or world.secretary,
        kind=kind,
        title="2026年第4次联席会议",
        location="社区会议室",
        starts_at=soon(days),
        topics=topics,
        items=["其他事项"],
    )


def attend_three_parties(world, meeting, *, company=True):
    services.attendance_record(meeting=meeting, actor=world.secretary, user=world.official, party="community")
    services.attendance_record(
        meeting=meeting, actor=world.secretary, user=world.committee, party="committee"
    )
    if company:
        services.attendance_record(meeting=meeting, actor=world.secretary, user=world.staff, party="company")


def decided_topic(world):
    """A topic on a joint meeting's agenda, the meeting open with quorum, a resolution adopted
    with one action item for the company. Returns (topic, meeting, resolution, item)."""
    topic = raise_topic(world)
    meeting = convene(world, topics=[topic])
    attend_three_parties(world, meeting)
    meeting = services.meeting_open(meeting=meeting, actor=world.secretary)
    agenda_item = meeting.agenda.get(topic=topic)
    services.minutes_record(
        agenda_item=agenda_item, text="物业说明原因，三方商定更换主板。", actor=world.secretary
    )
    resolution = services.resolution_record(
        agenda_item=agenda_item,
        number="2026-04",
        text="物业于两周内更换电梯主板。",
        votes_for=3,
        actor=world.secretary,
    )
    item = services.action_item_create(
        resolution=resolution,
        title="更换3栋电梯主板",
        responsible_party="company",
        responsible_person=world.staff,
        due_date=timezone.localdate() + dt.timedelta(days=14),
        actor=world.secretary,
    )
    return topic, meeting, resolution, item
