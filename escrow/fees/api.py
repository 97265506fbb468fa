"""REST API for money coming in: payments, bank statement mappings and imports,
suspense, arrears, collection rates, a unit's statement, and the payment webhook.

Thin views over ``escrow.fees.services.{payments,imports,webhooks}`` and
``escrow.fees.selectors``; the pages call the same functions. Every failure
leaves as ``{"message", "extra"}``.

Who gets which answer: anonymous → 403 (session auth, no challenge); a compound the
user cannot enter, or an id that is not in it → 404, the same as a missing one; a
member whose roles lack the capability → 403 naming it in ``extra.capability``.
Yuan travel as strings ("1234.50"); fen as integers in fields named ``*_fen``.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import DefaultPagination, YuanField, error_responses
from common.errors import ApplicationError, NotFoundError
from common.money import fen_to_yuan
from common.request_context import client_ip_from_request
from communities.models import Unit
from communities.permissions import Capability, compound_for_api
from escrow.fees import selectors
from escrow.fees.periods import month_range
from escrow.fees.services import imports, payments, webhooks
from escrow.models import BankStatementMapping, Payment, PaymentMethod

# --------------------------------------------------------------------------- plumbing


def _not_found() -> NotFoundError:
    return NotFoundError(_("Not found."))


def _in_compound(queryset, compound, pk):
    if not isinstance(pk, int) or not 0 < pk < 2**63:
        raise _not_found()
    obj = queryset.filter(compound=compound, pk=pk).first()
    if obj is None:
        raise _not_found()
    return obj


def _errors(*codes: int) -> dict:
    text = {
        400: "Invalid input; extra.fields names each field (or extra.rows each row) with its messages.",
        401: "Bad or missing signature.",
        403: "Not logged in, or the roles lack the capability named in extra.capability.",
        404: "No such compound or object — or one this user may not see (indistinguishable).",
        409: "Conflicts with what was recorded before (a receipt number or transaction id reused).",
    }
    return error_responses(text, *codes)


SLUG = OpenApiParameter(
    "slug", str, OpenApiParameter.PATH, description="The compound's slug, e.g. shangcheng"
)
TAG = ["payments in"]
PAGE = [
    OpenApiParameter("page", int, description="A page number within the paginated result set."),
    OpenApiParameter("page_size", int, description="Number of results to return per page (at most 200)."),
]


def _page_of(serializer_class):
    """The schema of a page of ``serializer_class`` (DefaultPagination's shape)."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return inline_serializer(
        f"Paginated{name}List",
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


def _paginate(view, request, items, serializer_class):
    paginator = DefaultPagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


# --------------------------------------------------------------------------- serializers


class PaymentSerializer(serializers.ModelSerializer):
    unit_reference = serializers.SerializerMethodField()
    amount = serializers.SerializerMethodField()
    entry_sequence = serializers.IntegerField(source="entry.sequence")
    unidentified = serializers.BooleanField(source="is_unidentified")

    class Meta:
        model = Payment
        fields = [
            "id",
            "unit",
            "unit_reference",
            "amount_fen",
            "amount",
            "method",
            "source",
            "received_on",
            "receipt_no",
            "channel",
            "reference",
            "unidentified",
            "entry_sequence",
            "created_at",
        ]

    def get_unit_reference(self, obj) -> str | None:
        return obj.unit.reference if obj.unit_id else None

    def get_amount(self, obj) -> str:
        return str(fen_to_yuan(obj.amount_fen))


class SuspenseSerializer(PaymentSerializer):
    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "payer_name", "statement_memo"]


class PaymentCreateSerializer(serializers.Serializer):
    receipt_no = serializers.CharField(max_length=40)
    unit = serializers.IntegerField(min_value=1, help_text="The unit's id in this compound.")
    amount = YuanField(help_text='Yuan as text, at most two decimals: "1234.50" or "1,234.50".')
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    received_on = serializers.DateField()


class MappingSerializer(serializers.ModelSerializer):
    layout = serializers.JSONField(help_text="banking.Mapping fields (see docs/bank-statements.md).")

    class Meta:
        model = BankStatementMapping
        fields = ["id", "bank_name", "layout"]


class MappingCreateSerializer(serializers.Serializer):
    bank_name = serializers.CharField(max_length=50)
    layout = serializers.JSONField(
        help_text=(
            "banking.Mapping fields: date_column, direction (two_columns | signed | column), income_column, "
            "expense_column, amount_column, direction_column, income_values, expense_values, neutral_values, "
            "date_format, time_column, balance_column, serial_column, counterparty_column, "
            "counterparty_account_column, memo_columns, status_column, void_statuses, footer_required, encoding."
        )
    )


class StatementImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    bank_name = serializers.CharField()
    file_name = serializers.CharField()
    sha256 = serializers.CharField()
    encoding = serializers.CharField()
    rows = serializers.IntegerField()
    posted = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Rows whose bank reference was already posted.")
    unidentified = serializers.IntegerField(help_text="Rows matched to no unit: now in suspense.")
    ignored = serializers.IntegerField(help_text="Lines that moved no money (wallets' neutral, closed).")
    posted_fen = serializers.IntegerField()
    layout = serializers.CharField()
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    closing_balance_fen = serializers.IntegerField(allow_null=True)
    summary = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="outcome → [lines, fen]: fee, suspense, interest, charge, refund_in, refund, payout, transfer, "
        "unexplained, not_posted, skipped.",
    )
    created_at = serializers.DateTimeField()


class StatementUploadSerializer(serializers.Serializer):
    mapping = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="A saved custom layout; omit to recognise the bank.",
    )
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=False, help_text="Preview only: post nothing.")


class StatementPreviewSerializer(serializers.Serializer):
    layout = serializers.CharField()
    layout_name = serializers.CharField()
    encoding = serializers.CharField()
    account_number = serializers.CharField()
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    opening_balance_fen = serializers.IntegerField(allow_null=True)
    closing_balance_fen = serializers.IntegerField(allow_null=True)
    checks = serializers.ListField(child=serializers.CharField())
    lines = serializers.IntegerField()
    new = serializers.IntegerField()
    skipped = serializers.IntegerField()
    summary = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
    flagged = serializers.ListField(child=serializers.DictField())


class AssignSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1)


class ArrearsSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_reference = serializers.CharField(source="unit.reference")
    building = serializers.CharField(source="unit.building.name")
    billed_fen = serializers.IntegerField()
    paid_fen = serializers.IntegerField()
    arrears_fen = serializers.IntegerField()
    oldest_unpaid = serializers.DateField()
    months_unpaid = serializers.IntegerField()


class RateSerializer(serializers.Serializer):
    period = serializers.DateField()
    billed_fen = serializers.IntegerField()
    received_fen = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True, help_text="Percent.")


class BuildingRatesSerializer(serializers.Serializer):
    building = serializers.CharField()
    months = RateSerializer(many=True)


class CollectionSerializer(serializers.Serializer):
    compound = RateSerializer(many=True)
    total = RateSerializer()
    buildings = BuildingRatesSerializer(many=True)


class StatementLineSerializer(serializers.Serializer):
    day = serializers.DateField()
    kind = serializers.ChoiceField(choices=["bill", "payment"])
    description = serializers.CharField()
    billed_fen = serializers.IntegerField()
    paid_fen = serializers.IntegerField()
    balance_fen = serializers.IntegerField(help_text="Owed after this line; negative when paid ahead.")


class WebhookNotificationSerializer(serializers.Serializer):
    transaction_id = serializers.CharField(max_length=64)
    compound = serializers.SlugField()
    unit = serializers.CharField(help_text="The unit's payment reference, e.g. SHANGCHENG-1栋-1-101.")
    amount_fen = serializers.IntegerField(min_value=1)
    paid_at = serializers.DateTimeField()


class WebhookResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    payment_id = serializers.IntegerField()
    transaction_id = serializers.CharField()
    compound = serializers.CharField()
    amount_fen = serializers.IntegerField()
    received_on = serializers.DateField()
    entry_sequence = serializers.IntegerField()
    entry_hash = serializers.CharField()


def _unit_in(compound, unit_id: int, field: str = "unit") -> Unit:
    unit = Unit.objects.filter(compound=compound, pk=unit_id).select_related("building", "compound").first()
    if unit is None:
        raise payments.field_error(field, _("No such unit in this compound."))
    return unit


# --------------------------------------------------------------------------- payments


