"""Escrow API routes, mounted under /api/v1/ (namespace ``api``), one URL module per part."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("escrow.ledger.api_urls")),
    path("", include("escrow.fees.api_urls")),
    path("", include("escrow.payouts.api_urls")),
    path("", include("escrow.transparency.api_urls")),
]
