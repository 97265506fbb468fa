"""Payout API routes, included by escrow/api_urls.py under /api/v1/ (namespace "api")."""

from django.urls import path

from escrow.payouts import api, budget_api

prefix = "compounds/<slug:slug>/payouts/"

urlpatterns = [
    path(prefix, api.PayoutListApi.as_view(), name="payout-list"),
    path(f"{prefix}inbox/", api.PayoutInboxApi.as_view(), name="payout-inbox"),
    path(f"{prefix}availability/", api.PayoutAvailabilityApi.as_view(), name="payout-availability"),
    path(f"{prefix}<int:pk>/", api.PayoutDetailApi.as_view(), name="payout-detail"),
    path(f"{prefix}<int:pk>/attachments/", api.PayoutAttachmentsApi.as_view(), name="payout-attachments"),
    path(
        f"{prefix}<int:pk>/attachments/<int:attachment_pk>/download/",
        api.PayoutAttachmentDownloadApi.as_view(),
        name="payout-attachment-download",
    ),
    path(f"{prefix}<int:pk>/submit/", api.PayoutSubmitApi.as_view(), name="payout-submit"),
    path(f"{prefix}<int:pk>/withdraw/", api.PayoutWithdrawApi.as_view(), name="payout-withdraw"),
    path(f"{prefix}<int:pk>/approve/", api.PayoutApproveApi.as_view(), name="payout-approve"),
    path(f"{prefix}<int:pk>/reject/", api.PayoutRejectApi.as_view(), name="payout-reject"),
    path(f"{prefix}<int:pk>/pay/", api.PayoutPayApi.as_view(), name="payout-pay"),
    path(f"{prefix}<int:pk>/signatures/", api.PayoutSignaturesApi.as_view(), name="payout-signatures"),
    path(f"{prefix}<int:pk>/order.pdf", api.PayoutOrderApi.as_view(), name="payout-order"),
    path("compounds/<slug:slug>/budgets/", budget_api.BudgetListApi.as_view(), name="budget-list"),
    path(
        "compounds/<slug:slug>/budgets/<int:pk>/", budget_api.BudgetDetailApi.as_view(), name="budget-detail"
    ),
    path(
        "compounds/<slug:slug>/budgets/<int:pk>/submit/",
        budget_api.BudgetSubmitApi.as_view(),
        name="budget-submit",
    ),
    path(
        "compounds/<slug:slug>/budgets/<int:pk>/approve/",
        budget_api.BudgetApproveApi.as_view(),
        name="budget-approve",
    ),
    path(
        "compounds/<slug:slug>/budgets/<int:pk>/reject/",
        budget_api.BudgetRejectApi.as_view(),
        name="budget-reject",
    ),
    path(
        "compounds/<slug:slug>/budgets/<int:year>/vs-actual/",
        budget_api.BudgetVsActualApi.as_view(),
        name="budget-vs-actual",
    ),
]
