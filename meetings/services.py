"""Writes for topics, meetings, minutes, resolutions and action items.

Each service is the one way to make its change: keyword-only arguments, an explicit
``actor``, one durable transaction, an audit event in it, ``ValidationError`` naming the
field for bad input and ``PermissionDeniedError`` for a missing role. Notifications go
through ``accounts.notifications.notify`` (inbox now, e-mail after commit).

Owners' votes (Civil Code art. 278) are in ``meetings.votes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Notification, User
from accounts.notifications import notify
from common.attachments import read_checked
from common.errors import ConflictError, PermissionDeniedError
from communities.audit import audit_record, snapshot
from communities.models import ROLE_PARTY, Compound, Membership, Party, Role, UnitOwnership, _active_q
from communities.permissions import Capability, standing_in
from meetings.models import (
    THREE_PARTIES,
    ActionConfirmation,
    ActionItem,
    ActionProgress,
    ActionStatus,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinutesConfirmation,
    Resolution,
    Topic,
    TopicPhoto,
    TopicSecond,
    TopicStatus,
    VoteStatus,
)

# Notice before a meeting (days): the model rules of procedure ask 15 for an owners'
# assembly; joint and expanded meetings default to 3.
NOTICE_DAYS = {MeetingKind.JOINT: 3, MeetingKind.EXPANDED: 3, MeetingKind.ASSEMBLY: 15}
# An overdue action item is escalated to the community this many days after its due date.
ESCALATE_AFTER_DAYS = 7
PHOTO_TYPES = {"image/png", "image/jpeg"}
MAX_PHOTOS = 9
# A person in several parties raises a topic, unless they say otherwise, as the first of
# these they belong to: an owner on the committee raises a neighbour's problem as an owner.
RAISE_PREFERENCE = (Party.OWNERS, Party.VOLUNTEERS, Party.COMMITTEE, Party.COMPANY, Party.COMMUNITY)


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _require(actor, compound: Compound, *capabilities: Capability):
    """The actor's standing if they hold one of ``capabilities`` in ``compound``."""
    standing = standing_in(actor, compound)
    if not any(standing.can(c) for c in capabilities):
        raise PermissionDeniedError(_("Your roles in this compound do not allow this."))
    return standing


def parties_of(standing) -> set[str]:
    """The parties a person belongs to in the compound (several when cross-appointed)."""
    return {ROLE_PARTY[role] for role in standing.roles}


def _pick_party(
    standing, allowed: Iterable[str], party: str | None, *, field: str = "party", prefer: tuple = ()
) -> str:
    """The party the actor acts for: the one named, or their only eligible one."""
    eligible = sorted(parties_of(standing) & set(allowed))
    if party:
        if party not in eligible:
            raise _refuse(field, _("You do not act for this party here."))
        return party
    if not eligible:
        raise PermissionDeniedError(_("None of your roles belongs to a party that may do this."))
    if len(eligible) > 1 and prefer:
        return next(p for p in prefer if p in eligible)
    if len(eligible) > 1:
        raise _refuse(field, _("You belong to several parties; say which one you act for."))
    return eligible[0]


def _photos_store(*, compound, actor, photos, topic=None, progress=None) -> list[TopicPhoto]:

    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise _refuse("photos", _("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    stored = []
    for upload in photos:
        content, meta = read_checked(upload, field="photos")
        if meta["content_type"] not in PHOTO_TYPES:
            raise _refuse(
                "photos", _("“%(name)s” is not a PNG or JPEG photo.") % {"name": meta["original_name"]}
            )
        stored.append(
            TopicPhoto.objects.create(
                compound=compound, topic=topic, progress=progress, file=content, uploaded_by=actor, **meta
            )
        )
    return stored


def _url(name: str, compound: Compound, pk: int) -> str:
    return reverse(f"meetings:{name}", kwargs={"slug": compound.slug, "pk": pk})


def _people(compound: Compound, roles: Iterable[str]):
    """Users with one of ``roles`` in force in ``compound`` (memberships reaching it)."""
    roles = list(roles)

    q = Q(compound=compound) | Q(compound__isnull=True, community_id=compound.community_id)
    q |= Q(
        party=Party.COMPANY, company__contracts__compound=compound, company__contracts__status="active"
    ) & (Q(compound__isnull=True) | Q(compound=compound))
    ids = Membership.objects.filter(_active_q(), q, role__in=roles).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True)


def _owners(compound: Compound):

    ids = UnitOwnership.objects.filter(_active_q(), compound=compound).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True)


# --------------------------------------------------------------------------- topics


