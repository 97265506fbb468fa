"""The ledger's API routes (chain head, entries, balances), included by escrow/api_urls.py."""

from django.urls import path

from escrow.ledger import api

urlpatterns: list = [
    path(
        "compounds/<slug:slug>/ledger/chain-head/",
        api.LedgerChainHeadApi.as_view(),
        name="ledger-chain-head",
    ),
    path("compounds/<slug:slug>/ledger/entries/", api.LedgerEntryListApi.as_view(), name="ledger-entry-list"),
    path("compounds/<slug:slug>/ledger/balances/", api.LedgerBalancesApi.as_view(), name="ledger-balances"),
]
