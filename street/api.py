"""API of the street dashboard: ``/api/v1/street-offices/{slug}/dashboard/`` (rows and
totals, same filters as the page) and ``…/flags/`` (list; POST ``…/flags/{id}/decide/``
for admins). 404 for anybody who is not a street admin or inspector of the office."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import error_responses
from common.errors import NotFoundError, PermissionDeniedError
from street import selectors, services
from street.flags import flag_link
from street.models import FlagStatus
from street.permissions import access_dashboard

TAGS = ["street"]
ERRORS = error_responses(
    {
        400: "Unknown filter, sort or date, or a decision without a reason; extra.fields names them.",
        403: "Inspectors read; only a street admin decides flags.",
        404: "No such street office, or not yours.",
    },
    400,
    403,
    404,
)
SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The street office's slug"
)


def _dashboard(request, slug):
    try:
        return access_dashboard(request.user, slug)
    except Http404:
        raise NotFoundError("No such street office.") from None


class RowSerializer(serializers.Serializer):
    compound = serializers.CharField(source="compound.slug")
    name = serializers.CharField(source="compound.name")
    community = serializers.CharField(source="compound.community.name")
    collection_rate = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    collection_trend = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    escrow_balance_fen = serializers.IntegerField(
        source="m.escrow_balance_fen", allow_null=True, default=None
    )
    available_fen = serializers.IntegerField(allow_null=True)
    open_holds_fen = serializers.IntegerField(source="m.open_holds_fen", allow_null=True, default=None)
    payouts_waiting = serializers.IntegerField(source="m.payouts_waiting", allow_null=True, default=None)
    payouts_oldest_days = serializers.IntegerField(
        source="m.payouts_oldest_days", allow_null=True, default=None
    )
    disclosure_last = serializers.CharField(source="m.disclosure_last", allow_null=True, default=None)
    disclosure_late = serializers.BooleanField(source="m.disclosure_late", allow_null=True, default=None)
    score = serializers.DecimalField(
        source="m.score", max_digits=6, decimal_places=2, allow_null=True, default=None
    )
    score_trend = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    repairs_open = serializers.IntegerField(source="m.repairs_open", allow_null=True, default=None)
    repairs_overdue = serializers.IntegerField(source="m.repairs_overdue", allow_null=True, default=None)
    repairs_median_hours = serializers.DecimalField(
        source="m.repairs_median_hours", max_digits=10, decimal_places=2, allow_null=True, default=None
    )
    meetings_held = serializers.IntegerField()
    topics_resolved = serializers.IntegerField()
    action_items_overdue = serializers.IntegerField(
        source="m.action_items_overdue", allow_null=True, default=None
    )
    stewards = serializers.IntegerField(source="m.stewards", allow_null=True, default=None)
    open_flags = serializers.IntegerField()
    settlement = serializers.CharField(allow_null=True, help_text="null: not yet available")
    links = serializers.DictField(child=serializers.CharField())


class TotalsSerializer(serializers.Serializer):
    compounds = serializers.IntegerField()
    money_managed_fen = serializers.IntegerField()
    meetings_held = serializers.IntegerField()
    topics_resolved = serializers.IntegerField()
    score_then = serializers.DecimalField(max_digits=6, decimal_places=0, allow_null=True)
    score_now = serializers.DecimalField(max_digits=6, decimal_places=0, allow_null=True)
    stewards = serializers.IntegerField(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    month = serializers.DateField()
    refreshed_at = serializers.DateTimeField(allow_null=True)
    rows = RowSerializer(many=True)
    totals = TotalsSerializer()


class FlagSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    compound = serializers.CharField(source="compound.slug")
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    status = serializers.CharField()
    active = serializers.BooleanField()
    evidence = serializers.JSONField()
    link = serializers.CharField()
    reason = serializers.CharField()
    raised_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[FlagStatus.ACKNOWLEDGED, FlagStatus.DISMISSED])
    reason = serializers.CharField(max_length=1000)


class DashboardApi(APIView):
    @extend_schema(
        tags=TAGS,
        parameters=[
            SLUG,
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (default: this month)"),
            OpenApiParameter(
                "sort",
                OpenApiTypes.STR,
                description="A field, '-' for descending: " + ", ".join(selectors.SORT_FIELDS),
            ),
            OpenApiParameter("community", OpenApiTypes.INT),
            OpenApiParameter("flagged", OpenApiTypes.STR, description="1: only compounds with open flags"),
            OpenApiParameter(
                "late", OpenApiTypes.STR, description="1: only compounds with a late disclosure"
            ),
            OpenApiParameter("q", OpenApiTypes.STR, description="Part of a compound's name or slug"),
        ],
        responses={200: DashboardSerializer, **ERRORS},
        summary="The street office's compounds side by side, with the totals",
        operation_id="street_dashboard",
    )
    def get(self, request, slug):
        dashboard, _role = _dashboard(request, slug)
        query = selectors.DashboardQuery.parse(request.query_params)
        data = selectors.dashboard(
            dashboard.street_office, query, refreshed_at=dashboard.rollups_refreshed_at
        )
        return Response(
            DashboardSerializer(
                {
                    "month": query.month,
                    "refreshed_at": dashboard.rollups_refreshed_at,
                    "rows": data["rows"],
                    "totals": data["totals"],
                }
            ).data
        )


class FlagListApi(APIView):
    @extend_schema(
        tags=TAGS,
        parameters=[SLUG, OpenApiParameter("status", OpenApiTypes.STR, enum=FlagStatus.values)],
        responses={200: FlagSerializer(many=True), **ERRORS},
        summary="The street office's flags in force, with their evidence",
        operation_id="street_flag_list",
    )
    def get(self, request, slug):
        dashboard, _role = _dashboard(request, slug)
        unknown = sorted(set(request.query_params) - {"status"})
        if unknown:
            from django.core.exceptions import ValidationError

            raise ValidationError({name: "Unknown filter. Use: status." for name in unknown})
        flags = selectors.office_flags(dashboard.street_office, status=request.query_params.get("status", ""))
        for flag in flags:
            flag.link = flag_link(flag)
        return Response(FlagSerializer(flags, many=True).data)


class FlagDecideApi(APIView):
    @extend_schema(
        tags=TAGS,
        parameters=[SLUG],
        request=DecideSerializer,
        responses={200: FlagSerializer, **ERRORS},
        summary="Acknowledge or dismiss a flag, with a reason (street admins)",
        operation_id="street_flag_decide",
    )
    def post(self, request, slug, pk):
        dashboard, role = _dashboard(request, slug)
        if role != "admin":
            raise PermissionDeniedError("Only a street-office admin may acknowledge or dismiss a flag.")
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        flag = services.flag_decide(
            flag_id=pk,
            street_office=dashboard.street_office,
            decision=body.validated_data["decision"],
            reason=body.validated_data["reason"],
            actor=request.user,
        )
        flag.link = flag_link(flag)
        return Response(FlagSerializer(flag).data)
