"""Escrow pages. Billing and payments-in pages live in escrow/billing_urls.py."""

from django.urls import include, path

app_name = "escrow"
urlpatterns: list = [
    path("", include("escrow.billing_urls")),
]
