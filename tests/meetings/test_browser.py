"""The deliberation journey in Chromium at a phone's width (390 × 844), in Chinese: an
owner raises a topic, the secretary puts it on a meeting's agenda, the meeting runs and
its minutes are confirmed by each party present, the company reports the action item
done, the committee and the community confirm it, and the public page — no log-in —
shows the topic resolved."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from meetings import services
from meetings.models import ActionItem, Meeting, Topic, TopicStatus
from tests.meetings.helpers import attend_three_parties, convene

pytestmark = pytest.mark.browser
TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}


def _as(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    if user is not None:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
    return context, context.new_page()


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_topic_to_resolved_on_a_phone(world, live_server, browser, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    slug = world.a.slug
    meeting = convene(world)  # a scheduled joint meeting to put topics on

    # 1. The owner raises a topic.
    context, page = _as(browser, live_server, world.resident)
    page.goto(f"/c/{slug}/meetings/")
    _no_horizontal_scroll(page)
    page.click("#raise-topic")
    page.fill("input[name=title]", "北门路灯不亮")
    page.fill("textarea[name=body]", "北门到2栋的路灯坏了半个月，晚上很黑。")
    page.locator("#topic-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/meetings/topics/\d+/$"))
    assert "北门路灯不亮" in page.locator("#topic").inner_text()
    _no_horizontal_scroll(page)
    context.close()
    topic = Topic.objects.get(title="北门路灯不亮")

    # 2. The secretary puts it on the meeting's agenda.
    context, page = _as(browser, live_server, world.secretary)
    page.goto(f"/c/{slug}/meetings/topics/{topic.pk}/")
    page.select_option("#agenda-meeting", str(meeting.pk))
    page.click("#put-on-agenda")
    page.wait_for_selector("#topic-status")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.ON_AGENDA

    # 3. The meeting: attendance of the three parties, opened by the secretary on the page.
    attend_three_parties(world, meeting)
    page.goto(f"/c/{slug}/meetings/{meeting.pk}/")
    page.click("#open-meeting")
    page.wait_for_selector("#quorum")
    assert "达到法定人数" in page.locator("#quorum").inner_text()
    item = meeting.agenda.get(topic=topic)
    page.fill(f"#minutes-{item.pk}", "物业说明线路老化，三方商定一周内更换。")
    page.locator(f"form[action$='/items/{item.pk}/minutes/'] button").click()
    page.wait_for_selector(".minutes")
    context.close()
    resolution = services.resolution_record(
        agenda_item=item,
        number="2026-11",
        text="物业一周内更换北门路灯线路。",
        votes_for=3,
        actor=world.secretary,
    )
    action = services.action_item_create(
        resolution=resolution,
        title="更换北门路灯线路",
        responsible_party="company",
        responsible_person=world.staff,
        due_date=timezone.localdate() + dt.timedelta(days=7),
        actor=world.secretary,
    )
    services.meeting_close(meeting=meeting, actor=world.secretary)

    # 4. One person of each party present confirms the minutes.
    for user in (world.official, world.committee, world.staff):
        context, page = _as(browser, live_server, user)
        page.goto(f"/c/{slug}/meetings/{meeting.pk}/")
        page.click("#confirm-minutes")
        page.wait_for_selector("#confirmations")
        context.close()
    assert Meeting.objects.get(pk=meeting.pk).status == "published"

    # 5. The company reports the action item done; the committee and the community confirm.
    context, page = _as(browser, live_server, world.staff)
    page.goto(f"/c/{slug}/meetings/actions/{action.pk}/")
    page.click("#claim-done")
    page.wait_for_selector("#action-status")
    assert page.locator("#confirm-done").count() == 0  # never one's own
    context.close()
    for user in (world.committee, world.official):
        context, page = _as(browser, live_server, user)
        page.goto(f"/c/{slug}/meetings/actions/{action.pk}/")
        page.click("#confirm-done")
        page.wait_for_selector("#action-status")
        context.close()
    assert ActionItem.objects.get(pk=action.pk).status == "done"

    # 6. Anyone sees it resolved on the public page, without the owner's name.
    context, page = _as(browser, live_server, None)
    page.goto(f"/c/{slug}/meetings/public/")
    _no_horizontal_scroll(page)
    page.click(f"a[href='/c/{slug}/meetings/public/topics/{topic.pk}/']")
    assert page.locator("#public-topic-status").inner_text().strip() == "已解决"
    body = page.locator("main").inner_text()
    assert "更换北门路灯线路" in body and "陈先生" not in body
    context.close()
