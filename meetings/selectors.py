"""Reads for topics, meetings, resolutions, action items and owners' votes.

Everything is scoped by ``compound`` first (the tenant). The public reads return only
what a public page may show: no names of owners, units masked, only published minutes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from communities.models import Compound
from meetings.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Meeting,
    MeetingKind,
    MeetingStatus,
    OwnersVote,
    Resolution,
    Topic,
    TopicStatus,
)

HELD = (MeetingStatus.OPEN, MeetingStatus.CLOSED, MeetingStatus.PUBLISHED)


# --------------------------------------------------------------------------- members' reads


def topic_list(*, compound: Compound, status: str = "") -> QuerySet[Topic]:
    qs = Topic.objects.filter(compound=compound).select_related("raised_by", "merged_into")
    return qs.filter(status=status) if status else qs


def topic_get(*, compound: Compound, pk) -> Topic:
    topic = topic_list(compound=compound).filter(pk=pk).first()
    if topic is None:
        raise Http404
    return topic


def meeting_list(*, compound: Compound) -> QuerySet[Meeting]:
    # An aggregate drops Meta.ordering (Django ≥ 3.1): order explicitly, newest first.
    return (
        Meeting.objects.filter(compound=compound)
        .annotate(items=Count("agenda"))
        .order_by("-starts_at", "-id")
    )


def meeting_get(*, compound: Compound, pk) -> Meeting:
    meeting = Meeting.objects.filter(compound=compound, pk=pk).select_related("convened_by").first()
    if meeting is None:
        raise Http404
    return meeting


def meetings_open_for_agenda(*, compound: Compound) -> QuerySet[Meeting]:
    return Meeting.objects.filter(compound=compound, status=MeetingStatus.SCHEDULED).order_by("starts_at")


def agenda_of(meeting: Meeting) -> list[AgendaItem]:
    return list(
        meeting.agenda.select_related("topic").prefetch_related(
            "resolutions__action_items__responsible_person"
        )
    )


def action_list(*, compound: Compound, status: str = "") -> QuerySet[ActionItem]:
    qs = ActionItem.objects.filter(compound=compound).select_related("responsible_person", "resolution")
    return qs.filter(status=status) if status else qs


def action_get(*, compound: Compound, pk) -> ActionItem:
    item = action_list(compound=compound).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def vote_list(*, compound: Compound) -> QuerySet[OwnersVote]:
    return OwnersVote.objects.filter(compound=compound)


def vote_get(*, compound: Compound, pk) -> OwnersVote:
    vote = vote_list(compound=compound).filter(pk=pk).first()
    if vote is None:
        raise Http404
    return vote


def resolution_list(*, compound: Compound) -> QuerySet[Resolution]:
    return Resolution.objects.filter(compound=compound).select_related("meeting", "agenda_item")


def resolution_get(*, compound: Compound, pk) -> Resolution:
    resolution = resolution_list(compound=compound).filter(pk=pk).first()
    if resolution is None:
        raise Http404
    return resolution


# --------------------------------------------------------------------------- payouts cite resolutions


def resolutions_citable(compound: Compound) -> QuerySet[Resolution]:
    """Adopted resolutions of this compound whose meeting's minutes are published: what a
    payout above the resolution threshold may cite (newest first)."""
    return Resolution.objects.filter(
        compound=compound, adopted=True, meeting__status=MeetingStatus.PUBLISHED
    ).select_related("meeting")


def resolution_for_citation(compound: Compound, number: str) -> Resolution | None:
    """The citable resolution with this number in this compound, or None (never another
    compound's: numbers are unique per compound only)."""
    return resolutions_citable(compound).filter(number=(number or "").strip()).first()


def payouts_citing(compound: Compound, numbers) -> dict[str, list]:
    """Paid payouts of this compound whose resolution number is one of ``numbers`` (their
    typed text, as escrow stores it today), by number: what a resolution shows publicly.
    Read-only use of ``escrow.models`` (see docs/meetings.md for the planned FK)."""
    from escrow.models import PayoutRequest, PayoutStatus

    out: dict[str, list] = {}
    rows = PayoutRequest.objects.filter(
        compound=compound, status=PayoutStatus.PAID, resolution_number__in=list(numbers)
    ).only("pk", "resolution_number", "amount_fen", "payment_date")
    for row in rows.order_by("payment_date", "pk"):
        out.setdefault(row.resolution_number, []).append(row)
    return out


# --------------------------------------------------------------------------- public reads


def public_meetings(compound: Compound) -> QuerySet[Meeting]:
    return Meeting.objects.filter(compound=compound, status=MeetingStatus.PUBLISHED).order_by("-starts_at")


def public_meeting(compound: Compound, pk) -> Meeting:
    meeting = public_meetings(compound).filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def public_resolutions(compound: Compound) -> QuerySet[Resolution]:
    return resolution_list(compound=compound).filter(meeting__status=MeetingStatus.PUBLISHED)


def public_topics(compound: Compound) -> QuerySet[Topic]:
    """Topics with their status; the raiser's name is never shown (only their party)."""
    return Topic.objects.filter(compound=compound).only(
        "pk", "title", "status", "raised_as", "created_at", "resolved_at", "decline_reason", "merged_into"
    )


def public_topic(compound: Compound, pk) -> Topic:
    topic = public_topics(compound).filter(pk=pk).first()
    if topic is None:
        raise Http404
    return topic


def public_votes(compound: Compound) -> QuerySet[OwnersVote]:
    return OwnersVote.objects.filter(compound=compound, status="closed")


@dataclass
class PublicSection:
    """What the compound's public page shows about meetings (include
    ``meetings/_public_section.html`` with ``meetings=<this>``)."""

    compound: Compound
    meetings: list[Meeting]
    resolutions: list[Resolution]
    topics_raised: int
    topics_resolved: int
    topics_in_progress: int


def public_section(compound: Compound, *, limit: int = 5) -> PublicSection:
    counts = Topic.objects.filter(compound=compound).aggregate(
        raised=Count("pk"),
        resolved=Count("pk", filter=Q(status=TopicStatus.RESOLVED)),
        in_progress=Count("pk", filter=Q(status__in=[TopicStatus.ON_AGENDA, TopicStatus.DECIDED])),
    )
    return PublicSection(
        compound=compound,
        meetings=list(public_meetings(compound)[:limit]),
        resolutions=list(public_resolutions(compound)[:limit]),
        topics_raised=counts["raised"],
        topics_resolved=counts["resolved"],
        topics_in_progress=counts["in_progress"],
    )


# --------------------------------------------------------------------------- counts for the street office


@dataclass
class MeetingCounts:
    compound_id: int
    meetings_held: dict[str, int]
    topics_raised: int
    topics_on_agenda: int
    topics_resolved: int
    actions_overdue: int

    @property
    def meetings_total(self) -> int:
        return sum(self.meetings_held.values())

    @property
    def joint_meetings(self) -> int:
        """Meetings of the three parties (联席会议 and 业委会扩大会议): the scheme's count of
        "joint meetings held". An owners' assembly is a vote of the owners, counted apart."""
        return self.meetings_held[MeetingKind.JOINT] + self.meetings_held[MeetingKind.EXPANDED]


def _bounds(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return lo, hi


def meeting_counts(compounds, *, start: dt.date, end: dt.date) -> dict[int, MeetingCounts]:
    """Per compound, for the period [start, end] (dates inclusive, local time):
    meetings held by kind (opened in the period), topics raised, topics put on an agenda
    (of a meeting held or scheduled in the period), topics resolved, and action items
    overdue at the period's end (due before it and not confirmed done by then).
    Five grouped queries whatever the number of compounds."""
    ids = [c.pk if isinstance(c, Compound) else int(c) for c in compounds]
    lo, hi = _bounds(start, end)
    out = {pk: MeetingCounts(pk, dict.fromkeys(MeetingKind.values, 0), 0, 0, 0, 0) for pk in ids}
    for row in (
        Meeting.objects.filter(compound_id__in=ids, status__in=HELD, opened_at__gte=lo, opened_at__lt=hi)
        .values("compound_id", "kind")
        .annotate(n=Count("pk"))
    ):
        out[row["compound_id"]].meetings_held[row["kind"]] = row["n"]
    for row in (
        Topic.objects.filter(compound_id__in=ids, created_at__gte=lo, created_at__lt=hi)
        .values("compound_id")
        .annotate(n=Count("pk"))
    ):
        out[row["compound_id"]].topics_raised = row["n"]
    for row in (
        AgendaItem.objects.filter(
            compound_id__in=ids,
            topic__isnull=False,
            meeting__starts_at__gte=lo,
            meeting__starts_at__lt=hi,
        )
        .exclude(meeting__status=MeetingStatus.CANCELLED)
        .values("compound_id")
        .annotate(n=Count("topic_id", distinct=True))
    ):
        out[row["compound_id"]].topics_on_agenda = row["n"]
    for row in (
        Topic.objects.filter(
            compound_id__in=ids, status=TopicStatus.RESOLVED, resolved_at__gte=lo, resolved_at__lt=hi
        )
        .values("compound_id")
        .annotate(n=Count("pk"))
    ):
        out[row["compound_id"]].topics_resolved = row["n"]
    # Overdue as of the period's last day (or today, if that is still to come): due
    # before that day and not confirmed done by the end of it.
    as_of = min(end, timezone.localdate())
    _lo, as_of_end = _bounds(as_of, as_of)
    for row in (
        ActionItem.objects.filter(compound_id__in=ids, due_date__lt=as_of)
        .filter(Q(done_at__isnull=True) | Q(done_at__gte=as_of_end))
        .values("compound_id")
        .annotate(n=Count("pk"))
    ):
        out[row["compound_id"]].actions_overdue = row["n"]
    return out


def topics_with_open_actions(compound: Compound) -> QuerySet[Topic]:
    open_items = ActionItem.objects.filter(
        resolution__agenda_item__topic=OuterRef("pk"), status__in=[ActionStatus.OPEN, ActionStatus.CLAIMED]
    )
    return Topic.objects.filter(compound=compound).filter(Exists(open_items))
