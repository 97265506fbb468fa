"""Escrow pages (ledger, payments, imports, payouts)."""

app_name = "escrow"
urlpatterns: list = []
