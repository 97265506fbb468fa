"""Pages for fee bills, payments in, statement imports and suspense (namespace ``escrow``)."""

from django.urls import path

from escrow.fees import views

P = "c/<slug:slug>/escrow/"

urlpatterns: list = [
    path(f"{P}payments/new/", views.payment_record_page, name="payment-record"),
    path(f"{P}statements/", views.statement_import_page, name="statement-import"),
    path(f"{P}statements/mappings/new/", views.statement_mapping_page, name="statement-mapping-new"),
    path(
        f"{P}statements/mappings/<int:mapping_id>/",
        views.statement_mapping_page,
        name="statement-mapping-edit",
    ),
    path(f"{P}reconciliation/", views.reconciliation_page, name="reconciliation"),
    path(f"{P}bank-lines/<int:line_id>/explain/", views.outflow_explain_page, name="outflow-explain"),
    path(f"{P}suspense/", views.suspense_page, name="suspense"),
    path(f"{P}suspense/<int:payment_id>/assign/", views.suspense_assign_page, name="suspense-assign"),
    path(f"{P}arrears/", views.arrears_page, name="arrears"),
    path(f"{P}collection/", views.collection_page, name="collection"),
    path(f"{P}units/<int:unit_id>/statement/", views.unit_statement_page, name="unit-statement"),
]
