"""Meetings API (/api/v1/compounds/{slug}/topics|meetings|resolutions|votes/…): every
action the pages offer, through the same services and selectors. Errors answer
``{"message", "extra"}`` (common/api.py); a compound or object the caller may not see
answers 404 exactly like a missing one."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from common.api import ErrorSerializer
from common.errors import NotFoundError
from communities.models import Party, Unit
from communities.permissions import Capability, get_compound_for_api
from meetings import selectors, services, votes
from meetings.calendar import meeting_ics
from meetings.models import (
    THREE_PARTIES,
    ActionItem,
    ActionStatus,
    AgendaItem,
    Art278Matter,
    Ballot,
    BallotChoice,
    Meeting,
    MeetingKind,
    MeetingStatus,
    OwnersVote,
    Resolution,
    Topic,
    TopicStatus,
    VoteStatus,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Refused input; extra.fields names the fields."),
    403: OpenApiResponse(ErrorSerializer, description="Your roles do not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="No such compound or object, or not visible to you."),
    409: OpenApiResponse(ErrorSerializer, description="The object's state does not allow this."),
}
SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The compound's slug")


# --------------------------------------------------------------------------- serializers (output)


def _code(values, **kwargs):
    """An enum-valued field as a plain string (its values listed): drf-spectacular would
    otherwise name one enum per field and collide with other apps' ``status`` / ``kind``."""
    return serializers.CharField(help_text="One of: " + ", ".join(values), **kwargs)


class TopicSerializer(serializers.ModelSerializer):
    raised_by = serializers.CharField(source="raised_by.display_name")
    status = _code(TopicStatus.values, read_only=True)
    raised_as = _code(Party.values, read_only=True)

    class Meta:
        model = Topic
        fields = [
            "id",
            "title",
            "body",
            "status",
            "raised_as",
            "raised_by",
            "seconds_count",
            "merged_into",
            "decline_reason",
            "created_at",
            "resolved_at",
        ]


class AgendaItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["id", "position", "title", "topic", "minutes"]


class MeetingSerializer(serializers.ModelSerializer):
    agenda = AgendaItemSerializer(many=True, read_only=True)
    kind = _code(MeetingKind.values, read_only=True)
    status = _code(MeetingStatus.values, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "title",
            "location",
            "starts_at",
            "duration_minutes",
            "status",
            "noticed_at",
            "opened_at",
            "quorum_met",
            "quorum_detail",
            "closed_at",
            "published_at",
            "agenda",
        ]


class ActionItemSerializer(serializers.ModelSerializer):
    responsible_person = serializers.CharField(source="responsible_person.display_name")
    responsible_party = _code([p.value for p in THREE_PARTIES], read_only=True)
    status = _code(ActionStatus.values, read_only=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "responsible_party",
            "responsible_person",
            "due_date",
            "status",
            "claimed_at",
            "done_at",
        ]


class ResolutionSerializer(serializers.ModelSerializer):
    action_items = ActionItemSerializer(many=True, read_only=True)

    class Meta:
        model = Resolution
        fields = [
            "id",
            "number",
            "text",
            "meeting",
            "agenda_item",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "present",
            "adopted",
            "owners_vote",
            "decided_on",
            "action_items",
        ]


class VoteSerializer(serializers.ModelSerializer):
    status = _code(VoteStatus.values, read_only=True)

    class Meta:
        model = OwnersVote
        fields = [
            "id",
            "title",
            "matter",
            "status",
            "closes_at",
            "closed_at",
            "passed",
            "digest",
            "result",
            "meeting",
        ]


class BallotSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ballot
        fields = ["id", "unit", "choice", "channel", "confirmed_at", "updated_at"]


# --------------------------------------------------------------------------- serializers (input: shape only)


class TopicWrite(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    body = serializers.CharField()
    raised_as = _code(Party.values, required=False)


class TriageWrite(serializers.Serializer):
    action = serializers.ChoiceField(choices=["agenda", "merge", "decline"])
    meeting = serializers.IntegerField(required=False)
    into = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True)


class MeetingWrite(serializers.Serializer):
    kind = _code(MeetingKind.values)
    title = serializers.CharField(max_length=120)
    location = serializers.CharField(max_length=120)
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(default=90)
    topics = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    items = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class AttendanceWrite(serializers.Serializer):
    user = serializers.IntegerField()
    party = _code(Party.values)
    present = serializers.BooleanField(default=True)


