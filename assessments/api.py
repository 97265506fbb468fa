"""Assessment and repair API (/api/v1/compounds/{slug}/assessments/…, …/repairs/…): the
same services and selectors as the pages. Errors answer ``{"message", "extra"}``
(common/api.py); a compound, round or request the caller may not see answers 404.

Signing off takes a ``totp`` code in the body (checked now) or the session's recent
TOTP/WebAuthn check; a refusal for step-up is 403 with ``extra.step_up = true``.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.stepup import second_factor_from_code, second_factor_from_session
from common.api import ErrorSerializer
from common.errors import NotFoundError
from communities.models import Building, Compound, Unit
from communities.permissions import Capability, get_compound_for_api

from . import repairs as repair_services
from . import selectors, services
from .models import (
    AssessmentRound,
    Objection,
    RepairCategory,
    RepairKind,
    RepairRequest,
    RoundStatus,
    Urgency,
)

TAGS_A = ["assessments"]
TAGS_R = ["repairs"]
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Refused input; extra.fields names the fields."),
    403: OpenApiResponse(ErrorSerializer, description="Role or step-up (extra.step_up)."),
    404: OpenApiResponse(
        ErrorSerializer, description="No such compound, round or request, or not visible to you."
    ),
    409: OpenApiResponse(ErrorSerializer, description="The state does not allow this (e.g. closed twice)."),
}
SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The compound's slug")
PK = OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH)


# --------------------------------------------------------------------------- serializers


class RoundSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="open, closed, published or superseded")
    template_version = serializers.IntegerField(source="template.version", read_only=True)
    policy = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentRound
        fields = [
            "id",
            "year",
            "quarter",
            "version",
            "label",
            "status",
            "period_start",
            "period_end",
            "opened_at",
            "deadline",
            "closed_at",
            "published_at",
            "total",
            "template_version",
            "policy",
            "rescore_reason",
        ]

    def get_policy(self, obj) -> dict:
        return {"version": obj.policy.version, **obj.policy.as_dict()}


class RoundDetailSerializer(RoundSerializer):
    result = serializers.JSONField(read_only=True)
    items = serializers.SerializerMethodField()
    scorers = serializers.SerializerMethodField()
    survey_answers = serializers.SerializerMethodField()

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "result", "items", "scorers", "survey_answers"]

    def get_items(self, obj) -> list[dict]:
        return [
            {
                "id": i.pk,
                "number": i.number,
                "section": i.section.title,
                "title": i.title,
                "max_points": i.max_points,
                "guidance": i.guidance,
                "duty_number": i.duty_number,
            }
            for i in selectors.round_items(obj)
        ]

    def get_scorers(self, obj) -> dict:
        # Counts only: who scored what stays with the round's members' page.
        return selectors.scorer_progress(obj)

    def get_survey_answers(self, obj) -> int:
        return selectors.survey_count(obj)


class OpenSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()


class ScoreEntrySerializer(serializers.Serializer):
    item = serializers.IntegerField()
    points = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ScoresSerializer(serializers.Serializer):
    scores = ScoreEntrySerializer(many=True)


class SurveySerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    rating = serializers.IntegerField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SignoffSerializer(serializers.Serializer):
    totp = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["uphold", "dismiss"])
    reason = serializers.CharField(allow_blank=True)


class RepairSerializer(serializers.ModelSerializer):
    place = serializers.SerializerMethodField()
    # Plain strings (codes): the choice sets are documented on the create serializer.
    kind = serializers.CharField(read_only=True)
    category = serializers.CharField(read_only=True)
    urgency = serializers.CharField(read_only=True)
    status = serializers.CharField(
        read_only=True, help_text="reported, accepted, in_progress, done or confirmed"
    )

    class Meta:
        model = RepairRequest
        fields = [
            "id",
            "kind",
            "category",
            "urgency",
            "place",
            "description",
            "from_patrol",
            "status",
            "reported_at",
            "due_at",
            "accepted_at",
            "done_at",
            "done_note",
            "confirmed_at",
            "rating",
            "rating_comment",
            "reopen_count",
        ]

    def get_place(self, obj) -> str:
        return obj.place


class RepairCreateSerializer(serializers.Serializer):
    # Photos (PNG/JPEG, at most 6) come as multipart "photos" parts next to these fields.
    kind = serializers.CharField(default=RepairKind.REPAIR, help_text="repair or complaint")
    category = serializers.CharField(help_text=", ".join(RepairCategory.values))
    urgency = serializers.CharField(default=Urgency.NORMAL, help_text="urgent (24 h) or normal (72 h)")
    description = serializers.CharField(allow_blank=True)
    unit = serializers.IntegerField(required=False, allow_null=True)
    building = serializers.IntegerField(required=False, allow_null=True)
    location = serializers.CharField(required=False, allow_blank=True, default="")
    from_patrol = serializers.BooleanField(default=False)


class RepairActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    rating = serializers.IntegerField(required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# --------------------------------------------------------------------------- assessments


class _RoundMixin:
    capability = Capability.VIEW_MEMBERS_AREA

    def compound(self, capability=None):
        return get_compound_for_api(self.request.user, self.kwargs["slug"], capability or self.capability)

    def round(self, capability=None):
        compound, standing = self.compound(capability)
        try:
            return compound, standing, selectors.round_get(compound, self.kwargs["pk"])
        except Http404:
            raise NotFoundError("Not found.") from None

    def detail(self, rnd, code=status.HTTP_200_OK):
        fresh = AssessmentRound.objects.select_related("template", "policy").get(pk=rnd.pk)
        return Response(RoundDetailSerializer(fresh).data, status=code)


@extend_schema(tags=TAGS_A, parameters=[SLUG])
class RoundListApi(_RoundMixin, APIView):
    @extend_schema(
        summary="List the compound's assessment rounds",
        responses={200: RoundSerializer(many=True), 404: ERRORS[404]},
    )
    def get(self, request, slug):
        compound, _standing = self.compound()
        return Response(RoundSerializer(selectors.round_list(compound), many=True).data)

    @extend_schema(
        summary="Open a round for a quarter (officials)",
        request=OpenSerializer,
        responses={201: RoundDetailSerializer, **ERRORS},
    )
    def post(self, request, slug):
        compound, _standing = self.compound(Capability.OPEN_ASSESSMENT_ROUND)
        data = OpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rnd = services.round_open(compound=compound, actor=request.user, **data.validated_data)
        return self.detail(rnd, status.HTTP_201_CREATED)


@extend_schema(tags=TAGS_A, parameters=[SLUG, PK])
class RoundDetailApi(_RoundMixin, APIView):
    @extend_schema(
        summary="A round: items, frozen result, progress",
        responses={200: RoundDetailSerializer, 404: ERRORS[404]},
    )
    def get(self, request, slug, pk):
        _c, _s, rnd = self.round()
        return self.detail(rnd)


@extend_schema(tags=TAGS_A, parameters=[SLUG, PK])
class RoundScoresApi(_RoundMixin, APIView):
    @extend_schema(
        summary="Submit my score sheet (every item; a comment below half the points)",
        request=ScoresSerializer,
        responses={201: RoundDetailSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        _c, _s, rnd = self.round()
        data = ScoresSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scores = {
            row["item"]: {"points": row["points"], "comment": row["comment"]}
            for row in data.validated_data["scores"]
        }
        services.score_submit(round=rnd, actor=request.user, scores=scores)
        return self.detail(rnd, status.HTTP_201_CREATED)


@extend_schema(tags=TAGS_A, parameters=[SLUG, PK])
class RoundSurveyApi(_RoundMixin, APIView):
    @extend_schema(
        summary="Answer (or change) the satisfaction survey for a unit I own",
        request=SurveySerializer,
        responses={
            200: inline_serializer(
                "SurveyAnswerOut", {"unit": serializers.IntegerField(), "rating": serializers.IntegerField()}
            ),
            **ERRORS,
        },
    )
    def post(self, request, slug, pk):
        compound, _s, rnd = self.round()
        data = SurveySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = Unit.objects.filter(compound=compound, pk=data.validated_data["unit"]).first()
        answer = services.survey_answer(
            round=rnd,
            unit=unit,
            actor=request.user,
            rating=data.validated_data["rating"],
            comment=data.validated_data["comment"],
        )
        return Response({"unit": answer.unit_id, "rating": answer.rating})


@extend_schema(tags=TAGS_A, parameters=[SLUG, PK])
class RoundCloseApi(_RoundMixin, APIView):
    @extend_schema(
        summary="Close the round now and freeze its result",
        request=None,
        responses={200: RoundDetailSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        _c, _s, rnd = self.round(Capability.OPEN_ASSESSMENT_ROUND)
        services.round_close(round=rnd, actor=request.user)
        return self.detail(rnd)


@extend_schema(tags=TAGS_A, parameters=[SLUG, PK])
class RoundSignoffApi(_RoundMixin, APIView):
    @extend_schema(
        summary="Sign the frozen result off (committee chair, community official; step-up)",
        request=SignoffSerializer,
        responses={201: RoundDetailSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        _c, _s, rnd = self.round(Capability.SIGN_ASSESSMENT)
        data = SignoffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data["totp"]
        proof = second_factor_from_code(request.user, code) if code else second_factor_from_session(request)
        services.round_signoff(round=rnd, actor=request.user, second_factor=proof)
        return self.detail(rnd, status.HTTP_201_CREATED)


@extend_schema(tags=TAGS_A, parameters=[SLUG, PK])
class RoundObjectionApi(_RoundMixin, APIView):
    @extend_schema(
        summary="The company objects (once, within 7 days)",
        request=ReasonSerializer,
        responses={201: RoundDetailSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        _c, _s, rnd = self.round(Capability.OBJECT_TO_ASSESSMENT)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.objection_lodge(round=rnd, actor=request.user, reason=data.validated_data["reason"])
        return self.detail(rnd, status.HTTP_201_CREATED)


@extend_schema(tags=TAGS_A, parameters=[SLUG, PK])
class ObjectionDecisionApi(_RoundMixin, APIView):
    @extend_schema(
        summary="The street office upholds (rescored as a new version) or dismisses",
        request=DecisionSerializer,
        responses={200: RoundDetailSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        _c, _s, rnd = self.round(Capability.DECIDE_ASSESSMENT_OBJECTION)
        objection = Objection.objects.filter(round=rnd).first()
        if objection is None:
            raise NotFoundError("Not found.")
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.objection_decide(
            objection=objection,
            actor=request.user,
            uphold=data.validated_data["decision"] == "uphold",
            reason=data.validated_data["reason"],
        )
        return self.detail(rnd)


def _public_compound(slug) -> Compound:
    compound = Compound.objects.filter(slug=slug).select_related("community").first()
    if compound is None:
        raise NotFoundError("Not found.")
    return compound


@extend_schema(tags=TAGS_A, parameters=[SLUG])
class PublicScoresApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Public: every published round's total and breakdown (no names)",
        responses={200: RoundDetailSerializer(many=True), 404: ERRORS[404]},
    )
    def get(self, request, slug):
        compound = _public_compound(slug)
        rounds = selectors.published_rounds(compound)
        return Response(
            [
                {**RoundSerializer(r).data, "result": r.result}
                for r in rounds
                if r.status == RoundStatus.PUBLISHED
            ]
        )


# --------------------------------------------------------------------------- repairs


@extend_schema(tags=TAGS_R, parameters=[SLUG])
class RepairListApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        summary="Repair requests I may see", responses={200: RepairSerializer(many=True), 404: ERRORS[404]}
    )
    def get(self, request, slug):
        compound, standing = get_compound_for_api(request.user, slug)
        qs = selectors.repairs_visible(compound, standing, request.user)[:200]
        return Response(RepairSerializer(qs, many=True).data)

    @extend_schema(
        summary="Report a repair or complaint",
        request=RepairCreateSerializer,
        responses={201: RepairSerializer, **ERRORS},
    )
    def post(self, request, slug):
        compound, _standing = get_compound_for_api(request.user, slug, Capability.REPORT_ISSUES)
        data = RepairCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        unit_id, building_id = v.pop("unit", None), v.pop("building", None)
        unit = Unit.objects.filter(pk=unit_id).select_related("building").first() if unit_id else None
        building = Building.objects.filter(pk=building_id).first() if building_id else None
        if unit_id and unit is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"unit": "No such unit."})
        req = repair_services.repair_report(
            compound=compound,
            actor=request.user,
            unit=unit,
            building=building,
            photos=request.FILES.getlist("photos"),
            **v,
        )
        return Response(RepairSerializer(req).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS_R, parameters=[SLUG])
class RepairStatsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Public: counts, median hours to fix, mean rating (no names, units masked)",
        responses={200: OpenApiTypes.OBJECT, 404: ERRORS[404]},
    )
    def get(self, request, slug):
        stats = selectors.repair_stats(_public_compound(slug))
        out = {k: v for k, v in stats.__dict__.items() if k != "recent"}
        out["recent"] = [{k: v for k, v in r.items() if k != "status"} for r in stats.recent]
        return Response(out)


@extend_schema(tags=TAGS_R, parameters=[SLUG, PK])
class RepairDetailApi(APIView):
    @extend_schema(summary="One repair request", responses={200: RepairSerializer, 404: ERRORS[404]})
    def get(self, request, slug, pk):
        compound, standing = get_compound_for_api(request.user, slug)
        try:
            req = selectors.repair_get(compound, standing, request.user, pk)
        except Http404:
            raise NotFoundError("Not found.") from None
        return Response(RepairSerializer(req).data)


ACTION = OpenApiParameter(
    "action", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["accept", "start", "done", "confirm", "reopen"]
)


@extend_schema(tags=TAGS_R, parameters=[SLUG, PK, ACTION])
class RepairActionApi(APIView):
    @extend_schema(
        operation_id="repair_action",
        summary="accept / start / done (staff: note) · confirm (rating 1–5, comment) · reopen (reason)",
        request=RepairActionSerializer,
        responses={200: RepairSerializer, **ERRORS},
    )
    def post(self, request, slug, pk, action):
        if action not in ("accept", "start", "done", "confirm", "reopen"):
            raise NotFoundError("Not found.")
        capability = (
            Capability.HANDLE_REPAIRS
            if action in ("accept", "start", "done")
            else Capability.VIEW_MEMBERS_AREA
        )
        compound, standing = get_compound_for_api(request.user, slug, capability)
        try:
            req = selectors.repair_get(compound, standing, request.user, pk)
        except Http404:
            raise NotFoundError("Not found.") from None
        if action in ("confirm", "reopen") and not repair_services.may_confirm(req, request.user):
            raise NotFoundError("Not found.")
        data = RepairActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if action == "accept":
            req = repair_services.repair_accept(request=req, actor=request.user)
        elif action == "start":
            req = repair_services.repair_start(request=req, actor=request.user)
        elif action == "done":
            req = repair_services.repair_done(request=req, actor=request.user, note=v["note"])
        elif action == "confirm":
            req = repair_services.repair_confirm(
                request=req, actor=request.user, rating=v.get("rating"), comment=v["comment"]
            )
        else:
            req = repair_services.repair_reopen(request=req, actor=request.user, reason=v["reason"])
        return Response(RepairSerializer(req).data)


# --------------------------------------------------------------------------- street office, duty checks


class TemplateItemInSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True)
    max_points = serializers.IntegerField()
    guidance = serializers.CharField(required=False, allow_blank=True, default="")
    duty_number = serializers.IntegerField(required=False, allow_null=True, default=None)


class TemplateSectionInSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True)
    items = TemplateItemInSerializer(many=True)


class TemplatePublishSerializer(serializers.Serializer):
    street_office = serializers.IntegerField()
    title = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    sections = TemplateSectionInSerializer(many=True)


class WeightsSerializer(serializers.Serializer):
    street_office = serializers.IntegerField()
    community = serializers.IntegerField()
    committee = serializers.IntegerField()
    survey = serializers.IntegerField()
    objective = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)


class VersionOutSerializer(serializers.Serializer):
    street_office = serializers.IntegerField(source="street_office_id")
    version = serializers.IntegerField()


class DutyCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    duty = serializers.IntegerField(
        source="duty.number", help_text="The duty's number in the compound's list"
    )
    checked_on = serializers.DateField()
    ok = serializers.BooleanField(default=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


def _office(user, pk):
    from communities.models import Role, StreetOffice
    from communities.permissions import active_memberships

    if not active_memberships(user).filter(role=Role.STREET_ADMIN, street_office_id=pk).exists():
        raise NotFoundError("Not found.")
    return StreetOffice.objects.get(pk=pk)


@extend_schema(tags=TAGS_A)
class TemplatePublishApi(APIView):
    @extend_schema(
        summary="Publish a new version of a street office's assessment template (street admin)",
        request=TemplatePublishSerializer,
        responses={201: VersionOutSerializer, **ERRORS},
    )
    def post(self, request):
        data = TemplatePublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        template = services.assessment_template_publish(
            street_office=_office(request.user, v["street_office"]),
            title=v["title"],
            sections=[dict(s, items=[dict(i) for i in s["items"]]) for s in v["sections"]],
            reason=v["reason"],
            actor=request.user,
        )
        return Response(VersionOutSerializer(template).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS_A)
class WeightsPublishApi(APIView):
    @extend_schema(
        summary="Publish new party weights (percent, summing to 100; street admin)",
        request=WeightsSerializer,
        responses={201: VersionOutSerializer, **ERRORS},
    )
    def post(self, request):
        data = WeightsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        office = _office(request.user, v.pop("street_office"))
        policy = services.weight_policy_publish(
            street_office=office, reason=v.pop("reason"), actor=request.user, **v
        )
        return Response(VersionOutSerializer(policy).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS_A, parameters=[SLUG])
class DutyCheckApi(APIView):
    @extend_schema(
        summary="Duty checks recorded in the compound",
        responses={200: DutyCheckSerializer(many=True), 404: ERRORS[404]},
    )
    def get(self, request, slug):
        from .models import DutyCheck

        compound, _s = get_compound_for_api(request.user, slug, Capability.RECORD_DUTY_CHECK)
        checks = (
            DutyCheck.objects.filter(compound=compound).select_related("duty").order_by("-checked_on", "-pk")
        )
        return Response(DutyCheckSerializer(checks[:200], many=True).data)

    @extend_schema(
        summary="Record a duty check",
        request=DutyCheckSerializer,
        responses={201: DutyCheckSerializer, **ERRORS},
    )
    def post(self, request, slug):
        from communities.selectors import current_duty_list

        compound, _s = get_compound_for_api(request.user, slug, Capability.RECORD_DUTY_CHECK)
        data = DutyCheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        duty_list = current_duty_list(compound)
        duty = duty_list.duties.filter(number=v["duty"]["number"]).first() if duty_list else None
        check = services.duty_check_record(
            compound=compound,
            duty=duty,
            actor=request.user,
            checked_on=v["checked_on"],
            ok=v["ok"],
            note=v["note"],
        )
        return Response(DutyCheckSerializer(check).data, status=status.HTTP_201_CREATED)
