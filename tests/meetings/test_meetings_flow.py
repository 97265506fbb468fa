"""Topics → meeting → minutes → resolution → action items, through the services, with the
refusals the issue lists (each naming its field) and nothing half-written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import ApplicationError, ConflictError, PermissionDeniedError
from communities.models import AuditEvent
from communities.testing import make_user
from meetings import services
from meetings.models import (
    ActionStatus,
    Meeting,
    MeetingStatus,
    Resolution,
    Topic,
    TopicSecond,
    TopicStatus,
)
from tests.meetings.helpers import attend_three_parties, convene, decided_topic, raise_topic, soon

pytestmark = pytest.mark.django_db


def _fields(exc_info) -> set[str]:
    exc = exc_info.value
    if isinstance(exc, ValidationError):
        return set(exc.message_dict)
    return set(exc.extra.get("fields", {}))


# --------------------------------------------------------------------------- topics


def test_any_member_raises_a_topic_and_the_secretary_is_told(world):
    topic = raise_topic(world)
    assert topic.status == TopicStatus.OPEN
    assert topic.raised_as == "owners"
    assert AuditEvent.objects.filter(action="meetings.topic_raise", object_id=str(topic.pk)).exists()
    assert world.secretary.notifications.filter(kind="meetings.topic").count() == 1
    staff_topic = raise_topic(world, by=world.staff, title="垃圾清运时间调整")
    assert staff_topic.raised_as == "company"


def test_a_stranger_and_a_street_admin_cannot_raise_a_topic(world):
    for user in (world.stranger, world.street_admin, world.outsider):
        with pytest.raises(PermissionDeniedError):
            raise_topic(world, by=user)
    assert not Topic.objects.exists()


def test_topic_needs_title_and_body(world):
    with pytest.raises(ValidationError) as exc:
        services.topic_raise(compound=world.a, actor=world.resident, title=" ", body="x")
    assert _fields(exc) == {"title"}
    with pytest.raises(ValidationError) as exc:
        services.topic_raise(compound=world.a, actor=world.resident, title="t", body="")
    assert _fields(exc) == {"body"}


def test_owners_second_once_and_the_database_refuses_a_second_time(world):
    topic = raise_topic(world, by=world.staff)
    services.topic_second(topic=topic, actor=world.resident)
    with pytest.raises(ConflictError) as exc:
        services.topic_second(topic=topic, actor=world.resident)
    assert _fields(exc) == {"topic"}
    topic.refresh_from_db()
    assert topic.seconds_count == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        TopicSecond.objects.create(compound=world.a, topic=topic, user=world.resident)


def test_non_owners_cannot_second_and_nobody_seconds_their_own(world):
    topic = raise_topic(world)
    with pytest.raises(PermissionDeniedError):
        services.topic_second(topic=topic, actor=world.staff)
    with pytest.raises(ValidationError) as exc:
        services.topic_second(topic=topic, actor=world.resident)
    assert _fields(exc) == {"topic"}


def test_triage_decline_needs_a_reason_the_raiser_reads(world):
    topic = raise_topic(world)
    with pytest.raises(ValidationError) as exc:
        services.topic_decline(topic=topic, reason="  ", actor=world.secretary)
    assert _fields(exc) == {"reason"}
    services.topic_decline(topic=topic, reason="属于个人户内维修，请报物业工单。", actor=world.secretary)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECLINED
    assert world.resident.notifications.filter(body__contains="户内维修").exists()


def test_triage_merge_refuses_itself_and_other_compounds(world):
    first = raise_topic(world)
    second = raise_topic(world, by=world.steward, title="电梯又坏了")
    with pytest.raises(ValidationError) as exc:
        services.topic_merge(topic=second, into=second, actor=world.official)
    assert _fields(exc) == {"into"}
    services.topic_merge(topic=second, into=first, actor=world.official)
    second.refresh_from_db()
    assert (second.status, second.merged_into_id) == (TopicStatus.MERGED, first.pk)


def test_only_the_secretary_or_an_official_triages(world):
    topic = raise_topic(world)
    for user in (world.chair, world.committee, world.staff, world.resident):
        with pytest.raises(PermissionDeniedError):
            services.topic_decline(topic=topic, reason="no", actor=user)


# --------------------------------------------------------------------------- meetings


def test_convening_needs_notice_three_days_and_fifteen_for_an_assembly(world):
    with pytest.raises(ValidationError) as exc:
        convene(world, days=2)
    assert _fields(exc) == {"starts_at"}
    with pytest.raises(ValidationError) as exc:
        convene(world, kind="assembly", days=14)
    assert _fields(exc) == {"starts_at"}
    assert convene(world, kind="assembly", days=16).kind == "assembly"
    assert not Meeting.objects.filter(kind="joint").exists()


def test_who_convenes(world):
    for user in (world.official, world.secretary, world.chair):
        convene(world, actor=user)
    for user in (world.committee, world.staff, world.resident, world.steward):
        with pytest.raises(PermissionDeniedError):
            convene(world, actor=user)


def test_the_notice_reaches_the_three_parties_in_app(world):
    meeting = convene(world)
    for user in (world.official, world.committee, world.chair, world.staff, world.secretary):
        assert user.notifications.filter(kind="meetings.notice", url__contains=f"/{meeting.pk}/").exists(), (
            user
        )
    assert not world.resident.notifications.filter(kind="meetings.notice").exists()


def test_a_joint_meeting_without_the_company_has_no_quorum_and_passes_nothing(world):
    topic = raise_topic(world)
    meeting = convene(world, topics=[topic])
    attend_three_parties(world, meeting, company=False)
    meeting = services.meeting_open(meeting=meeting, actor=world.secretary)
    assert meeting.quorum_met is False
    assert meeting.quorum_detail["missing_parties"] == ["company"]
    with pytest.raises(ValidationError) as exc:
        services.resolution_record(
            agenda_item=meeting.agenda.first(), number="2026-01", text="x", votes_for=2, actor=world.secretary
        )
    assert _fields(exc) == {"agenda_item"}
    assert not Resolution.objects.exists()


def test_an_expanded_meeting_needs_a_majority_of_the_committee(world):
    meeting = convene(world, kind="expanded")
    services.attendance_record(
        meeting=meeting, actor=world.secretary, user=world.committee, party="committee"
    )
    services.attendance_record(meeting=meeting, actor=world.secretary, user=world.resident, party="owners")
    opened = services.meeting_open(meeting=meeting, actor=world.secretary)
    # committee: committee, committee2, chair → 1 of 3 is no majority.
    assert (opened.quorum_met, opened.quorum_detail["committee_size"]) == (False, 3)
    meeting2 = convene(world, kind="expanded")
    for user in (world.committee, world.chair):
        services.attendance_record(meeting=meeting2, actor=world.secretary, user=user, party="committee")
    assert services.meeting_open(meeting=meeting2, actor=world.secretary).quorum_met is True


def test_attendance_is_for_a_party_the_person_belongs_to(world):
    meeting = convene(world)
    with pytest.raises(ValidationError) as exc:
        services.attendance_record(
            meeting=meeting, actor=world.secretary, user=world.resident, party="committee"
        )
    assert _fields(exc) == {"user"}
    with pytest.raises(ValidationError) as exc:
        services.attendance_record(
            meeting=meeting, actor=world.secretary, user=world.resident, party="owners"
        )
    assert _fields(exc) == {"party"}  # a joint meeting is of the three parties


def test_resolution_numbers_are_unique_per_compound_and_votes_fit_those_present(world):
    topic, meeting, _resolution, _item = decided_topic(world)
    item = meeting.agenda.exclude(topic=topic).first()
    with pytest.raises(ValidationError) as exc:
        services.resolution_record(
            agenda_item=item, number="2026-04", text="x", votes_for=3, actor=world.secretary
        )
    assert _fields(exc) == {"number"}
    with pytest.raises(ValidationError) as exc:
        services.resolution_record(
            agenda_item=item, number="2026-05", text="x", votes_for=3, votes_against=1, actor=world.secretary
        )
    assert _fields(exc) == {"votes_for"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Resolution.objects.create(
            compound=world.a,
            meeting=meeting,
            agenda_item=item,
            number="2026-04",
            text="dup",
            votes_for=1,
            votes_against=0,
            votes_abstain=0,
            present=3,
            adopted=False,
            decided_on=timezone.localdate(),
            recorded_by=world.secretary,
        )
    lost = services.resolution_record(
        agenda_item=item,
        number="2026-05",
        text="x",
        votes_for=1,
        votes_against=1,
        votes_abstain=1,
        actor=world.secretary,
    )
    assert lost.adopted is False  # one of three present is no majority


def test_minutes_confirmed_once_per_party_only_by_parties_present_then_published(world):
    topic, meeting, _resolution, _item = decided_topic(world)
    with pytest.raises(ConflictError):
        services.minutes_confirm(meeting=meeting, actor=world.official)  # still open
    services.meeting_close(meeting=meeting, actor=world.secretary)
    services.minutes_confirm(meeting=meeting, actor=world.official)
    with pytest.raises(ValidationError) as exc:
        services.minutes_confirm(meeting=meeting, actor=world.official)
    assert _fields(exc) == {"party"}
    # The chair (committee) was not present: not a confirmer, though the committee was there.
    with pytest.raises(ValidationError) as exc:
        services.minutes_confirm(meeting=meeting, actor=world.chair)
    assert _fields(exc) == {"user"}
    # The resident's party (owners) was absent altogether.
    with pytest.raises(ValidationError) as exc:
        services.minutes_confirm(meeting=meeting, actor=world.resident)
    assert _fields(exc) == {"party"}
    services.minutes_confirm(meeting=meeting, actor=world.committee)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    services.minutes_confirm(meeting=meeting, actor=world.staff)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PUBLISHED and meeting.published_at
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECIDED


def test_closing_returns_undecided_topics_to_the_open_list(world):
    topic = raise_topic(world)
    meeting = convene(world, topics=[topic])
    attend_three_parties(world, meeting)
    meeting = services.meeting_open(meeting=meeting, actor=world.secretary)
    services.meeting_close(meeting=meeting, actor=world.secretary)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.OPEN


# --------------------------------------------------------------------------- action items


def test_done_is_claimed_by_the_responsible_party_and_confirmed_by_the_two_others(world):
    topic, _meeting, _resolution, item = decided_topic(world)
    with pytest.raises(PermissionDeniedError):
        services.action_claim_done(action_item=item, actor=world.committee)
    services.action_progress_add(action_item=item, note="主板已到货。", actor=world.staff)
    services.action_claim_done(action_item=item, actor=world.staff)
    # Nobody confirms their own party's work: the staff member, or the company's manager.
    for user in (world.staff, world.manager):
        with pytest.raises(PermissionDeniedError):
            services.action_confirm_done(action_item=item, actor=user)
    services.action_confirm_done(action_item=item, actor=world.committee)
    with pytest.raises(ValidationError) as exc:
        services.action_confirm_done(action_item=item, actor=world.chair)
    assert _fields(exc) == {"party"}
    item.refresh_from_db()
    assert item.status == ActionStatus.CLAIMED
    topic.refresh_from_db()
    assert topic.status != TopicStatus.RESOLVED
    services.action_confirm_done(action_item=item, actor=world.official)
    item.refresh_from_db()
    topic.refresh_from_db()
    assert item.status == ActionStatus.DONE
    assert topic.status == TopicStatus.RESOLVED and topic.resolved_at


def test_a_cross_appointed_person_cannot_confirm_for_the_other_party(world):
    """Someone on the committee *and* on the company's staff cannot confirm the company's work."""
    from communities import services as community_services

    _topic, _meeting, _resolution, item = decided_topic(world)
    dual = make_user(name="兼任")
    community_services.membership_create(user=dual, role="committee_member", compound=world.a, actor=None)
    community_services.membership_create(
        user=dual, role="company_staff", company=world.company, compound=world.a, actor=None
    )
    services.action_claim_done(action_item=item, actor=world.staff)
    with pytest.raises(PermissionDeniedError):
        services.action_confirm_done(action_item=item, actor=dual)


def test_a_topic_with_two_action_items_is_resolved_only_when_both_are_done(world):
    topic, _meeting, resolution, first = decided_topic(world)
    second = services.action_item_create(
        resolution=resolution,
        title="业委会验收",
        responsible_party="committee",
        responsible_person=world.committee,
        due_date=timezone.localdate() + dt.timedelta(days=20),
        actor=world.secretary,
    )
    services.action_claim_done(action_item=first, actor=world.staff)
    services.action_confirm_done(action_item=first, actor=world.committee)
    services.action_confirm_done(action_item=first, actor=world.official)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECIDED
    services.action_claim_done(action_item=second, actor=world.committee)
    services.action_confirm_done(action_item=second, actor=world.staff)
    services.action_confirm_done(action_item=second, actor=world.secretary)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.RESOLVED


def test_action_item_refusals_name_the_field(world):
    _topic, _meeting, resolution, _item = decided_topic(world)
    base = dict(resolution=resolution, title="x", due_date=timezone.localdate(), actor=world.secretary)
    with pytest.raises(ValidationError) as exc:
        services.action_item_create(**base, responsible_party="owners", responsible_person=world.resident)
    assert _fields(exc) == {"responsible_party"}
    with pytest.raises(ValidationError) as exc:
        services.action_item_create(**base, responsible_party="company", responsible_person=world.committee)
    assert _fields(exc) == {"responsible_person"}
    with pytest.raises(ValidationError) as exc:
        services.action_item_create(
            **{**base, "due_date": timezone.localdate() - dt.timedelta(days=1)},
            responsible_party="company",
            responsible_person=world.staff,
        )
    assert _fields(exc) == {"due_date"}


def test_convening_puts_topics_on_the_agenda_in_one_transaction(world):
    topic = raise_topic(world)
    declined = raise_topic(world, title="另一个")
    services.topic_decline(topic=declined, reason="重复", actor=world.secretary)
    with pytest.raises(ValidationError) as exc:
        services.meeting_convene(
            compound=world.a,
            actor=world.secretary,
            kind="joint",
            title="t",
            location="l",
            starts_at=soon(),
            topics=[topic, declined],
        )
    assert _fields(exc) == {"topics"}
    topic.refresh_from_db()
    assert topic.status == TopicStatus.OPEN and not Meeting.objects.exists()


def test_photos_are_png_or_jpeg_by_their_bytes_and_all_or_nothing(world, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    png = SimpleUploadedFile("漏水.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    topic = services.topic_raise(
        compound=world.a, actor=world.resident, title="漏水", body="楼道漏水", photos=[png]
    )
    assert [p.content_type for p in topic.photos.all()] == ["image/png"]
    fake = SimpleUploadedFile("scan.png", b"%PDF-1.4 not a photo")
    with pytest.raises(ApplicationError) as exc:
        services.topic_raise(compound=world.a, actor=world.resident, title="第二个", body="b", photos=[fake])
    assert set(exc.value.extra["fields"]) == {"photos"}
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 a document")
    with pytest.raises(ValidationError) as exc:
        services.topic_raise(compound=world.a, actor=world.resident, title="第三个", body="b", photos=[pdf])
    assert _fields(exc) == {"photos"}
    assert Topic.objects.count() == 1


def test_the_meeting_notice_is_e_mailed_after_commit(world, django_capture_on_commit_callbacks, mailoutbox):
    world.official.email = "official@example.com"
    world.official.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        meeting = convene(world)
    assert [m.to for m in mailoutbox] == [["official@example.com"]]
    assert meeting.title in mailoutbox[0].subject
    assert f"/meetings/{meeting.pk}/" in mailoutbox[0].body


def test_every_step_leaves_an_audit_event_in_its_transaction(world):
    from communities.models import AuditEvent

    _topic, meeting, _resolution, item = decided_topic(world)
    services.meeting_close(meeting=meeting, actor=world.secretary)
    for user in (world.official, world.committee, world.staff):
        services.minutes_confirm(meeting=meeting, actor=user)
    services.action_claim_done(action_item=item, actor=world.staff)
    services.action_confirm_done(action_item=item, actor=world.committee)
    services.action_confirm_done(action_item=item, actor=world.official)
    actions = set(AuditEvent.objects.filter(compound=world.a).values_list("action", flat=True))
    assert {
        "meetings.topic_raise",
        "meetings.meeting_convene",
        "meetings.attendance_record",
        "meetings.meeting_open",
        "meetings.minutes_record",
        "meetings.resolution_record",
        "meetings.action_create",
        "meetings.meeting_close",
        "meetings.minutes_confirm",
        "meetings.minutes_publish",
        "meetings.action_claim",
        "meetings.action_confirm",
        "meetings.action_done",
        "meetings.topic_resolved",
    } <= actions
    by_secretary = AuditEvent.objects.filter(action="meetings.meeting_open").get()
    assert by_secretary.actor == world.secretary


def test_cancelling_needs_a_reason_reopens_the_topics_and_tells_those_noticed(world):
    topic = raise_topic(world)
    meeting = convene(world, topics=[topic])
    with pytest.raises(ValidationError) as exc:
        services.meeting_cancel(meeting=meeting, actor=world.official, reason=" ")
    assert _fields(exc) == {"reason"}
    with pytest.raises(PermissionDeniedError):
        services.meeting_cancel(meeting=meeting, actor=world.committee, reason="x")
    services.meeting_cancel(meeting=meeting, actor=world.official, reason="台风预警，改期。")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.OPEN
    assert world.staff.notifications.filter(
        title__startswith="Meeting cancelled", body="台风预警，改期。"
    ).exists()
    assert not world.resident.notifications.filter(title__startswith="Meeting cancelled").exists()
    with pytest.raises(ConflictError):
        services.meeting_open(meeting=meeting, actor=world.secretary)
