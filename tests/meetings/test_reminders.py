"""Overdue action items: one reminder to the responsible person and the secretary, one
escalation to the community's officials after 7 days — exactly once each, with a frozen
clock, however often the beat job runs."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import Notification
from meetings import services
from meetings.tasks import action_items_remind_task
from tests.meetings.helpers import decided_topic

pytestmark = pytest.mark.django_db


def _at(day: dt.date):
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 15)))
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _count(user, kind):
    return Notification.objects.filter(user=user, kind=kind).count()


def test_reminded_once_then_escalated_once(world):
    _topic, _meeting, _resolution, item = decided_topic(world)
    due = item.due_date
    with _at(due):
        assert services.action_items_remind() == {"reminded": 0, "escalated": 0}  # due today: not overdue
    with _at(due + dt.timedelta(days=1)):
        assert action_items_remind_task() == {"reminded": 1, "escalated": 0}
        assert services.action_items_remind() == {"reminded": 0, "escalated": 0}
    assert _count(world.staff, "meetings.action_overdue") == 1
    assert _count(world.secretary, "meetings.action_overdue") == 1
    assert _count(world.official, "meetings.action_escalated") == 0
    with _at(due + dt.timedelta(days=7)):
        assert services.action_items_remind() == {"reminded": 0, "escalated": 0}  # 7 days: not yet
    for days in (8, 9, 30):
        with _at(due + dt.timedelta(days=days)):
            services.action_items_remind()
    assert _count(world.official, "meetings.action_escalated") == 1
    assert _count(world.staff, "meetings.action_overdue") == 1
    item.refresh_from_db()
    assert item.reminded_at.date() == due + dt.timedelta(days=1)
    assert item.escalated_at.date() == due + dt.timedelta(days=8)


def test_a_done_item_is_never_reminded(world):
    _topic, _meeting, _resolution, item = decided_topic(world)
    services.action_claim_done(action_item=item, actor=world.staff)
    services.action_confirm_done(action_item=item, actor=world.committee)
    services.action_confirm_done(action_item=item, actor=world.official)
    with _at(item.due_date + dt.timedelta(days=20)):
        assert services.action_items_remind() == {"reminded": 0, "escalated": 0}


def test_the_beat_schedule_runs_the_job_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["meetings-action-items-remind"]
    assert entry["task"] == "meetings.action_items_remind"