@transaction.atomic(durable=True)
def topic_raise(
    *, compound: Compound, actor, title: str, body: str, photos=(), raised_as: str | None = None
) -> Topic:
    """Any member of the compound raises a topic (议题), with text and up to nine photos."""
    standing = _require(actor, compound, Capability.RAISE_TOPIC)
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise _refuse("title", _("Give the topic a short title."))
    if len(title) > 120:
        raise _refuse("title", _("At most 120 characters."))
    if not body:
        raise _refuse("body", _("Describe the problem or proposal."))
    party = _pick_party(
        standing,
        [p for p in Party.values if p != Party.STREET_OFFICE],
        raised_as,
        field="raised_as",
        prefer=RAISE_PREFERENCE,
    )
    topic = Topic.objects.create(compound=compound, raised_by=actor, raised_as=party, title=title, body=body)
    _photos_store(compound=compound, actor=actor, photos=photos, topic=topic)
    audit_record(actor=actor, action="meetings.topic_raise", obj=topic, compound=compound)
    notify(
        users=_people(compound, [Role.COMMUNITY_SECRETARY]),
        kind="meetings.topic",
        title=_("New topic in %(compound)s: %(title)s") % {"compound": compound.name, "title": title},
        url=_url("topic-detail", compound, topic.pk),
        compound=compound,
    )
    return topic


@transaction.atomic(durable=True)
def topic_second(*, topic: Topic, actor) -> TopicSecond:
    """An owner seconds (附议) a topic — once; the database refuses a second time too."""
    _require(actor, topic.compound, Capability.SECOND_TOPIC)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    if topic.raised_by_id == actor.pk:
        raise _refuse("topic", _("You raised this topic yourself."))
    if topic.status not in (TopicStatus.OPEN, TopicStatus.ON_AGENDA):
        raise _refuse("topic", _("This topic is no longer open for seconding."))
    try:
        with transaction.atomic():
            second = TopicSecond.objects.create(compound=topic.compound, topic=topic, user=actor)
    except IntegrityError:
        raise ConflictError(
            _("You have already seconded this topic."), extra={"fields": {"topic": [_("Already seconded.")]}}
        ) from None
    topic.seconds_count = topic.seconds.count()
    topic.save(update_fields=["seconds_count"])
    audit_record(actor=actor, action="meetings.topic_second", obj=second, compound=topic.compound)
    return second


def _triage_lock(topic: Topic, actor) -> Topic:
    _require(actor, topic.compound, Capability.TRIAGE_TOPICS)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    if topic.status not in (TopicStatus.OPEN, TopicStatus.ON_AGENDA):
        raise _refuse(
            "topic", _("This topic has already been triaged: %(s)s.") % {"s": topic.get_status_display()}
        )
    return topic


@transaction.atomic(durable=True)
def topic_put_on_agenda(*, topic: Topic, meeting: Meeting, actor) -> AgendaItem:
    """Triage: put a topic on the agenda of a scheduled meeting of its compound."""
    topic = _triage_lock(topic, actor)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.compound_id != topic.compound_id:
        raise _refuse("meeting", _("That meeting belongs to another compound."))
    if meeting.status != MeetingStatus.SCHEDULED:
        raise _refuse("meeting", _("Only a meeting that has not started takes new agenda items."))
    if meeting.agenda.filter(topic=topic).exists():
        raise _refuse("meeting", _("This topic is already on that meeting's agenda."))
    item = _agenda_append(meeting, topic=topic, title=topic.title)
    before = snapshot(topic, ["status"])
    topic.status, topic.triaged_by, topic.triaged_at = TopicStatus.ON_AGENDA, actor, timezone.now()
    topic.save(update_fields=["status", "triaged_by", "triaged_at"])
    audit_record(
        actor=actor, action="meetings.topic_agenda", obj=topic, compound=topic.compound, before=before
    )
    notify(
        users=[topic.raised_by],
        kind="meetings.topic",
        title=_("Your topic “%(title)s” is on the agenda of %(meeting)s")
        % {"title": topic.title, "meeting": meeting.title},
        url=_url("topic-detail", topic.compound, topic.pk),
        compound=topic.compound,
    )
    return item


@transaction.atomic(durable=True)
def topic_merge(*, topic: Topic, into: Topic, actor) -> Topic:
    """Triage: the same problem was raised twice; the seconds stay with the original."""
    topic = _triage_lock(topic, actor)
    if into.pk == topic.pk:
        raise _refuse("into", _("A topic cannot be merged into itself."))
    if into.compound_id != topic.compound_id:
        raise _refuse("into", _("That topic belongs to another compound."))
    if into.status in (TopicStatus.MERGED, TopicStatus.DECLINED):
        raise _refuse("into", _("Merge into a topic that is still open, not into a merged or declined one."))
    before = snapshot(topic, ["status", "merged_into_id"])
    topic.status, topic.merged_into = TopicStatus.MERGED, into
    topic.triaged_by, topic.triaged_at = actor, timezone.now()
    topic.save(update_fields=["status", "merged_into", "triaged_by", "triaged_at"])
    audit_record(
        actor=actor, action="meetings.topic_merge", obj=topic, compound=topic.compound, before=before
    )
    notify(
        users=[topic.raised_by],
        kind="meetings.topic",
        title=_("Your topic “%(title)s” was merged into “%(into)s”")
        % {"title": topic.title, "into": into.title},
        url=_url("topic-detail", topic.compound, into.pk),
        compound=topic.compound,
    )
    return topic


