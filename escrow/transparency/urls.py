"""Transparency pages (namespace "escrow", included by escrow/urls.py): the resident's
ledger and its exports, a paid payout's public trail, disclosures (public list and
detail, file downloads, officials' actions) and "where my fee went"."""

from django.urls import path

from escrow.transparency import exports, ledger_views, myfee_views, trail_views, verifier_views, views

_ONE = "c/<slug:slug>/disclosures/<int:year>-Q<int:quarter>/v<int:version>/"

urlpatterns: list = [
    path("c/<slug:slug>/ledger/", ledger_views.ledger_page, name="ledger"),
    path("c/<slug:slug>/ledger/export.csv", exports.ledger_export_csv, name="ledger-export-csv"),
    path("c/<slug:slug>/ledger/export.xlsx", exports.ledger_export_xlsx, name="ledger-export-xlsx"),
    path("c/<slug:slug>/ledger/export.jsonl", exports.ledger_export_jsonl, name="ledger-export-jsonl"),
    path(
        "c/<slug:slug>/ledger/payouts/<int:pk>/", trail_views.ledger_payout_trail, name="ledger-payout-trail"
    ),
    path("c/<slug:slug>/disclosures/", views.disclosure_list, name="disclosure-list"),
    path("c/<slug:slug>/disclosures/request/", views.disclosure_request, name="disclosure-request"),
    path(_ONE, views.disclosure_detail, name="disclosure-detail"),
    path(_ONE + "publish/", views.disclosure_publish, name="disclosure-publish"),
    path(_ONE + "correct/", views.disclosure_correct, name="disclosure-correct"),
    path(_ONE + "reopen/", views.books_reopen, name="disclosure-reopen"),
    path(_ONE + "<slug:name>.<slug:fmt>", views.disclosure_file, name="disclosure-file"),
    path("c/<slug:slug>/my-fee/", myfee_views.my_fee_page, name="my-fee"),
    path("verify/", verifier_views.verifier_guide, name="verifier-guide"),
    path("verify/verify_disclosure.py", verifier_views.verifier_download, name="verifier-download"),
]
