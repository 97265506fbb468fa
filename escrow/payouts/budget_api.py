"""The yearly necessary-cost budget in the API (/api/v1/compounds/<slug>/budgets/…):
filed by the property company, signed like a payout (committee review, community
recheck, behind step-up), and the year's budget against the ledger's actual spending
per month and category. Thin: ``escrow.payouts.services`` and ``selectors``."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import YuanField
from common.choices import choice_label
from common.errors import NotFoundError
from communities.models import Role
from communities.permissions import Capability, compound_for_api
from escrow.models import CATEGORY_EXPENSE_ACCOUNTS, PAYEE_NAME_MAX_CHARS, Category, PayoutCategory
from escrow.payouts import selectors, services
from escrow.payouts.api import ERRORS, READ_ERRORS, SLUG, _second_factor

TAGS = ["budgets"]
PK = OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH)
NC_ACCOUNTS = [str(c) for c in CATEGORY_EXPENSE_ACCOUNTS[PayoutCategory.NECESSARY_COST]]


class BudgetLineInSerializer(serializers.Serializer):
    expense_account = serializers.ChoiceField(choices=NC_ACCOUNTS)
    payee_name = serializers.CharField(max_length=PAYEE_NAME_MAX_CHARS)
    payee_account = serializers.CharField(max_length=40)
    monthly_amount = YuanField()


class BudgetCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    lines = BudgetLineInSerializer(many=True, allow_empty=False)
    submit = serializers.BooleanField(default=True, help_text="Submit for signatures at once.")


class BudgetLineSerializer(serializers.Serializer):
    expense_account = serializers.CharField()
    category = serializers.CharField()
    payee_name = serializers.CharField()
    payee_account = serializers.CharField()
    monthly_amount_fen = serializers.IntegerField()


class BudgetSignatureSerializer(serializers.Serializer):
    signer = serializers.CharField()
    role = serializers.CharField()
    step = serializers.CharField()
    decision = serializers.CharField()
    signed_at = serializers.DateTimeField()


class BudgetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    monthly_total_fen = serializers.IntegerField()
    content_hash = serializers.CharField()
    rejection_reason = serializers.CharField()
    lines = BudgetLineSerializer(many=True)
    signatures = BudgetSignatureSerializer(many=True)


class BudgetSignSerializer(serializers.Serializer):
    totp = serializers.CharField(required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class BudgetRejectSerializer(BudgetSignSerializer):
    reason = serializers.CharField()


class VsActualRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The month (YYYY-MM) or the category code.")
    label = serializers.CharField()
    budget_fen = serializers.IntegerField()
    actual_fen = serializers.IntegerField()
    difference_fen = serializers.IntegerField()


class VsActualSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    approved_budget = serializers.IntegerField(allow_null=True)
    budget_total_fen = serializers.IntegerField()
    actual_total_fen = serializers.IntegerField()
    months = VsActualRowSerializer(many=True)
    categories = VsActualRowSerializer(many=True)


def budget_body(budget) -> dict:
    lines = list(budget.lines.all())
    return BudgetSerializer(
        {
            "id": budget.pk,
            "year": budget.year,
            "status": budget.status,
            "status_label": str(budget.get_status_display()),
            "monthly_total_fen": sum(line.monthly_amount_fen for line in lines),
            "content_hash": budget.content_hash,
            "rejection_reason": budget.rejection_reason,
            "lines": [
                {
                    "expense_account": line.expense_account,
                    "category": choice_label(Category, line.expense_account),
                    "payee_name": line.payee_name,
                    "payee_account": line.payee_account_masked,
                    "monthly_amount_fen": line.monthly_amount_fen,
                }
                for line in lines
            ],
            "signatures": [
                {
                    "signer": str(s.signer),
                    "role": choice_label(Role, s.role),
                    "step": s.get_step_display(),
                    "decision": s.get_decision_display(),
                    "signed_at": s.signed_at,
                }
                for s in budget.signatures.all()
            ],
        }
    ).data


def vs_actual_body(report) -> dict:
    def rows(items, label):
        return [
            {
                "key": r.key,
                "label": label(r.key),
                "budget_fen": r.budget_fen,
                "actual_fen": r.actual_fen,
                "difference_fen": r.difference_fen,
            }
            for r in items
        ]

    return VsActualSerializer(
        {
            "year": report.year,
            "approved_budget": report.budget.pk if report.budget else None,
            "budget_total_fen": report.budget_total,
            "actual_total_fen": report.actual_total,
            "months": rows(report.months, lambda key: key),
            "categories": rows(report.categories, lambda key: choice_label(Category, key)),
        }
    ).data


class _Budgets:
    parser_classes = [JSONParser]

    def compound(self, act=None):
        return compound_for_api(
            self.request.user, self.kwargs["slug"], see=Capability.VIEW_FULL_LEDGER, act=act
        )

    def budget(self):
        compound, _standing = self.compound()
        try:
            return selectors.budget_get(compound=compound, pk=self.kwargs["pk"])
        except Http404:
            raise NotFoundError("Not found.") from None

    def fresh(self, budget):
        return budget_body(selectors.budget_get(compound=budget.compound, pk=budget.pk))


@extend_schema(tags=TAGS, parameters=[SLUG])
class BudgetListApi(_Budgets, APIView):
    @extend_schema(
        operation_id="budget_list",
        summary="The compound's yearly necessary-cost budgets",
        responses={200: BudgetSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, slug):
        compound, _standing = self.compound()
        return Response([budget_body(b) for b in selectors.budgets_of(compound)])

    @extend_schema(
        operation_id="budget_create",
        summary="File the year's budget (property staff); signed like a payout",
        request=BudgetCreateSerializer,
        responses={201: BudgetSerializer, **ERRORS},
    )
    def post(self, request, slug):
        compound, _standing = self.compound()
        serializer = BudgetCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lines = [
            {
                "expense_account": line["expense_account"],
                "payee_name": line["payee_name"],
                "payee_account": line["payee_account"],
                "monthly_amount_fen": line["monthly_amount"],
            }
            for line in data["lines"]
        ]
        budget = services.budget_create(compound=compound, year=data["year"], lines=lines, actor=request.user)
        if data["submit"]:
            budget = services.budget_submit(budget=budget, actor=request.user)
        return Response(self.fresh(budget), status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS, parameters=[SLUG, PK])
class BudgetDetailApi(_Budgets, APIView):
    @extend_schema(
        operation_id="budget_retrieve",
        summary="One budget with its lines and signatures",
        responses={200: BudgetSerializer, **READ_ERRORS},
    )
    def get(self, request, slug, pk):
        return Response(budget_body(self.budget()))


@extend_schema(tags=TAGS, parameters=[SLUG, PK])
class BudgetSubmitApi(_Budgets, APIView):
    @extend_schema(
        operation_id="budget_submit",
        summary="Submit a draft budget (the applicant)",
        request=None,
        responses={200: BudgetSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        return Response(self.fresh(services.budget_submit(budget=self.budget(), actor=request.user)))


@extend_schema(tags=TAGS, parameters=[SLUG, PK])
class BudgetApproveApi(_Budgets, APIView):
    @extend_schema(
        operation_id="budget_approve",
        summary="Approve the step the budget waits for (behind step-up, like a payout)",
        request=BudgetSignSerializer,
        responses={200: BudgetSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        budget = self.budget()
        serializer = BudgetSignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        budget = services.budget_approve(
            budget=budget,
            actor=request.user,
            second_factor=_second_factor(request, data["totp"]),
            comment=data["comment"],
        )
        return Response(self.fresh(budget))


@extend_schema(tags=TAGS, parameters=[SLUG, PK])
class BudgetRejectApi(_Budgets, APIView):
    @extend_schema(
        operation_id="budget_reject",
        summary="Reject the budget with a reason (behind step-up)",
        request=BudgetRejectSerializer,
        responses={200: BudgetSerializer, **ERRORS},
    )
    def post(self, request, slug, pk):
        budget = self.budget()
        serializer = BudgetRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        budget = services.budget_reject(
            budget=budget,
            actor=request.user,
            second_factor=_second_factor(request, data["totp"]),
            reason=data["reason"],
        )
        return Response(self.fresh(budget))


@extend_schema(
    tags=TAGS, parameters=[SLUG, OpenApiParameter("year", OpenApiTypes.INT, OpenApiParameter.PATH)]
)
class BudgetVsActualApi(_Budgets, APIView):
    @extend_schema(
        operation_id="budget_vs_actual",
        summary="The year's approved budget against the ledger's actual necessary costs, per month and category",
        responses={200: VsActualSerializer, **READ_ERRORS},
    )
    def get(self, request, slug, year):
        compound, _standing = self.compound()
        if not 2000 <= year <= 2100:
            raise NotFoundError("Not found.")
        return Response(vs_actual_body(selectors.budget_vs_actual(compound, year)))