class PaymentListCreateApi(APIView):
    @extend_schema(
        operation_id="escrow_payment_list",
        tags=TAG,
        parameters=[SLUG, *PAGE],
        responses={200: _page_of(PaymentSerializer), **_errors(403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, act=Capability.VIEW_ARREARS)
        items = (
            Payment.objects.filter(compound=compound)
            .select_related("unit__building", "unit__compound", "entry")
            .order_by("-received_on", "-pk")
        )
        return _paginate(self, request, items, PaymentSerializer)

    @extend_schema(
        operation_id="escrow_payment_record",
        tags=TAG,
        parameters=[SLUG],
        request=PaymentCreateSerializer,
        responses={
            201: PaymentSerializer,
            200: OpenApiResponse(
                PaymentSerializer, description="This receipt was already recorded, as given."
            ),
            **_errors(400, 403, 404, 409),
        },
    )
    def post(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, act=Capability.RECORD_PAYMENT_RECEIVED)
        serializer = PaymentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = payments.payment_record(
            compound=compound,
            unit=_unit_in(compound, data["unit"]),
            amount_fen=data["amount"],
            method=data["method"],
            received_on=data["received_on"],
            receipt_no=data["receipt_no"],
            actor=request.user,
        )
        return Response(
            PaymentSerializer(result.payment).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


# --------------------------------------------------------------------------- statement imports


class MappingListCreateApi(APIView):
    @extend_schema(
        operation_id="escrow_statement_mapping_list",
        tags=TAG,
        parameters=[SLUG, *PAGE],
        responses={200: _page_of(MappingSerializer), **_errors(403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, act=Capability.RECORD_PAYMENT_RECEIVED)
        return _paginate(self, request, selectors.statement_mappings(compound), MappingSerializer)

    @extend_schema(
        operation_id="escrow_statement_mapping_create",
        tags=TAG,
        parameters=[SLUG],
        request=MappingCreateSerializer,
        responses={201: MappingSerializer, **_errors(400, 403, 404)},
    )
    def post(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, act=Capability.RECORD_PAYMENT_RECEIVED)
        serializer = MappingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mapping = imports.statement_mapping_save(
            compound=compound,
            actor=request.user,
            bank_name=serializer.validated_data["bank_name"],
            layout=serializer.validated_data["layout"],
        )
        return Response(MappingSerializer(mapping).data, status=status.HTTP_201_CREATED)


class StatementImportListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="escrow_statement_import_list",
        tags=TAG,
        parameters=[SLUG, *PAGE],
        responses={200: _page_of(StatementImportSerializer), **_errors(403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, act=Capability.RECORD_PAYMENT_RECEIVED)
        return _paginate(
            self, request, list(selectors.statement_imports(compound, limit=1000)), StatementImportSerializer
        )

    @extend_schema(
        operation_id="escrow_statement_import",
        tags=TAG,
        parameters=[SLUG],
        request={"multipart/form-data": StatementUploadSerializer},
        responses={
            201: StatementImportSerializer,
            200: StatementPreviewSerializer,
            **_errors(400, 403, 404),
        },
        description=(
            "Upload a bank or wallet statement as the bank gives it (ICBC, CMB, CCB, ABC, BOCOM, BOC, "
            "Alipay, WeChat Pay, corporate; CSV, XLS, XLSX). Lines already imported are skipped; the rest "
            "are posted all or none: on failure extra.rows lists each problem with its line and column. "
            "With dry_run, answers 200 with the preview and posts nothing."
        ),
    )
    def post(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, act=Capability.RECORD_PAYMENT_RECEIVED)
        serializer = StatementUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mapping = None
        if serializer.validated_data.get("mapping"):
            mapping = BankStatementMapping.objects.filter(
                compound=compound, pk=serializer.validated_data["mapping"]
            ).first()
            if mapping is None:
                raise payments.field_error("mapping", _("No such bank mapping in this compound."))
        upload = serializer.validated_data["file"]
        if serializer.validated_data.get("dry_run"):
            plan = imports.statement_preview(compound=compound, data=upload.read(), mapping=mapping)
            return Response(plan.as_dict(), status=status.HTTP_200_OK)
        record = imports.statement_import(
            compound=compound, mapping=mapping, file_name=upload.name, data=upload.read(), actor=request.user
        )
        return Response(StatementImportSerializer(record).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- suspense


class SuspenseListApi(APIView):
    @extend_schema(
        operation_id="escrow_suspense_list",
        tags=TAG,
        parameters=[SLUG, *PAGE],
        responses={200: _page_of(SuspenseSerializer), **_errors(403, 404)},
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, act=Capability.MANAGE_SUSPENSE)
        return _paginate(
            self, request, selectors.suspense_payments(compound).select_related("entry"), SuspenseSerializer
        )


class SuspenseAssignApi(APIView):
    @extend_schema(
        operation_id="escrow_suspense_assign",
        tags=TAG,
        parameters=[SLUG, OpenApiParameter("payment_id", int, OpenApiParameter.PATH)],
        request=AssignSerializer,
        responses={
            201: PaymentSerializer,
            200: OpenApiResponse(PaymentSerializer, description="Already assigned to this unit."),
            **_errors(400, 403, 404, 409),
        },
    )
    def post(self, request, slug, payment_id):
        compound, _standing = compound_for_api(request.user, slug, act=Capability.MANAGE_SUSPENSE)
        payment = _in_compound(Payment.objects.all(), compound, payment_id)
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = payments.suspense_assign(
            payment=payment, unit=_unit_in(compound, serializer.validated_data["unit"]), actor=request.user
        )
        return Response(
            PaymentSerializer(result.payment).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


# --------------------------------------------------------------------------- arrears, rates, statement


class ArrearsListApi(APIView):
    @extend_schema(
        operation_id="escrow_arrears_list",
        tags=TAG,
        parameters=[SLUG, *PAGE],
        responses={200: _page_of(ArrearsSerializer), **_errors(403, 404)},
        description="Units that owe fees, the longest-unpaid first. Never public.",
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, act=Capability.VIEW_ARREARS)
        return _paginate(self, request, selectors.arrears_list(compound), ArrearsSerializer)


class CollectionRateApi(APIView):
    @extend_schema(
        operation_id="escrow_collection_rates",
        tags=TAG,
        parameters=[
            SLUG,
            OpenApiParameter(
                "from", str, description="First month, YYYY-MM (default: 11 months before `to`)."
            ),
            OpenApiParameter("to", str, description="Last month, YYYY-MM (default: this month)."),
        ],
        responses={200: CollectionSerializer, **_errors(400, 403, 404)},
        description="收缴率 per month: fen received in the month ÷ fen billed for the month (cash basis).",
    )
    def get(self, request, slug):
        compound, _standing = compound_for_api(request.user, slug, act=Capability.VIEW_ARREARS)
        first, last = month_range(request.query_params.get("from"), request.query_params.get("to"))
        table = selectors.collection_rates(compound, first=first, last=last)
        return Response(
            CollectionSerializer(
                {
                    "compound": table.compound,
                    "total": table.total,
                    "buildings": [{"building": b.name, "months": rows} for b, rows in table.buildings],
                }
            ).data
        )


class UnitStatementApi(APIView):
    @extend_schema(
        operation_id="escrow_unit_statement",
        tags=TAG,
        parameters=[SLUG, OpenApiParameter("unit_id", int, OpenApiParameter.PATH)],
        responses={
            200: inline_serializer(
                "UnitStatement",
                {
                    "unit": serializers.IntegerField(),
                    "unit_reference": serializers.CharField(),
                    "arrears_fen": serializers.IntegerField(),
                    "lines": StatementLineSerializer(many=True),
                },
            ),
            **_errors(403, 404),
        },
        description="A unit's bills and payments in date order with the running balance. "
        "For roles with VIEW_ARREARS and for the unit's own owners; any other member gets 404, "
        "as for a missing unit (403: not logged in).",
    )
    def get(self, request, slug, unit_id):
        compound, standing = compound_for_api(request.user, slug)
        unit = _in_compound(Unit.objects.select_related("building", "compound"), compound, unit_id)
        if not selectors.unit_statement_visible(request.user, standing, unit):
            # Another owner's unit looks exactly like a missing one (as on the page).
            raise _not_found()
        lines = selectors.unit_statement(unit)
        return Response(
            {
                "unit": unit.pk,
                "unit_reference": unit.reference,
                "arrears_fen": lines[-1].balance_fen if lines else 0,
                "lines": StatementLineSerializer(lines, many=True).data,
            }
        )


# --------------------------------------------------------------------------- webhook


class PaymentWebhookApi(APIView):
    """Payment notifications from an aggregator: no session, no CSRF — the HMAC
    signature is the authentication (escrow/fees/services/webhooks.py)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="payment_webhook",
        tags=["webhooks"],
        parameters=[
            OpenApiParameter("provider", str, OpenApiParameter.PATH, enum=sorted(webhooks.PROVIDER_METHODS)),
            OpenApiParameter(webhooks.TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(
                webhooks.SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="sha256=<hex HMAC-SHA256 of '<timestamp>.' + raw body>",
            ),
        ],
        request=WebhookNotificationSerializer,
        responses={
            201: WebhookResultSerializer,
            200: OpenApiResponse(
                WebhookResultSerializer, description="A replay: the first result, nothing posted."
            ),
            **_errors(400, 401, 404, 409),
        },
    )
    def post(self, request, provider):
        body = request.body  # the exact bytes that were signed; never re-serialised
        try:
            webhooks.verify(
                provider=provider,
                timestamp=request.headers.get(webhooks.TIMESTAMP_HEADER),
                signature=request.headers.get(webhooks.SIGNATURE_HEADER),
                body=body,
            )
            try:
                payload = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise webhooks.WebhookRequestError(_("The body is not JSON.")) from None
            except RecursionError:  # signed, but nested deeper than any notification
                raise webhooks.WebhookRequestError(_("The body is nested too deeply.")) from None
            result = webhooks.webhook_payment_receive(
                provider=provider, notification=webhooks.parse_notification(payload)
            )
        except ApplicationError as exc:
            webhooks.refuse(
                provider,
                f"{exc.status_code} {exc.message}",
                remote=client_ip_from_request(request),
                body=body,
            )
            raise
        response = Response(
            webhooks.result_body(result.payment),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
        if not result.created:
            response["Idempotent-Replayed"] = "true"
        return response
