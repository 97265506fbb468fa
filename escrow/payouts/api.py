"""Payout API (/api/v1/compounds/{slug}/payouts/…): every action the pages offer, through
the same services and selectors. Errors answer ``{"message", "extra"}`` (common/api.py);
a compound or request the caller may not see answers 404 exactly like a missing one.

Signing takes a ``totp`` code in the body (checked now) or, without one, the session's
recent TOTP/WebAuthn check; a refusal for step-up is 403 with ``extra.step_up = true``.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.stepup import second_factor_from_code, second_factor_from_session
from common.api import DefaultPagination, error_responses
from common.errors import NotFoundError
from common.files import file_response, private
from communities.permissions import Capability, compound_for_api
from escrow.models import PayoutCategory, PayoutStatus
from escrow.payouts import selectors, services
from escrow.payouts.pdf import payout_order_response
from escrow.payouts.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    AvailabilitySerializer,
    PayoutDetailSerializer,
    PayoutListSerializer,
    PayoutWriteSerializer,
    PaySerializer,
    RejectSerializer,
    SignatureSerializer,
    SignSerializer,
    WithdrawSerializer,
)

TAGS = ["payouts"]

ERRORS = error_responses(
    {
        400: "Refused input; extra.fields names the fields.",
        403: "Role, segregation of duties or step-up (extra.step_up).",
        404: "No such compound or request, or not visible to you.",
        409: "The request's state does not allow this, or funds.",
    },
    400,
    403,
    404,
    409,
)
# The reads: 403 only for a caller who is not logged in (a member who may not see the
# request gets 404, as for a missing one).
READ_ERRORS = error_responses(
    {403: "Not logged in.", 404: "No such compound or request, or not visible to you."}, 403, 404
)
SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The compound's slug")


class _CompoundMixin:
    # Resolves the compound (404 unless visible with the full ledger) and one request.
    # (A comment, not a docstring: drf-spectacular would publish it on every operation.)

    def compound(self):
        if not hasattr(self, "_compound"):
            self._compound, self._standing = compound_for_api(
                self.request.user, self.kwargs["slug"], see=Capability.VIEW_FULL_LEDGER
            )
        return self._compound, self._standing

    def payout(self):
        compound, standing = self.compound()
        try:
            return selectors.payout_get(
                compound=compound, standing=standing, user=self.request.user, pk=self.kwargs["pk"]
            )
        except Http404:
            raise NotFoundError("Not found.") from None

    def detail(self, payout, code=status.HTTP_200_OK):
        fresh = self.refetch(payout)
        return Response(
            PayoutDetailSerializer(
                fresh, context={"compound": fresh.compound, "user": self.request.user}
            ).data,
            status=code,
        )

    def refetch(self, payout):
        compound, standing = self.compound()
        return selectors.payout_get(
            compound=compound, standing=standing, user=self.request.user, pk=payout.pk
        )


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutListApi(_CompoundMixin, generics.GenericAPIView):
    pagination_class = DefaultPagination
    serializer_class = PayoutListSerializer
    filter_backends: list = []

    @extend_schema(
        summary="List payout requests (the approval trail)",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=PayoutStatus.values),
            OpenApiParameter("category", OpenApiTypes.STR, enum=PayoutCategory.values),
            OpenApiParameter("mine", OpenApiTypes.BOOL, description="Only requests I filed"),
        ],
        responses={200: PayoutListSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, slug):
        compound, standing = self.compound()
        status_ = request.query_params.get("status", "")
        category = request.query_params.get("category", "")
        qs = selectors.payout_list(
            compound=compound,
            standing=standing,
            user=request.user,
            status=status_ if status_ in PayoutStatus.values else "",
            category=category if category in PayoutCategory.values else "",
            mine=request.query_params.get("mine", "").lower() in ("1", "true", "yes"),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PayoutListSerializer(page, many=True).data)

    @extend_schema(
        summary="File a draft request (property staff)",
        request=PayoutWriteSerializer,
        responses={201: PayoutDetailSerializer, **ERRORS},
    )
    def post(self, request, slug):
        compound, _standing = self.compound()
        serializer = PayoutWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payout = services.payout_create(compound=compound, actor=request.user, **serializer.service_fields())
        return self.detail(payout, status.HTTP_201_CREATED)


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutInboxApi(_CompoundMixin, generics.GenericAPIView):
    pagination_class = DefaultPagination
    serializer_class = PayoutListSerializer
    filter_backends: list = []

    @extend_schema(
        summary="Requests waiting for my signature",
        responses={200: PayoutListSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, slug):
        compound, standing = self.compound()
        qs = selectors.payouts_waiting_for(compound=compound, standing=standing, user=request.user)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PayoutListSerializer(page, many=True).data)


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutAvailabilityApi(_CompoundMixin, APIView):
    @extend_schema(
        summary="Cash, open holds, reserve and what a payout may use",
        responses={200: AvailabilitySerializer, **READ_ERRORS},
    )
    def get(self, request, slug):
        compound, _standing = self.compound()
        return Response(AvailabilitySerializer.from_availability(services.payout_availability(compound)))


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutDetailApi(_CompoundMixin, APIView):
    @extend_schema(
        summary="One request with its evidence and signatures",
        responses={200: PayoutDetailSerializer, **READ_ERRORS},
    )
    def get(self, request, slug, pk):
        return self.detail(self.payout())

    @extend_schema(
        summary="Change a draft (the applicant)",
        request=PayoutWriteSerializer(partial=True),
        responses={200: PayoutDetailSerializer, **ERRORS},
    )
    def patch(self, request, slug, pk):
        payout = self.payout()
        serializer = PayoutWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.payout_update(payout=payout, actor=request.user, **serializer.service_fields())
        return self.detail(payout)


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutAttachmentsApi(_CompoundMixin, APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="The request's evidence", responses={200: AttachmentSerializer(many=True), **READ_ERRORS}
    )
    def get(self, request, slug, pk):
        payout = self.payout()
        return Response(
            AttachmentSerializer(
                payout.attachments.all(), many=True, context={"compound": payout.compound}
            ).data
        )

    @extend_schema(
        summary="Attach an invoice, quote, contract or minutes to a draft (multipart)",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        payout = self.payout()
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.payout_attachment_add(
            payout=payout,
            actor=request.user,
            upload=serializer.validated_data["file"],
            kind=serializer.validated_data["kind"],
        )
        return Response(
            AttachmentSerializer(attachment, context={"compound": payout.compound}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(
    tags=TAGS,
    parameters=[SLUG, OpenApiParameter("attachment_pk", OpenApiTypes.INT, OpenApiParameter.PATH)],
)
class PayoutAttachmentDownloadApi(_CompoundMixin, APIView):
    @extend_schema(
        summary="Download one evidence file",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **READ_ERRORS},
    )
    def get(self, request, slug, pk, attachment_pk):
        payout = self.payout()
        try:
            attachment = selectors.payout_attachment_get(payout=payout, pk=attachment_pk)
            handle = attachment.file.open("rb")
        except (Http404, FileNotFoundError):
            raise NotFoundError("Not found.") from None
        response = file_response(
            handle, filename=attachment.original_name, content_type=attachment.content_type
        )
        return private(response, sandbox=True)


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutSubmitApi(_CompoundMixin, APIView):
    @extend_schema(
        summary="Submit a draft: checks evidence, resolution and funds; places the hold",
        request=None,
        responses={200: PayoutDetailSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        return self.detail(services.payout_submit(payout=self.payout(), actor=request.user))


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutWithdrawApi(_CompoundMixin, APIView):
    @extend_schema(
        summary="Withdraw before the first signature (the applicant); releases the hold",
        request=WithdrawSerializer,
        responses={200: PayoutDetailSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        payout = self.payout()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payout = services.payout_withdraw(
            payout=payout, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return self.detail(payout)


def _second_factor(request, code: str):
    if code:
        return second_factor_from_code(request.user, code)
    return second_factor_from_session(request._request)


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutApproveApi(_CompoundMixin, APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        summary="Approve the step the request waits for (committee review or community recheck)",
        request=SignSerializer,
        responses={200: PayoutDetailSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        payout = self.payout()
        serializer = SignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payout = services.payout_approve(
            payout=payout,
            actor=request.user,
            second_factor=_second_factor(request, data["totp"]),
            comment=data["comment"],
        )
        return self.detail(payout)


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutRejectApi(_CompoundMixin, APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        summary="Reject, with a reason (any signer of the current step); releases the hold",
        request=RejectSerializer,
        responses={200: PayoutDetailSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        payout = self.payout()
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payout = services.payout_reject(
            payout=payout,
            actor=request.user,
            second_factor=_second_factor(request, data["totp"]),
            reason=data["reason"] or data["comment"],
        )
        return self.detail(payout)


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutPayApi(_CompoundMixin, APIView):
    @extend_schema(
        summary="Record the bank transfer of a rechecked request (behind step-up, like signing); "
        "posts the ledger entry",
        request=PaySerializer,
        responses={200: PayoutDetailSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        payout = self.payout()
        serializer = PaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        second_factor = _second_factor(request, data.pop("totp"))
        payout = services.payout_pay(payout=payout, actor=request.user, second_factor=second_factor, **data)
        return self.detail(payout)


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutSignaturesApi(_CompoundMixin, APIView):
    @extend_schema(
        summary="The approval trail: every signature with its second-factor check",
        responses={200: SignatureSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, slug, pk):
        return Response(SignatureSerializer(self.payout().signatures.all(), many=True).data)


@extend_schema(tags=TAGS, parameters=[SLUG])
class PayoutOrderApi(_CompoundMixin, APIView):
    @extend_schema(
        summary="The joint payment order (PDF) of a paid request",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **READ_ERRORS},
    )
    def get(self, request, slug, pk):
        payout = self.payout()
        if payout.status != PayoutStatus.PAID:
            raise NotFoundError("Not found.")
        return payout_order_response(payout)
