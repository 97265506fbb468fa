"""Settlement API (/api/v1/compounds/{slug}/settlements/…): the list and one year (public
for confirmed settlements, the parties also see those waiting), the run (a community
official) and the confirmation (committee or official; a ``totp`` code in the body or the
session's recent check). Errors answer ``{"message", "extra"}`` (common/api.py)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.stepup import second_factor_from_code, second_factor_from_session
from common.api import error_responses
from common.errors import NotFoundError
from communities.permissions import compound_for_api, standing_in
from settlements import selectors, services
from settlements.models import Settlement

TAGS = ["settlements"]
SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The compound's slug")
YEAR = OpenApiParameter("year", OpenApiTypes.INT, OpenApiParameter.PATH, description="The settled year")
ERRORS = error_responses(
    {
        400: "Refused input; extra.fields names the fields.",
        403: "Role, the company confirming, or step-up (extra.step_up).",
        404: "No such compound or settlement, or not visible to you.",
        409: "The settlement's state does not allow this.",
    },
    400,
    403,
    404,
    409,
)


class SettlementSerializer(serializers.ModelSerializer):
    figures = serializers.SerializerMethodField()
    confirmations = serializers.SerializerMethodField()
    payout = serializers.IntegerField(source="payout_id", allow_null=True)
    owners_fund_entry = serializers.SerializerMethodField()

    class Meta:
        model = Settlement
        fields = [
            "year", "version", "status", "correction_reason", "digest", "generated_at", "release_fen",
            "kept_fen", "figures", "confirmations", "payout", "owners_fund_entry", "confirmed_at",
        ]  # fmt: skip

    def get_figures(self, obj) -> dict | None:
        return obj.figures

    def get_confirmations(self, obj) -> list[dict]:
        return [
            {"party": c.party, "at": c.created_at.isoformat()}
            for c in obj.confirmations.order_by("created_at")
        ]

    def get_owners_fund_entry(self, obj) -> int | None:
        return obj.owners_fund_entry.sequence if obj.owners_fund_entry_id else None


class RunSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    payee_account = serializers.CharField(required=False, allow_blank=True, default="")


class ConfirmSerializer(serializers.Serializer):
    digest = serializers.CharField(help_text="The digest of the figures you read.")
    totp = serializers.CharField(required=False, allow_blank=True, default="")


def _settlement(request, slug, year) -> tuple:
    compound, _standing = compound_for_api(request.user, slug, see=None)
    settlement = selectors.settlement_get(compound, int(year), standing_in(request.user, compound))
    if settlement is None:
        raise NotFoundError("Not found.")
    return compound, settlement


@extend_schema(tags=TAGS, parameters=[SLUG])
class SettlementListApi(APIView):
    parser_classes = [JSONParser, FormParser]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(
        summary="The compound's settlements", responses={200: SettlementSerializer(many=True), **ERRORS}
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=None)
        items = selectors.settlements_for(compound, standing_in(request.user, compound))
        return Response(SettlementSerializer(items, many=True).data)

    @extend_schema(
        summary="Run a past year's settlement (a community official)",
        request=RunSerializer,
        responses={202: SettlementSerializer, **ERRORS},
    )
    def post(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, see=None)
        data = RunSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settlement = services.settlement_request(
            compound=compound, year=data.validated_data["year"], actor=request.user,
            payee_account=data.validated_data["payee_account"],
        )  # fmt: skip
        settlement.refresh_from_db()
        return Response(SettlementSerializer(settlement).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=TAGS, parameters=[SLUG, YEAR])
class SettlementDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="One year's settlement in force", responses={200: SettlementSerializer, **ERRORS})
    def get(self, request, slug, year):
        _compound, settlement = _settlement(request, slug, year)
        return Response(SettlementSerializer(settlement).data)


@extend_schema(tags=TAGS, parameters=[SLUG, YEAR])
class SettlementConfirmApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        summary="Confirm the figures (two committee members and one community official; never the company)",
        request=ConfirmSerializer,
        responses={200: SettlementSerializer, **ERRORS},
    )
    def post(self, request, slug, year):
        _compound, settlement = _settlement(request, slug, year)
        data = ConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data["totp"]
        proof = (
            second_factor_from_code(request.user, code)
            if code
            else second_factor_from_session(request._request)
        )
        services.settlement_confirm(
            settlement=settlement,
            actor=request.user,
            second_factor=proof,
            digest=data.validated_data["digest"],
        )
        settlement.refresh_from_db()
        return Response(SettlementSerializer(settlement).data)
