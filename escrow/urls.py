"""Escrow pages (namespace ``escrow``). Billing and payments-in pages live in
escrow/billing_urls.py, payouts in escrow/payout_urls.py."""

from django.urls import include, path

from escrow import views

app_name = "escrow"
urlpatterns: list = [
    path("c/<slug:slug>/ledger/", views.ledger_page, name="ledger"),
    path("", include("escrow.billing_urls")),
    path("", include("escrow.payout_urls")),
    path("", include("escrow.disclosure_urls")),
    path("", include("escrow.myfee_urls")),
]