@transaction.atomic(durable=True)
def topic_decline(*, topic: Topic, reason: str, actor) -> Topic:
    """Triage: decline with a reason the raiser (and the public page) sees."""
    topic = _triage_lock(topic, actor)
    reason = (reason or "").strip()
    if not reason:
        raise _refuse("reason", _("Say why the topic is declined; the person who raised it will read it."))
    before = snapshot(topic, ["status"])
    topic.status, topic.decline_reason = TopicStatus.DECLINED, reason
    topic.triaged_by, topic.triaged_at = actor, timezone.now()
    topic.save(update_fields=["status", "decline_reason", "triaged_by", "triaged_at"])
    audit_record(
        actor=actor, action="meetings.topic_decline", obj=topic, compound=topic.compound, before=before
    )
    notify(
        users=[topic.raised_by],
        kind="meetings.topic",
        title=_("Your topic “%(title)s” was declined") % {"title": topic.title},
        body=reason,
        url=_url("topic-detail", topic.compound, topic.pk),
        compound=topic.compound,
    )
    return topic


# --------------------------------------------------------------------------- meetings


def _agenda_append(meeting: Meeting, *, topic: Topic | None, title: str) -> AgendaItem:
    last = meeting.agenda.order_by("-position").values_list("position", flat=True).first() or 0
    return AgendaItem.objects.create(
        compound=meeting.compound, meeting=meeting, position=last + 1, topic=topic, title=title[:120]
    )


def _may_convene(standing) -> bool:
    return standing.can(Capability.CONVENE_MEETING)


