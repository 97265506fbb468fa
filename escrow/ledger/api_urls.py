"""Escrow API routes, mounted under /api/v1/ (namespace ``api``). Billing routes in
escrow/billing_api_urls.py, payouts in escrow/payout_api_urls.py."""

from django.urls import include, path

from escrow import api

urlpatterns: list = [
    path(
        "compounds/<slug:slug>/ledger/chain-head/",
        api.LedgerChainHeadApi.as_view(),
        name="ledger-chain-head",
    ),
    path("compounds/<slug:slug>/ledger/entries/", api.LedgerEntryListApi.as_view(), name="ledger-entry-list"),
    path("compounds/<slug:slug>/ledger/balances/", api.LedgerBalancesApi.as_view(), name="ledger-balances"),
    path("", include("escrow.billing_api_urls")),
    path("", include("escrow.payout_api_urls")),
]
