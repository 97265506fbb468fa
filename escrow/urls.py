"""Escrow pages (namespace ``escrow``), one URL module per part of the scheme."""

from django.urls import include, path

app_name = "escrow"
urlpatterns: list = [
    path("", include("escrow.transparency.urls")),
    path("", include("escrow.fees.urls")),
    path("", include("escrow.payouts.urls")),
]
