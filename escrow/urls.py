"""Escrow pages. Billing and payments-in pages live in escrow/billing_urls.py, payouts
in escrow/payout_urls.py."""

from django.urls import include, path

app_name = "escrow"
urlpatterns: list = [
    path("", include("escrow.billing_urls")),
    path("", include("escrow.payout_urls")),
]
