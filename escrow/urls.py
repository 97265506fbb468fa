"""Escrow pages (namespace ``escrow``). Billing and payments-in pages live in
escrow/billing_urls.py, payouts in escrow/payout_urls.py."""

from django.urls import include, path

from escrow import ledger_export, ledger_trail_views, views

app_name = "escrow"
urlpatterns: list = [
    path("c/<slug:slug>/ledger/", views.ledger_page, name="ledger"),
    path("c/<slug:slug>/ledger/export.csv", ledger_export.ledger_export_csv, name="ledger-export-csv"),
    path("c/<slug:slug>/ledger/export.xlsx", ledger_export.ledger_export_xlsx, name="ledger-export-xlsx"),
    path("c/<slug:slug>/ledger/export.jsonl", ledger_export.ledger_export_jsonl, name="ledger-export-jsonl"),
    path(
        "c/<slug:slug>/ledger/payouts/<int:pk>/",
        ledger_trail_views.ledger_payout_trail,
        name="ledger-payout-trail",
    ),
    path("", include("escrow.billing_urls")),
    path("", include("escrow.payout_urls")),
    path("", include("escrow.disclosure_urls")),
    path("", include("escrow.myfee_urls")),
]
