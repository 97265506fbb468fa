"""Escrow API routes, mounted under /api/v1/. Billing routes in escrow/billing_api_urls.py,
payouts in escrow/payout_api_urls.py."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("escrow.billing_api_urls")),
    path("", include("escrow.payout_api_urls")),
]
