"""API routes for fee bills, payments in, imports, suspense and the payment webhook
(mounted under /api/v1/, namespace ``api``)."""

from django.urls import path

from escrow.fees import api

P = "compounds/<slug:slug>/escrow/"

urlpatterns: list = [
    path(f"{P}payments/", api.PaymentListCreateApi.as_view(), name="escrow-payment-list"),
    path(f"{P}statement-mappings/", api.MappingListCreateApi.as_view(), name="escrow-statement-mapping-list"),
    path(
        f"{P}statement-imports/",
        api.StatementImportListCreateApi.as_view(),
        name="escrow-statement-import-list",
    ),
    path(f"{P}suspense/", api.SuspenseListApi.as_view(), name="escrow-suspense-list"),
    path(
        f"{P}suspense/<int:payment_id>/assign/",
        api.SuspenseAssignApi.as_view(),
        name="escrow-suspense-assign",
    ),
    path(f"{P}arrears/", api.ArrearsListApi.as_view(), name="escrow-arrears-list"),
    path(f"{P}collection-rates/", api.CollectionRateApi.as_view(), name="escrow-collection-rates"),
    path(f"{P}units/<int:unit_id>/statement/", api.UnitStatementApi.as_view(), name="escrow-unit-statement"),
    path("webhooks/payments/<slug:provider>/", api.PaymentWebhookApi.as_view(), name="payment-webhook"),
]
