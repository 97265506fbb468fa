"""Disclosures in the API (/api/v1/compounds/<slug>/disclosures/…): the list, one
disclosure with its figures, its files, and the officials' actions (request a quarter,
publish, correct, reopen the books). Thin: the same selectors and services as the pages.

Reads are public like the pages: published disclosures for anyone; those not published
yet only for the people who publish them (to everyone else they are missing, 404).
Actions need ``PUBLISH_DISCLOSURE``: a member without it gets 403, anyone else 404."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import error_responses
from common.errors import NotFoundError
from communities.permissions import Capability, compound_for_api, standing_in
from communities.selectors import public_compound
from escrow.models import CORRECTION_REASON_MAX_CHARS, Disclosure, DisclosureStatus
from escrow.transparency import selectors, services
from escrow.transparency.views import detail_url, file_url

TAGS = ["disclosures"]
SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The compound's slug")
ONE = [
    SLUG,
    OpenApiParameter("year", OpenApiTypes.INT, OpenApiParameter.PATH),
    OpenApiParameter("quarter", OpenApiTypes.INT, OpenApiParameter.PATH, enum=[1, 2, 3, 4]),
    OpenApiParameter("version", OpenApiTypes.INT, OpenApiParameter.PATH),
]
ERRORS = error_responses(
    {
        400: "Refused input; extra.fields names the fields.",
        403: "Not logged in, or a member whose roles may not act on disclosures (extra.capability).",
        404: "No such compound or disclosure, or not visible to you.",
        409: "The disclosure's state does not allow this.",
    },
    400,
    403,
    404,
    409,
)
READ_ERRORS = {404: ERRORS[404]}


class DisclosureFileSerializer(serializers.Serializer):
    format = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.CharField(help_text="The file itself, byte for byte (its ETag is its SHA-256).")


class DisclosureSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    correction_reason = serializers.CharField()
    supersedes_version = serializers.IntegerField(allow_null=True)
    digest = serializers.CharField(help_text="SHA-256 of the figures; empty until built.")
    entry_count = serializers.IntegerField(allow_null=True, help_text="Entries of the chain it covers.")
    head_hash = serializers.CharField(help_text="The chain's head after entry_count entries.")
    generated_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    page_url = serializers.CharField()
    files = DisclosureFileSerializer(many=True)


class DisclosureDetailSerializer(DisclosureSerializer):
    figures = serializers.JSONField(
        allow_null=True, help_text="The frozen figures (format gongguan-disclosure/1, docs/disclosures.md)."
    )


class DisclosureRequestSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class DisclosureReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=CORRECTION_REASON_MAX_CHARS)


def _files(disclosure: Disclosure) -> list[dict]:
    return [
        {"format": f.format, "size": f.size, "sha256": f.sha256, "url": file_url(disclosure, f.format)}
        for f in selectors.sorted_files(disclosure)
    ]


def _body(disclosure: Disclosure, *, figures: bool = False) -> dict:
    body = {
        "year": disclosure.year,
        "quarter": disclosure.quarter,
        "version": disclosure.version,
        "status": disclosure.status,
        "status_label": str(disclosure.get_status_display()),
        "period_start": disclosure.period_start,
        "period_end": disclosure.period_end,
        "correction_reason": disclosure.correction_reason,
        "supersedes_version": disclosure.supersedes.version if disclosure.supersedes_id else None,
        "digest": disclosure.digest,
        "entry_count": disclosure.entry_count,
        "head_hash": disclosure.head_hash,
        "generated_at": disclosure.generated_at,
        "published_at": disclosure.published_at,
        "page_url": detail_url(disclosure),
        "files": _files(disclosure),
    }
    if figures:
        body["figures"] = (
            disclosure.figures
            if disclosure.status in (DisclosureStatus.READY, DisclosureStatus.PUBLISHED)
            else None
        )
        return DisclosureDetailSerializer(body).data
    return DisclosureSerializer(body).data


class _Reader:
    permission_classes = [AllowAny]

    def reader(self):
        compound = public_compound(str(self.kwargs["slug"]))
        if compound is None:
            raise NotFoundError("Not found.")
        return compound, standing_in(self.request.user, compound)

    def one(self, compound, standing, *, figures=True) -> Disclosure:
        try:
            return selectors.disclosure_get(
                compound=compound,
                year=self.kwargs["year"],
                quarter=self.kwargs["quarter"],
                version=self.kwargs["version"],
                standing=standing,
                figures=figures,
            )
        except Http404:
            raise NotFoundError("Not found.") from None


class _Official(_Reader):
    permission_classes = [AllowAny]  # the lookup answers 403/404 itself
    parser_classes = [JSONParser, FormParser]

    def official(self):
        if not self.request.user.is_authenticated:
            from common.errors import PermissionDeniedError

            raise PermissionDeniedError("Not logged in.")
        return compound_for_api(self.request.user, self.kwargs["slug"], act=Capability.PUBLISH_DISCLOSURE)


@extend_schema(tags=TAGS, parameters=[SLUG])
class DisclosureListApi(_Official, APIView):
    @extend_schema(
        operation_id="disclosure_list",
        summary="The compound's disclosures, newest first (for officials also those not published yet)",
        responses={200: DisclosureSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, slug):
        compound, standing = self.reader()
        official = selectors.may_manage_disclosures(standing)
        groups = (
            selectors.official_disclosures(compound) if official else selectors.public_disclosures(compound)
        )
        return Response([_body(d) for group in groups for d in group.versions])

    @extend_schema(
        operation_id="disclosure_request",
        summary="Request the disclosure of an ended quarter (officials); it is built in the background",
        request=DisclosureRequestSerializer,
        responses={201: DisclosureSerializer, **ERRORS},
    )
    def post(self, request, slug):
        compound, _standing = self.official()
        serializer = DisclosureRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        disclosure = services.disclosure_request(
            compound=compound, actor=request.user, **serializer.validated_data
        )
        return Response(_body(disclosure), status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS, parameters=ONE)
class DisclosureDetailApi(_Reader, APIView):
    @extend_schema(
        operation_id="disclosure_retrieve",
        summary="One disclosure with its frozen figures",
        responses={200: DisclosureDetailSerializer, **READ_ERRORS},
    )
    def get(self, request, slug, year, quarter, version):
        compound, standing = self.reader()
        return Response(_body(self.one(compound, standing), figures=True))


@extend_schema(tags=TAGS, parameters=ONE)
class DisclosureFilesApi(_Reader, APIView):
    @extend_schema(
        operation_id="disclosure_files",
        summary="The disclosure's files (JSON, CSV, HTML, PDF) with their size and SHA-256",
        responses={200: DisclosureFileSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, slug, year, quarter, version):
        compound, standing = self.reader()
        return Response(
            DisclosureFileSerializer(_files(self.one(compound, standing, figures=False)), many=True).data
        )


class _Action(_Official, APIView):
    def target(self) -> Disclosure:
        compound, standing = self.official()
        return self.one(compound, standing)


@extend_schema(tags=TAGS, parameters=ONE)
class DisclosurePublishApi(_Action):
    @extend_schema(
        operation_id="disclosure_publish",
        summary="Publish a ready disclosure (officials); members are told",
        request=None,
        responses={200: DisclosureSerializer, **ERRORS},
    )
    def post(self, request, slug, year, quarter, version):
        disclosure = services.disclosure_publish(disclosure=self.target(), actor=request.user)
        return Response(_body(Disclosure.objects.get(pk=disclosure.pk)))


@extend_schema(tags=TAGS, parameters=ONE)
class DisclosureCorrectApi(_Action):
    @extend_schema(
        operation_id="disclosure_correct",
        summary="Issue a corrected version, with its reason (officials); the reason is published",
        request=DisclosureReasonSerializer,
        responses={201: DisclosureSerializer, **ERRORS},
    )
    def post(self, request, slug, year, quarter, version):
        disclosure = self.target()
        serializer = DisclosureReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        correction = services.disclosure_correct(
            disclosure=disclosure, reason=serializer.validated_data["reason"], actor=request.user
        )
        return Response(_body(Disclosure.objects.get(pk=correction.pk)), status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS, parameters=ONE)
class DisclosureReopenApi(_Action):
    @extend_schema(
        operation_id="disclosure_reopen",
        summary="Reopen the books of the quarter for correcting entries (officials), with the reason",
        request=DisclosureReasonSerializer,
        responses={200: DisclosureSerializer, **ERRORS},
    )
    def post(self, request, slug, year, quarter, version):
        disclosure = self.target()
        serializer = DisclosureReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.books_reopen(
            disclosure=disclosure, reason=serializer.validated_data["reason"], actor=request.user
        )
        return Response(_body(Disclosure.objects.get(pk=disclosure.pk)))
