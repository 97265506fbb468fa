"""Topics → meetings → resolutions → action items, and owners' decisions (Civil Code art. 278).

"议题共商、方案共议、落实共督": residents raise topics, the three parties take them up in
joint or expanded committee meetings, each decision is a numbered resolution, and its
action items are followed until the two other parties confirm them done. A topic is
resolved exactly when every action item of its resolutions is confirmed done.

Every row carries ``compound`` (the tenant). Writes go through ``meetings.services``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Compound, Party, Unit


def now():
    """The field default: reads the clock at call time (a test's or the demo's frozen
    clock patches ``django.utils.timezone.now`` and this follows it)."""
    return timezone.now()


# The three parties that govern a compound (joint meetings, minutes, action items).
THREE_PARTIES = (Party.COMMUNITY, Party.COMMITTEE, Party.COMPANY)


# --------------------------------------------------------------------------- topics


class TopicStatus(models.TextChoices):
    OPEN = "open", _("Raised, waiting for triage")
    ON_AGENDA = "on_agenda", _("On a meeting's agenda")
    DECIDED = "decided", _("Decided, being carried out")
    RESOLVED = "resolved", _("Resolved")
    MERGED = "merged", _("Merged into another topic")
    DECLINED = "declined", _("Declined")


class Topic(models.Model):
    """议题: a problem or proposal raised by a member of the compound."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="topics")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_as = models.CharField(_("raised as"), max_length=20, choices=Party)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=12, choices=TopicStatus, default=TopicStatus.OPEN)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_topics"
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    seconds_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["compound", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False), name="topic_merged_has_target"
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="topic_declined_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="topic_not_merged_into_self"
            ),
        ]

    def __str__(self):
        return self.title


class TopicPhoto(models.Model):
    """A photo attached to a topic or to an action item's progress update."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    progress = models.ForeignKey(
        "ActionProgress", null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(upload_to="meetings/photos/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(topic__isnull=False, progress__isnull=True)
                | Q(topic__isnull=True, progress__isnull=False),
                name="photo_of_topic_xor_progress",
            )
        ]

    def __str__(self):
        return f"photo {self.original_name}"


class TopicSecond(models.Model):
    """附议: an owner supports a topic — once each (the database says so)."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="seconds")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="topic_second_once_per_owner")]

    def __str__(self):
        return f"second #{self.topic_id} by {self.user_id}"


# --------------------------------------------------------------------------- meetings


class MeetingKind(models.TextChoices):
    JOINT = "joint", _("Joint meeting")
    EXPANDED = "expanded", _("Expanded committee meeting")
    ASSEMBLY = "assembly", _("Owners' assembly")


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("In session")
    CLOSED = "closed", _("Closed, minutes being confirmed")
    PUBLISHED = "published", _("Minutes published")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    """联席会议 / 业委会扩大会议 / 业主大会, convened with notice and an agenda of topics."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=10, choices=MeetingKind)
    title = models.CharField(_("title"), max_length=120)
    location = models.CharField(_("place"), max_length=120)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=90)
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus, default=MeetingStatus.SCHEDULED
    )
    convened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    noticed_at = models.DateTimeField(_("notice given"))
    opened_at = models.DateTimeField(null=True, blank=True)
    quorum_met = models.BooleanField(null=True)
    quorum_detail = models.JSONField(default=dict, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["compound", "status", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "cancelled"]) | Q(opened_at__isnull=False),
                name="meeting_opened_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="meeting_published_has_time",
            ),
        ]

    def __str__(self):
        return self.title


class AgendaItem(models.Model):
    """One point of a meeting's agenda (usually a topic), with its minutes."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField()
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="agenda_items"
    )
    title = models.CharField(_("title"), max_length=120)
    minutes = models.TextField(_("minutes"), blank=True)

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_position_unique"),
            models.UniqueConstraint(fields=["meeting", "topic"], name="agenda_topic_once_per_meeting"),
        ]

    def __str__(self):
        return f"{self.position}. {self.title}"


class Attendance(models.Model):
    """Who was there, for which party (a cross-appointed person attends for one)."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    party = models.CharField(_("party"), max_length=20, choices=Party)
    role = models.CharField(_("role"), max_length=30)
    present = models.BooleanField(_("present"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="attendance_once_per_person")]

    def __str__(self):
        return f"{self.user} · {self.party}"


class MinutesConfirmation(models.Model):
    """One person of each party present confirms the minutes — once per party."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="confirmations")
    party = models.CharField(max_length=20, choices=Party)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "party"], name="minutes_confirmed_once_per_party"),
            models.UniqueConstraint(fields=["meeting", "user"], name="minutes_confirmed_once_per_person"),
        ]

    def __str__(self):
        return f"minutes of #{self.meeting_id} confirmed by {self.party}"


# --------------------------------------------------------------------------- resolutions