@transaction.atomic(durable=True)
def meeting_convene(
    *,
    compound: Compound,
    actor,
    kind: str,
    title: str,
    location: str,
    starts_at: dt.datetime,
    duration_minutes: int = 90,
    topics: Iterable[Topic] = (),
    items: Iterable[str] = (),
) -> Meeting:
    """A community official, the secretary or the committee chair convenes a meeting with
    notice (3 days; an owners' assembly 15) and an agenda; everyone concerned is told."""
    _require(actor, compound, Capability.CONVENE_MEETING)
    if kind not in MeetingKind.values:
        raise _refuse("kind", _("Choose the kind of meeting."))
    title, location = (title or "").strip(), (location or "").strip()
    if not title:
        raise _refuse("title", _("Give the meeting a title."))
    if not location:
        raise _refuse("location", _("Say where the meeting takes place."))
    if starts_at is None or timezone.is_naive(starts_at):
        raise _refuse("starts_at", _("Give the date and time the meeting starts."))
    if not (15 <= int(duration_minutes) <= 600):
        raise _refuse("duration_minutes", _("Between 15 and 600 minutes."))
    now = timezone.now()
    days = NOTICE_DAYS[kind]
    if starts_at < now + dt.timedelta(days=days):
        raise _refuse(
            "starts_at",
            _("A %(kind)s needs at least %(days)s days' notice: start on %(day)s or later.")
            % {
                "kind": MeetingKind(kind).label,
                "days": days,
                "day": timezone.localtime(now + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M"),
            },
        )
    meeting = Meeting.objects.create(
        compound=compound,
        kind=kind,
        title=title[:120],
        location=location[:120],
        starts_at=starts_at,
        duration_minutes=int(duration_minutes),
        convened_by=actor,
        noticed_at=now,
    )
    for topic in topics:
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        if topic.compound_id != compound.pk:
            raise _refuse("topics", _("A topic of another compound cannot be on this agenda."))
        if topic.status not in (TopicStatus.OPEN, TopicStatus.ON_AGENDA):
            raise _refuse("topics", _("“%(t)s” is not open.") % {"t": topic.title})
        if not standing_in(actor, compound).can(Capability.TRIAGE_TOPICS):
            raise _refuse("topics", _("Only the secretary or a community official puts topics on an agenda."))
        _agenda_append(meeting, topic=topic, title=topic.title)
        topic.status, topic.triaged_by, topic.triaged_at = TopicStatus.ON_AGENDA, actor, now
        topic.save(update_fields=["status", "triaged_by", "triaged_at"])
    for text in items:
        if text and text.strip():
            _agenda_append(meeting, topic=None, title=text.strip())
    audit_record(actor=actor, action="meetings.meeting_convene", obj=meeting, compound=compound)
    _notice(meeting)
    return meeting


def _notice(meeting: Meeting) -> None:
    compound = meeting.compound
    roles = [
        Role.COMMITTEE_MEMBER,
        Role.COMMITTEE_CHAIR,
        Role.COMMUNITY_OFFICIAL,
        Role.COMMUNITY_SECRETARY,
        Role.COMPANY_MANAGER,
        Role.COMPANY_STAFF,
    ]
    if meeting.kind == MeetingKind.EXPANDED:
        roles += [Role.OWNER_REP, Role.STEWARD]
    users = list(_people(compound, roles))
    if meeting.kind == MeetingKind.ASSEMBLY:
        users += list(_owners(compound))
    when = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")
    notify(
        users=users,
        kind="meetings.notice",
        title=_("Meeting notice: %(title)s, %(when)s") % {"title": meeting.title, "when": when},
        body=_("%(kind)s at %(place)s, %(when)s. The agenda and a calendar file are on the meeting's page.")
        % {"kind": meeting.get_kind_display(), "place": meeting.location, "when": when},
        url=_url("meeting-detail", compound, meeting.pk),
        compound=compound,
    )


def _meeting_lock(meeting: Meeting, *statuses: str, field: str = "meeting") -> Meeting:
    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("compound").get(pk=meeting.pk)
    if statuses and meeting.status not in statuses:
        raise ConflictError(
            _("Not possible while the meeting is “%(s)s”.") % {"s": meeting.get_status_display()},
            extra={"fields": {field: [meeting.get_status_display()]}},
        )
    return meeting


def _runs(actor, compound) -> None:
    """Recording a meeting: the secretary (minutes) or whoever may convene."""
    _require(actor, compound, Capability.KEEP_MINUTES, Capability.CONVENE_MEETING)


def party_of_role_holder(user, compound: Compound, party: str) -> str | None:
    """The role by which ``user`` belongs to ``party`` in ``compound`` today, if any."""
    standing = standing_in(user, compound)
    for role in sorted(standing.roles):
        if ROLE_PARTY[role] == party:
            return role
    return None


@transaction.atomic(durable=True)
def attendance_record(*, meeting: Meeting, actor, user, party: str, present: bool = True) -> Attendance:
    """Record (or correct) one person's attendance, for one party they belong to."""
    meeting = _meeting_lock(meeting, MeetingStatus.SCHEDULED, MeetingStatus.OPEN)
    _runs(actor, meeting.compound)
    if party not in Party.values or party == Party.STREET_OFFICE:
        raise _refuse("party", _("Choose the party this person attends for."))
    role = party_of_role_holder(user, meeting.compound, party)
    if role is None:
        raise _refuse("user", _("This person holds no role of that party in this compound."))
    if meeting.kind == MeetingKind.JOINT and party not in THREE_PARTIES:
        raise _refuse("party", _("A joint meeting is of the community, the committee and the company."))
    row, _created = Attendance.objects.update_or_create(
        meeting=meeting,
        user=user,
        defaults={"compound": meeting.compound, "party": party, "role": role, "present": present},
    )
    audit_record(actor=actor, action="meetings.attendance_record", obj=row, compound=meeting.compound)
    return row


def committee_size(compound: Compound) -> int:
    return (
        Membership.objects.filter(
            _active_q(), compound=compound, role__in=[Role.COMMITTEE_MEMBER, Role.COMMITTEE_CHAIR]
        )
        .values("user_id")
        .distinct()
        .count()
    )


def quorum_check(meeting: Meeting) -> tuple[bool, dict]:
    """Each kind's own rule: a joint meeting needs the community, the committee and the
    company present; an expanded committee meeting a majority of the committee; an
    owners' assembly decides by the owners' vote (art. 278), whose participation
    thresholds are checked when it is counted."""
    present = list(meeting.attendance.filter(present=True).values("user_id", "party"))
    by_party: dict[str, int] = {}
    for row in present:
        by_party[row["party"]] = by_party.get(row["party"], 0) + 1
    detail: dict = {"present": len(present), "by_party": by_party, "kind": meeting.kind}
    if meeting.kind == MeetingKind.JOINT:
        missing = [p for p in THREE_PARTIES if not by_party.get(p)]
        detail["missing_parties"] = [str(p) for p in missing]
        return not missing, detail
    if meeting.kind == MeetingKind.EXPANDED:
        size = committee_size(meeting.compound)
        members = by_party.get(Party.COMMITTEE, 0)
        detail.update(committee_size=size, committee_present=members)
        return size > 0 and members * 2 > size, detail
    detail["rule"] = "art278"
    return True, detail


@transaction.atomic(durable=True)
def meeting_open(*, meeting: Meeting, actor) -> Meeting:
    """Open the meeting: check its quorum now and record the answer (and its figures)."""
    meeting = _meeting_lock(meeting, MeetingStatus.SCHEDULED)
    _runs(actor, meeting.compound)
    met, detail = quorum_check(meeting)
    meeting.status, meeting.opened_at = MeetingStatus.OPEN, timezone.now()
    meeting.quorum_met, meeting.quorum_detail = met, detail
    meeting.save(update_fields=["status", "opened_at", "quorum_met", "quorum_detail"])
    audit_record(actor=actor, action="meetings.meeting_open", obj=meeting, compound=meeting.compound)
    return meeting


@transaction.atomic(durable=True)
def meeting_cancel(*, meeting: Meeting, actor, reason: str) -> Meeting:
    """Cancel a meeting that has not started, with a reason; its topics are open again and
    whoever had the notice is told."""
    meeting = _meeting_lock(meeting, MeetingStatus.SCHEDULED)
    _require(actor, meeting.compound, Capability.CONVENE_MEETING)
    if not (reason or "").strip():
        raise _refuse("reason", _("Say why the meeting is cancelled."))
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status"])
    Topic.objects.filter(agenda_items__meeting=meeting, status=TopicStatus.ON_AGENDA).update(
        status=TopicStatus.OPEN
    )
    audit_record(
        actor=actor,
        action="meetings.meeting_cancel",
        obj=meeting,
        compound=meeting.compound,
        after={"reason": reason},
    )
    recipients = Notification.objects.filter(
        kind="meetings.notice", url=_url("meeting-detail", meeting.compound, meeting.pk)
    ).values("user_id")
    notify(
        users=User.objects.filter(pk__in=recipients),
        kind="meetings.notice",
        title=_("Meeting cancelled: %(title)s") % {"title": meeting.title},
        body=reason.strip(),
        url=_url("meeting-detail", meeting.compound, meeting.pk),
        compound=meeting.compound,
    )
    return meeting


@transaction.atomic(durable=True)
def minutes_record(*, agenda_item: AgendaItem, text: str, actor) -> AgendaItem:
    """The secretary writes the minutes of one agenda item (while open, or before confirmation)."""
    meeting = _meeting_lock(agenda_item.meeting, MeetingStatus.OPEN, MeetingStatus.CLOSED)
    _require(actor, meeting.compound, Capability.KEEP_MINUTES)
    if meeting.confirmations.exists():
        raise _refuse("minutes", _("Confirmed minutes cannot change."))
    text = (text or "").strip()
    if not text:
        raise _refuse("minutes", _("Write what was discussed and decided."))
    item = AgendaItem.objects.get(pk=agenda_item.pk)
    before = {"minutes": item.minutes}
    item.minutes = text
    item.save(update_fields=["minutes"])
    audit_record(
        actor=actor, action="meetings.minutes_record", obj=item, compound=meeting.compound, before=before
    )
    return item


@transaction.atomic(durable=True)
def resolution_record(
    *,
    agenda_item: AgendaItem,
    number: str,
    text: str,
    votes_for: int | None = None,
    votes_against: int = 0,
    votes_abstain: int = 0,
    owners_vote=None,
    actor,
) -> Resolution:
    """A numbered resolution (决议) with the vote of those present. No quorum, no
    resolution; an owners' assembly's resolution rests on a counted owners' vote."""
    meeting = _meeting_lock(agenda_item.meeting, MeetingStatus.OPEN, field="agenda_item")
    compound = meeting.compound
    _require(actor, compound, Capability.KEEP_MINUTES)
    if not meeting.quorum_met:
        raise _refuse(
            "agenda_item", _("The meeting had no quorum when it opened: it cannot pass resolutions.")
        )
    number, text = (number or "").strip(), (text or "").strip()
    if not number:
        raise _refuse("number", _("Give the resolution its number, e.g. 2026-03."))
    if len(number) > 40:
        raise _refuse("number", _("At most 40 characters."))
    if not text:
        raise _refuse("text", _("Write the text of the resolution."))
    if Resolution.objects.filter(compound=compound, number=number).exists():
        raise _refuse(
            "number", _("Resolution number %(n)s is already used in this compound.") % {"n": number}
        )
    present = meeting.attendance.filter(present=True).count()
    if meeting.kind == MeetingKind.ASSEMBLY:
        if owners_vote is None or owners_vote.compound_id != compound.pk:
            raise _refuse(
                "owners_vote", _("An owners' assembly decides by an owners' vote of this compound.")
            )
        if owners_vote.status != VoteStatus.CLOSED:
            raise _refuse("owners_vote", _("The owners' vote is not closed and counted yet."))
        if hasattr(owners_vote, "resolution") and Resolution.objects.filter(owners_vote=owners_vote).exists():
            raise _refuse("owners_vote", _("That owners' vote already has its resolution."))
        r = owners_vote.result
        votes_for = r["agree"]["owners"]
        votes_against = r["disagree"]["owners"]
        votes_abstain = r["abstain"]["owners"] + r.get("split", {}).get("owners", 0)
        present = r["participating"]["owners"]
        adopted = bool(owners_vote.passed)
    else:
        owners_vote = None
        try:
            votes_for, votes_against, votes_abstain = int(votes_for), int(votes_against), int(votes_abstain)
        except (TypeError, ValueError):
            raise _refuse("votes_for", _("Give the number of votes for, against and abstaining.")) from None
        for name, value in (
            ("votes_for", votes_for),
            ("votes_against", votes_against),
            ("votes_abstain", votes_abstain),
        ):
            if value < 0:
                raise _refuse(name, _("Cannot be negative."))
        if votes_for + votes_against + votes_abstain > present:
            raise _refuse(
                "votes_for",
                _("%(n)s votes, but only %(p)s people were present.")
                % {"n": votes_for + votes_against + votes_abstain, "p": present},
            )
        # A majority of those present, not merely of those who voted.
        adopted = votes_for * 2 > present
    try:
        with transaction.atomic():
            resolution = Resolution.objects.create(
                compound=compound,
                meeting=meeting,
                agenda_item=agenda_item,
                number=number,
                text=text,
                votes_for=votes_for,
                votes_against=votes_against,
                votes_abstain=votes_abstain,
                present=present,
                adopted=adopted,
                owners_vote=owners_vote,
                decided_on=timezone.localdate(),
                recorded_by=actor,
            )
    except IntegrityError:
        raise _refuse(
            "number", _("Resolution number %(n)s is already used in this compound.") % {"n": number}
        ) from None
    audit_record(actor=actor, action="meetings.resolution_record", obj=resolution, compound=compound)
    topic = agenda_item.topic
    if adopted and topic is not None and topic.status == TopicStatus.ON_AGENDA:
        topic.status = TopicStatus.DECIDED
        topic.save(update_fields=["status"])
    return resolution


@transaction.atomic(durable=True)
def meeting_close(*, meeting: Meeting, actor) -> Meeting:
    """Close the meeting. Topics with an adopted resolution are being carried out; the
    others go back to the open list to be taken up again."""
    meeting = _meeting_lock(meeting, MeetingStatus.OPEN)
    _runs(actor, meeting.compound)
    meeting.status, meeting.closed_at = MeetingStatus.CLOSED, timezone.now()
    meeting.save(update_fields=["status", "closed_at"])
    for item in meeting.agenda.select_related("topic").filter(topic__isnull=False):
        topic = item.topic
        if topic.status != TopicStatus.ON_AGENDA:
            continue
        adopted = Resolution.objects.filter(agenda_item__topic=topic, adopted=True).exists()
        topic.status = TopicStatus.DECIDED if adopted else TopicStatus.OPEN
        topic.save(update_fields=["status"])
    audit_record(actor=actor, action="meetings.meeting_close", obj=meeting, compound=meeting.compound)
    return meeting


def parties_present(meeting: Meeting) -> set[str]:
    return set(meeting.attendance.filter(present=True).values_list("party", flat=True))


@transaction.atomic(durable=True)
def minutes_confirm(*, meeting: Meeting, actor) -> MinutesConfirmation:
    """One person of each party present confirms the minutes; with the last party's
    confirmation they are published on the compound's public page."""
    meeting = _meeting_lock(meeting, MeetingStatus.CLOSED)
    row = meeting.attendance.filter(user=actor).first()
    if row is None or not row.present:
        standing = standing_in(actor, meeting.compound)
        absent = parties_of(standing) - parties_present(meeting)
        if absent and not (parties_of(standing) & parties_present(meeting)):
            raise _refuse(
                "party", _("Your party was not present at this meeting, so it does not confirm the minutes.")
            )
        raise _refuse("user", _("Only people who were present confirm the minutes."))
    if party_of_role_holder(actor, meeting.compound, row.party) is None:
        raise PermissionDeniedError(_("You no longer hold a role of the party you attended for."))
    if meeting.confirmations.filter(party=row.party).exists():
        raise _refuse("party", _("Your party has already confirmed these minutes."))
    try:
        with transaction.atomic():
            confirmation = MinutesConfirmation.objects.create(
                compound=meeting.compound, meeting=meeting, party=row.party, user=actor
            )
    except IntegrityError:
        raise _refuse("party", _("Your party has already confirmed these minutes.")) from None
    audit_record(actor=actor, action="meetings.minutes_confirm", obj=confirmation, compound=meeting.compound)
    confirmed = set(meeting.confirmations.values_list("party", flat=True))
    if parties_present(meeting) <= confirmed:
        meeting.status, meeting.published_at = MeetingStatus.PUBLISHED, timezone.now()
        meeting.save(update_fields=["status", "published_at"])
        audit_record(actor=actor, action="meetings.minutes_publish", obj=meeting, compound=meeting.compound)
    return confirmation


# --------------------------------------------------------------------------- action items


@transaction.atomic(durable=True)
def action_item_create(
    *,
    resolution: Resolution,
    title: str,
    responsible_party: str,
    responsible_person,
    due_date: dt.date,
    actor,
) -> ActionItem:
    """落实: a task of an adopted resolution, with a responsible party and person and a due date."""
    compound = resolution.compound
    _require(actor, compound, Capability.KEEP_MINUTES, Capability.CONVENE_MEETING)
    if not resolution.adopted:
        raise _refuse("resolution", _("This resolution was not adopted; there is nothing to carry out."))
    title = (title or "").strip()
    if not title:
        raise _refuse("title", _("Say what is to be done."))
    if responsible_party not in [p.value for p in THREE_PARTIES]:
        raise _refuse("responsible_party", _("The community, the committee or the company."))
    if (
        responsible_person is None
        or party_of_role_holder(responsible_person, compound, responsible_party) is None
    ):
        raise _refuse("responsible_person", _("This person holds no role of the responsible party here."))
    if not isinstance(due_date, dt.date):
        raise _refuse("due_date", _("Give a due date."))
    if due_date < resolution.decided_on:
        raise _refuse("due_date", _("The due date cannot be before the resolution."))
    item = ActionItem.objects.create(
        compound=compound,
        resolution=resolution,
        title=title[:200],
        responsible_party=responsible_party,
        responsible_person=responsible_person,
        due_date=due_date,
    )
    audit_record(actor=actor, action="meetings.action_create", obj=item, compound=compound)
    notify(
        users=[responsible_person],
        kind="meetings.action",
        title=_("Action item for you: %(t)s (due %(d)s)") % {"t": item.title, "d": due_date.isoformat()},
        url=_url("action-detail", compound, item.pk),
        compound=compound,
    )
    return item


def _action_lock(item: ActionItem) -> ActionItem:
    return (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("compound", "resolution")
        .get(pk=item.pk)
    )


@transaction.atomic(durable=True)
def action_progress_add(*, action_item: ActionItem, note: str, photos=(), actor) -> ActionProgress:
    """A progress update with photos, by the responsible party or those who follow action items."""
    item = _action_lock(action_item)
    standing = standing_in(actor, item.compound)
    if item.responsible_party not in parties_of(standing) and not standing.can(
        Capability.FOLLOW_ACTION_ITEMS
    ):
        raise PermissionDeniedError(
            _("Only the responsible party and those who follow action items post progress.")
        )
    if item.status == ActionStatus.DONE:
        raise _refuse("action_item", _("This action item is done."))
    note = (note or "").strip()
    if not note:
        raise _refuse("note", _("Say what has been done."))
    progress = ActionProgress.objects.create(
        compound=item.compound, action_item=item, author=actor, note=note
    )
    _photos_store(compound=item.compound, actor=actor, photos=photos, progress=progress)
    audit_record(actor=actor, action="meetings.action_progress", obj=progress, compound=item.compound)
    return progress


@transaction.atomic(durable=True)
def action_claim_done(*, action_item: ActionItem, actor) -> ActionItem:
    """The responsible party says it is done; the two other parties then confirm."""
    item = _action_lock(action_item)
    standing = standing_in(actor, item.compound)
    if item.responsible_party not in parties_of(standing):
        raise PermissionDeniedError(_("Only the responsible party reports its action item done."))
    if item.status != ActionStatus.OPEN:
        raise _refuse("action_item", _("This action item is already reported done."))
    item.status, item.claimed_by, item.claimed_at = ActionStatus.CLAIMED, actor, timezone.now()
    item.save(update_fields=["status", "claimed_by", "claimed_at"])
    audit_record(actor=actor, action="meetings.action_claim", obj=item, compound=item.compound)
    others = [p for p in THREE_PARTIES if p != item.responsible_party]
    roles = [r for r, p in ROLE_PARTY.items() if p in others and r not in (Role.COMPANY_STAFF,)]
    notify(
        users=_people(item.compound, roles),
        kind="meetings.action",
        title=_("Please confirm: “%(t)s” is reported done") % {"t": item.title},
        url=_url("action-detail", item.compound, item.pk),
        compound=item.compound,
    )
    return item


@transaction.atomic(durable=True)
def action_confirm_done(*, action_item: ActionItem, actor, party: str | None = None) -> ActionConfirmation:
    """One person of each of the two other parties confirms — never the claimer, the
    responsible person, or anyone of the responsible party (nobody confirms their own work)."""
    item = _action_lock(action_item)
    if item.status != ActionStatus.CLAIMED:
        raise _refuse("action_item", _("Only an action item reported done can be confirmed."))
    standing = standing_in(actor, item.compound)
    if actor.pk in (item.claimed_by_id, item.responsible_person_id) or item.responsible_party in parties_of(
        standing
    ):
        raise PermissionDeniedError(_("You cannot confirm your own party's action item as done."))
    others = [p for p in THREE_PARTIES if p != item.responsible_party]
    party = _pick_party(standing, others, party)
    if item.confirmations.filter(party=party).exists():
        raise _refuse("party", _("Your party has already confirmed this action item."))
    try:
        with transaction.atomic():
            confirmation = ActionConfirmation.objects.create(
                compound=item.compound, action_item=item, party=party, user=actor
            )
    except IntegrityError:
        raise _refuse("party", _("You or your party have already confirmed this action item.")) from None
    audit_record(actor=actor, action="meetings.action_confirm", obj=confirmation, compound=item.compound)
    if set(item.confirmations.values_list("party", flat=True)) >= set(others):
        item.status, item.done_at = ActionStatus.DONE, timezone.now()
        item.save(update_fields=["status", "done_at"])
        audit_record(actor=actor, action="meetings.action_done", obj=item, compound=item.compound)
        _topics_resolve(item.resolution)
    return confirmation


def _topics_resolve(resolution: Resolution) -> None:
    """A topic is resolved when it has action items and every one of them is done."""
    topic = resolution.agenda_item.topic
    if topic is None or topic.status == TopicStatus.RESOLVED:
        return
    items = ActionItem.objects.filter(resolution__agenda_item__topic=topic, resolution__adopted=True)
    if items.exists() and not items.exclude(status=ActionStatus.DONE).exists():
        topic.status, topic.resolved_at = TopicStatus.RESOLVED, timezone.now()
        topic.save(update_fields=["status", "resolved_at"])
        Topic.objects.filter(merged_into=topic).update(resolved_at=topic.resolved_at)
        audit_record(actor=None, action="meetings.topic_resolved", obj=topic, compound=topic.compound)
        notify(
            users=[topic.raised_by],
            kind="meetings.topic",
            title=_("Your topic “%(t)s” is resolved") % {"t": topic.title},
            url=_url("topic-detail", topic.compound, topic.pk),
            compound=topic.compound,
        )


# --------------------------------------------------------------------------- reminders


def action_items_remind(*, today: dt.date | None = None) -> dict:
    """Overdue action items: remind the responsible person and the secretary once, and
    escalate to the community's officials once, ``ESCALATE_AFTER_DAYS`` after the due
    date. Each step is claimed with a conditional UPDATE, so two workers (or a re-run)
    never send it twice."""
    today = today or timezone.localdate()
    counts = {"reminded": 0, "escalated": 0}
    overdue = ActionItem.objects.exclude(status=ActionStatus.DONE).filter(due_date__lt=today)
    for pk in overdue.filter(reminded_at__isnull=True).values_list("pk", flat=True):
        counts["reminded"] += _remind_one(pk)
    late = overdue.filter(
        escalated_at__isnull=True, due_date__lt=today - dt.timedelta(days=ESCALATE_AFTER_DAYS)
    )
    for pk in late.values_list("pk", flat=True):
        counts["escalated"] += _escalate_one(pk)
    return counts


@transaction.atomic(durable=True)
def _remind_one(pk: int) -> int:
    now = timezone.now()
    if not ActionItem.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
        return 0
    item = ActionItem.objects.select_related("compound", "responsible_person").get(pk=pk)
    users = [item.responsible_person, *_people(item.compound, [Role.COMMUNITY_SECRETARY])]
    notify(
        users=users,
        kind="meetings.action_overdue",
        title=_("Overdue since %(d)s: %(t)s") % {"d": item.due_date.isoformat(), "t": item.title},
        url=_url("action-detail", item.compound, item.pk),
        compound=item.compound,
    )
    audit_record(
        actor=None,
        action="meetings.action_remind",
        obj=item,
        compound=item.compound,
        after={"reminded_at": now.isoformat()},
    )
    return 1


@transaction.atomic(durable=True)
def _escalate_one(pk: int) -> int:
    now = timezone.now()
    if not ActionItem.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
        return 0
    item = ActionItem.objects.select_related("compound").get(pk=pk)
    notify(
        users=_people(item.compound, [Role.COMMUNITY_OFFICIAL]),
        kind="meetings.action_escalated",
        title=_("Escalated: “%(t)s” is more than %(n)s days overdue")
        % {"t": item.title, "n": ESCALATE_AFTER_DAYS},
        url=_url("action-detail", item.compound, item.pk),
        compound=item.compound,
    )
    audit_record(
        actor=None,
        action="meetings.action_escalate",
        obj=item,
        compound=item.compound,
        after={"escalated_at": now.isoformat()},
    )
    return 1