class MinutesWrite(serializers.Serializer):
    minutes = serializers.CharField()


class ResolutionWrite(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    text = serializers.CharField()
    votes_for = serializers.IntegerField(required=False, min_value=0)
    votes_against = serializers.IntegerField(default=0, min_value=0)
    votes_abstain = serializers.IntegerField(default=0, min_value=0)
    owners_vote = serializers.IntegerField(required=False)


class ActionWrite(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    responsible_party = _code([p.value for p in THREE_PARTIES])
    responsible_person = serializers.IntegerField()
    due_date = serializers.DateField()


class ProgressWrite(serializers.Serializer):
    note = serializers.CharField()


class ConfirmWrite(serializers.Serializer):
    party = _code(Party.values, required=False)


class VoteWrite(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    matter = serializers.ChoiceField(choices=Art278Matter.choices)
    closes_at = serializers.DateTimeField()
    meeting = serializers.IntegerField(required=False)


class BallotWrite(serializers.Serializer):
    unit = serializers.IntegerField()
    choice = serializers.ChoiceField(choices=BallotChoice.choices)
    channel = serializers.ChoiceField(choices=["online", "paper", "proxy"], default="online")
    owner = serializers.IntegerField(required=False, help_text="The owner (paper ballots and proxies).")
    document = serializers.FileField(required=False, help_text="The signed proxy document (proxies).")


# --------------------------------------------------------------------------- views


def _get(qs, pk):
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFoundError("Not found.")
    return obj


class _Base(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def compound(self, capability=Capability.VIEW_MEMBERS_AREA):
        compound, _standing = get_compound_for_api(self.request.user, self.kwargs["slug"], capability)
        return compound

    def data(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


@extend_schema(tags=["meetings"], parameters=[SLUG])
class TopicListApi(_Base):
    @extend_schema(
        summary="Topics of the compound", responses={200: TopicSerializer(many=True), 404: ERRORS[404]}
    )
    def get(self, request, slug):
        compound = self.compound()
        return Response(TopicSerializer(selectors.topic_list(compound=compound)[:200], many=True).data)

    @extend_schema(summary="Raise a topic", request=TopicWrite, responses={201: TopicSerializer, **ERRORS})
    def post(self, request, slug):
        compound = self.compound()
        data = self.data(TopicWrite)
        topic = services.topic_raise(
            compound=compound,
            actor=request.user,
            title=data["title"],
            body=data["body"],
            raised_as=data.get("raised_as"),
            photos=request.FILES.getlist("photos"),
        )
        return Response(TopicSerializer(topic).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class TopicDetailApi(_Base):
    @extend_schema(summary="One topic", responses={200: TopicSerializer, 404: ERRORS[404]})
    def get(self, request, slug, pk):
        return Response(TopicSerializer(_get(selectors.topic_list(compound=self.compound()), pk)).data)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class TopicSecondApi(_Base):
    @extend_schema(
        summary="Second a topic (owners, once)", request=None, responses={201: TopicSerializer, **ERRORS}
    )
    def post(self, request, slug, pk):
        topic = _get(selectors.topic_list(compound=self.compound()), pk)
        services.topic_second(topic=topic, actor=request.user)
        topic.refresh_from_db()
        return Response(TopicSerializer(topic).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class TopicTriageApi(_Base):
    @extend_schema(
        summary="Triage: put on an agenda, merge or decline",
        request=TriageWrite,
        responses={200: TopicSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        from django.core.exceptions import ValidationError

        compound = self.compound()
        topic = _get(selectors.topic_list(compound=compound), pk)
        data = self.data(TriageWrite)
        if data["action"] == "agenda":
            meeting = Meeting.objects.filter(compound=compound, pk=data.get("meeting") or 0).first()
            if meeting is None:
                raise ValidationError({"meeting": ["Choose a meeting of this compound."]})
            services.topic_put_on_agenda(topic=topic, meeting=meeting, actor=request.user)
        elif data["action"] == "merge":
            into = Topic.objects.filter(compound=compound, pk=data.get("into") or 0).first()
            if into is None:
                raise ValidationError({"into": ["Choose a topic of this compound."]})
            services.topic_merge(topic=topic, into=into, actor=request.user)
        else:
            services.topic_decline(topic=topic, reason=data.get("reason", ""), actor=request.user)
        topic.refresh_from_db()
        return Response(TopicSerializer(topic).data)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class MeetingListApi(_Base):
    @extend_schema(
        summary="Meetings of the compound", responses={200: MeetingSerializer(many=True), 404: ERRORS[404]}
    )
    def get(self, request, slug):
        qs = selectors.meeting_list(compound=self.compound()).prefetch_related("agenda")[:100]
        return Response(MeetingSerializer(qs, many=True).data)

    @extend_schema(
        summary="Convene a meeting (with notice)",
        request=MeetingWrite,
        responses={201: MeetingSerializer, **ERRORS},
    )
    def post(self, request, slug):
        compound = self.compound()
        data = self.data(MeetingWrite)
        topics = list(Topic.objects.filter(compound=compound, pk__in=data["topics"]))
        if len(topics) != len(set(data["topics"])):
            from django.core.exceptions import ValidationError

            raise ValidationError({"topics": ["A topic is not in this compound."]})
        meeting = services.meeting_convene(
            compound=compound,
            actor=request.user,
            kind=data["kind"],
            title=data["title"],
            location=data["location"],
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            topics=topics,
            items=data["items"],
        )
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class MeetingDetailApi(_Base):
    @extend_schema(
        summary="One meeting with its agenda and minutes",
        responses={200: MeetingSerializer, 404: ERRORS[404]},
    )
    def get(self, request, slug, pk):
        return Response(MeetingSerializer(_get(selectors.meeting_list(compound=self.compound()), pk)).data)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class MeetingIcsApi(_Base):
    @extend_schema(
        summary="The meeting as an iCalendar file",
        responses={(200, "text/calendar"): OpenApiTypes.STR, 404: ERRORS[404]},
    )
    def get(self, request, slug, pk):
        meeting = _get(selectors.meeting_list(compound=self.compound()), pk)
        return HttpResponse(meeting_ics(meeting), content_type="text/calendar; charset=utf-8")


@extend_schema(tags=["meetings"], parameters=[SLUG])
class MeetingAttendanceApi(_Base):
    @extend_schema(
        summary="Record one person's attendance",
        request=AttendanceWrite,
        responses={200: MeetingSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        from django.core.exceptions import ValidationError

        compound = self.compound()
        meeting = _get(Meeting.objects.filter(compound=compound), pk)
        data = self.data(AttendanceWrite)
        user = User.objects.filter(pk=data["user"]).first()
        if user is None:
            raise ValidationError({"user": ["No such person."]})
        services.attendance_record(
            meeting=meeting, actor=request.user, user=user, party=data["party"], present=data["present"]
        )
        meeting.refresh_from_db()
        return Response(MeetingSerializer(meeting).data)


def _step_view(name, service, summary):
    @extend_schema(tags=["meetings"], parameters=[SLUG])
    class StepApi(_Base):
        @extend_schema(summary=summary, request=None, responses={200: MeetingSerializer, **ERRORS})
        def post(self, request, slug, pk):
            meeting = _get(Meeting.objects.filter(compound=self.compound()), pk)
            service(meeting=meeting, actor=request.user)
            meeting.refresh_from_db()
            return Response(MeetingSerializer(meeting).data)

    StepApi.__name__ = name
    StepApi.__qualname__ = name
    return StepApi


class CancelWrite(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class MeetingCancelApi(_Base):
    @extend_schema(
        summary="Cancel a meeting that has not started",
        request=CancelWrite,
        responses={200: MeetingSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        meeting = _get(Meeting.objects.filter(compound=self.compound()), pk)
        data = self.data(CancelWrite)
        services.meeting_cancel(meeting=meeting, actor=request.user, reason=data["reason"])
        meeting.refresh_from_db()
        return Response(MeetingSerializer(meeting).data)


MeetingOpenApi = _step_view(
    "MeetingOpenApi", services.meeting_open, "Open the meeting (quorum checked and recorded)"
)
MeetingCloseApi = _step_view("MeetingCloseApi", services.meeting_close, "Close the meeting")
MinutesConfirmApi = _step_view(
    "MinutesConfirmApi", services.minutes_confirm, "Confirm the minutes for your party"
)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class AgendaMinutesApi(_Base):
    @extend_schema(
        summary="Write an agenda item's minutes",
        request=MinutesWrite,
        responses={200: AgendaItemSerializer, **ERRORS},
    )
    def post(self, request, slug, pk, item):
        compound = self.compound()
        agenda_item = _get(AgendaItem.objects.filter(compound=compound, meeting_id=pk), item)
        data = self.data(MinutesWrite)
        return Response(
            AgendaItemSerializer(
                services.minutes_record(agenda_item=agenda_item, text=data["minutes"], actor=request.user)
            ).data
        )


@extend_schema(tags=["meetings"], parameters=[SLUG])
class AgendaResolutionApi(_Base):
    @extend_schema(
        summary="Record a numbered resolution",
        request=ResolutionWrite,
        responses={201: ResolutionSerializer, **ERRORS},
    )
    def post(self, request, slug, pk, item):
        compound = self.compound()
        agenda_item = _get(AgendaItem.objects.filter(compound=compound, meeting_id=pk), item)
        data = self.data(ResolutionWrite)
        owners_vote = None
        if data.get("owners_vote"):
            owners_vote = OwnersVote.objects.filter(compound=compound, pk=data["owners_vote"]).first()
        resolution = services.resolution_record(
            agenda_item=agenda_item,
            number=data["number"],
            text=data["text"],
            votes_for=data.get("votes_for"),
            votes_against=data["votes_against"],
            votes_abstain=data["votes_abstain"],
            owners_vote=owners_vote,
            actor=request.user,
        )
        return Response(ResolutionSerializer(resolution).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class ResolutionListApi(_Base):
    @extend_schema(
        summary="Resolutions of the compound",
        responses={200: ResolutionSerializer(many=True), 404: ERRORS[404]},
    )
    def get(self, request, slug):
        qs = selectors.resolution_list(compound=self.compound()).prefetch_related(
            "action_items__responsible_person"
        )
        return Response(ResolutionSerializer(qs[:200], many=True).data)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class ResolutionDetailApi(_Base):
    @extend_schema(
        summary="One resolution with its action items",
        responses={200: ResolutionSerializer, 404: ERRORS[404]},
    )
    def get(self, request, slug, pk):
        return Response(
            ResolutionSerializer(_get(selectors.resolution_list(compound=self.compound()), pk)).data
        )


@extend_schema(tags=["meetings"], parameters=[SLUG])
class ActionCreateApi(_Base):
    @extend_schema(
        summary="Add an action item to a resolution",
        request=ActionWrite,
        responses={201: ActionItemSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        from django.core.exceptions import ValidationError

        resolution = _get(selectors.resolution_list(compound=self.compound()), pk)
        data = self.data(ActionWrite)
        person = User.objects.filter(pk=data["responsible_person"]).first()
        if person is None:
            raise ValidationError({"responsible_person": ["No such person."]})
        item = services.action_item_create(
            resolution=resolution,
            title=data["title"],
            responsible_party=data["responsible_party"],
            responsible_person=person,
            due_date=data["due_date"],
            actor=request.user,
        )
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class ActionDetailApi(_Base):
    @extend_schema(summary="One action item", responses={200: ActionItemSerializer, 404: ERRORS[404]})
    def get(self, request, slug, pk, item):
        qs = selectors.action_list(compound=self.compound()).filter(resolution_id=pk)
        return Response(ActionItemSerializer(_get(qs, item)).data)


class _ActionBase(_Base):
    def action_item(self):
        qs = selectors.action_list(compound=self.compound()).filter(resolution_id=self.kwargs["pk"])
        return _get(qs, self.kwargs["item"])


@extend_schema(tags=["meetings"], parameters=[SLUG])
class ActionProgressApi(_ActionBase):
    @extend_schema(
        summary="Post progress (multipart: note and photos)",
        request=ProgressWrite,
        responses={200: ActionItemSerializer, **ERRORS},
    )
    def post(self, request, slug, pk, item):
        action = self.action_item()
        data = self.data(ProgressWrite)
        services.action_progress_add(
            action_item=action, note=data["note"], photos=request.FILES.getlist("photos"), actor=request.user
        )
        action.refresh_from_db()
        return Response(ActionItemSerializer(action).data)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class ActionClaimApi(_ActionBase):
    @extend_schema(
        summary="Report done (the responsible party)",
        request=None,
        responses={200: ActionItemSerializer, **ERRORS},
    )
    def post(self, request, slug, pk, item):
        action = self.action_item()
        services.action_claim_done(action_item=action, actor=request.user)
        action.refresh_from_db()
        return Response(ActionItemSerializer(action).data)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class ActionConfirmApi(_ActionBase):
    @extend_schema(
        summary="Confirm done (one of the two other parties)",
        request=ConfirmWrite,
        responses={200: ActionItemSerializer, **ERRORS},
    )
    def post(self, request, slug, pk, item):
        action = self.action_item()
        data = self.data(ConfirmWrite)
        services.action_confirm_done(action_item=action, actor=request.user, party=data.get("party"))
        action.refresh_from_db()
        return Response(ActionItemSerializer(action).data)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class VoteListApi(_Base):
    @extend_schema(
        summary="Owners' votes of the compound", responses={200: VoteSerializer(many=True), 404: ERRORS[404]}
    )
    def get(self, request, slug):
        return Response(VoteSerializer(selectors.vote_list(compound=self.compound())[:100], many=True).data)

    @extend_schema(
        summary="Open an owners' vote (art. 278)",
        request=VoteWrite,
        responses={201: VoteSerializer, **ERRORS},
    )
    def post(self, request, slug):
        compound = self.compound()
        data = self.data(VoteWrite)
        meeting = None
        if data.get("meeting"):
            meeting = Meeting.objects.filter(compound=compound, pk=data["meeting"]).first()
        vote = votes.vote_open(
            compound=compound,
            actor=request.user,
            title=data["title"],
            matter=data["matter"],
            closes_at=data["closes_at"],
            meeting=meeting,
        )
        return Response(VoteSerializer(vote).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class VoteDetailApi(_Base):
    @extend_schema(
        summary="One owners' vote (the result once closed)", responses={200: VoteSerializer, 404: ERRORS[404]}
    )
    def get(self, request, slug, pk):
        return Response(VoteSerializer(_get(selectors.vote_list(compound=self.compound()), pk)).data)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class VoteBallotApi(_Base):
    @extend_schema(
        summary="Cast or change a unit's ballot (online by an owner, paper, or by proxy)",
        request=BallotWrite,
        responses={200: BallotSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        from django.core.exceptions import ValidationError

        compound = self.compound()
        vote = _get(selectors.vote_list(compound=compound), pk)
        data = self.data(BallotWrite)
        unit = Unit.objects.filter(compound=compound, pk=data["unit"]).first()
        if unit is None:
            raise ValidationError({"unit": ["No such unit in this compound."]})
        owner = User.objects.filter(pk=data.get("owner") or 0).first()
        if data["channel"] == "online":
            ballot = votes.ballot_cast(vote=vote, unit=unit, choice=data["choice"], actor=request.user)
        elif data["channel"] == "paper":
            ballot = votes.ballot_enter_paper(
                vote=vote, unit=unit, choice=data["choice"], owner=owner, actor=request.user
            )
        else:
            ballot = votes.ballot_cast_by_proxy(
                vote=vote,
                unit=unit,
                choice=data["choice"],
                owner=owner,
                document=data.get("document"),
                actor=request.user,
            )
        return Response(BallotSerializer(ballot).data)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class VotePaperConfirmApi(_Base):
    @extend_schema(
        summary="Confirm a paper ballot another person entered",
        request=None,
        responses={200: BallotSerializer, **ERRORS},
    )
    def post(self, request, slug, pk, ballot):
        vote = _get(selectors.vote_list(compound=self.compound()), pk)
        row = _get(Ballot.objects.filter(vote=vote), ballot)
        return Response(BallotSerializer(votes.ballot_confirm_paper(ballot=row, actor=request.user)).data)


@extend_schema(tags=["meetings"], parameters=[SLUG])
class VoteCloseApi(_Base):
    @extend_schema(
        summary="Close and count (after the closing time)",
        request=None,
        responses={200: VoteSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        vote = _get(selectors.vote_list(compound=self.compound()), pk)
        return Response(VoteSerializer(votes.vote_close(vote=vote, actor=request.user)).data)