class Resolution(models.Model):
    """决议: a numbered decision of a meeting (number unique in the compound), with the
    vote of those present; an owners' assembly's resolution rests on an owners' vote."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="resolutions")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="resolutions")
    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="resolutions")
    number = models.CharField(_("resolution number"), max_length=40)
    text = models.TextField(_("text of the resolution"))
    votes_for = models.PositiveIntegerField(_("for"))
    votes_against = models.PositiveIntegerField(_("against"))
    votes_abstain = models.PositiveIntegerField(_("abstaining"))
    present = models.PositiveIntegerField(_("present"))
    adopted = models.BooleanField(_("adopted"))
    owners_vote = models.OneToOneField(
        "OwnersVote", null=True, blank=True, on_delete=models.PROTECT, related_name="resolution"
    )
    decided_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "number"], name="resolution_number_unique"),
            models.CheckConstraint(
                condition=Q(
                    votes_for__lte=models.F("present") - models.F("votes_against") - models.F("votes_abstain")
                ),
                name="resolution_votes_within_present",
            ),
        ]

    def __str__(self):
        return self.number


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Being carried out")
    CLAIMED = "claimed", _("Reported done, waiting for confirmation")
    DONE = "done", _("Done and confirmed")


class ActionItem(models.Model):
    """落实: what a resolution requires, who does it, by when."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="action_items")
    resolution = models.ForeignKey(Resolution, on_delete=models.PROTECT, related_name="action_items")
    title = models.CharField(_("what is to be done"), max_length=200)
    responsible_party = models.CharField(_("responsible party"), max_length=20, choices=Party)
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=ActionStatus, default=ActionStatus.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["compound", "status", "due_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(responsible_party__in=[p.value for p in THREE_PARTIES]),
                name="action_party_is_one_of_three",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_at__isnull=False, claimed_by__isnull=False),
                name="action_done_was_claimed",
            ),
        ]

    def __str__(self):
        return self.title


class ActionProgress(models.Model):
    """A progress note (with photos) on an action item."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    action_item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="progress")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("progress"))
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.note[:60]


class ActionConfirmation(models.Model):
    """One of the two other parties confirms that an action item is done."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    action_item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="confirmations")
    party = models.CharField(max_length=20, choices=Party)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action_item", "party"], name="action_confirmed_once_per_party"),
            models.UniqueConstraint(fields=["action_item", "user"], name="action_confirmed_once_per_person"),
        ]

    def __str__(self):
        return f"action #{self.action_item_id} confirmed by {self.party}"


# --------------------------------------------------------------------------- owners' decisions


class Art278Matter(models.IntegerChoices):
    """Civil Code art. 278, para. 1, items 1–9. Items 6–8 need a three-quarters majority."""

    RULES_OF_PROCEDURE = 1, _("1. Adopt or amend the owners' assembly rules of procedure")
    MANAGEMENT_COVENANT = 2, _("2. Adopt or amend the management covenant")
    COMMITTEE_ELECTION = 3, _("3. Elect or replace the owners' committee or its members")
    PROPERTY_COMPANY = 4, _("4. Select or dismiss the property company or other manager")
    USE_MAINTENANCE_FUND = 5, _("5. Use the maintenance fund")
    RAISE_MAINTENANCE_FUND = 6, _("6. Raise the maintenance fund")
    REBUILD = 7, _("7. Rebuild or reconstruct buildings and their facilities")
    CHANGE_COMMON_USE = 8, _("8. Change the use of common parts or run a business on them")
    OTHER_MAJOR = 9, _("9. Other major matters of shared ownership and management")


SUPERMAJORITY_MATTERS = frozenset({6, 7, 8})


class VoteStatus(models.TextChoices):
    OPEN = "open", _("Open for ballots")
    CLOSED = "closed", _("Closed and counted")


class OwnersVote(models.Model):
    """业主共同决定 (表决): owners decide a matter of art. 278 by unit ballots."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="owners_votes")
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="owners_votes"
    )
    title = models.CharField(_("question"), max_length=200)
    matter = models.PositiveSmallIntegerField(_("matter (Civil Code art. 278)"), choices=Art278Matter)
    status = models.CharField(_("status"), max_length=10, choices=VoteStatus, default=VoteStatus.OPEN)
    closes_at = models.DateTimeField(_("closes at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Frozen at closing: the canonical result (docs/meetings.md) and its SHA-256.
    result = models.JSONField(null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    passed = models.BooleanField(null=True)
    salt = models.CharField(max_length=32, default="", blank=True)

    class Meta:
        verbose_name = _("owners' vote")
        verbose_name_plural = _("owners' votes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(matter__gte=1, matter__lte=9), name="vote_matter_is_art278_item"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(closed_at__isnull=False) & ~Q(digest="")),
                name="vote_closed_has_result",
            ),
        ]

    def __str__(self):
        return self.title


class BallotChoice(models.TextChoices):
    AGREE = "agree", _("Agree")
    DISAGREE = "disagree", _("Disagree")
    ABSTAIN = "abstain", _("Abstain")


class BallotChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper ballot")
    PROXY = "proxy", _("By proxy")


class Ballot(models.Model):
    """One ballot per unit (co-owners cast one together); it can change until closing.

    A paper ballot counts only once a second person has confirmed what the first entered.
    """

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    vote = models.ForeignKey(OwnersVote, on_delete=models.PROTECT, related_name="ballots")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("choice"), max_length=10, choices=BallotChoice)
    channel = models.CharField(_("channel"), max_length=10, choices=BallotChannel)
    cast_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    proxy_document = models.FileField(upload_to="meetings/proxies/%Y/%m/", blank=True)
    proxy_sha256 = models.CharField(max_length=64, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "unit"], name="ballot_one_per_unit"),
            models.CheckConstraint(
                condition=~Q(channel="proxy") | ~Q(proxy_document=""), name="ballot_proxy_has_document"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("cast_by")),
                name="ballot_confirmed_by_another",
            ),
        ]

    def __str__(self):
        return f"ballot of unit {self.unit_id} in vote {self.vote_id}"

    @property
    def counts(self) -> bool:
        return self.channel != BallotChannel.PAPER or self.confirmed_by_id is not None
