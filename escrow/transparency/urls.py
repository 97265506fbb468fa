"""Disclosure pages: public list and detail, file downloads, officials' actions.
Included by escrow/urls.py (namespace "escrow")."""

from django.urls import path

from escrow import disclosure_views as views

_ONE = "c/<slug:slug>/disclosures/<int:year>-Q<int:quarter>/v<int:version>/"

urlpatterns: list = [
    path("c/<slug:slug>/disclosures/", views.disclosure_list, name="disclosure-list"),
    path("c/<slug:slug>/disclosures/request/", views.disclosure_request, name="disclosure-request"),
    path(_ONE, views.disclosure_detail, name="disclosure-detail"),
    path(_ONE + "publish/", views.disclosure_publish, name="disclosure-publish"),
    path(_ONE + "correct/", views.disclosure_correct, name="disclosure-correct"),
    path(_ONE + "reopen/", views.books_reopen, name="disclosure-reopen"),
    path(_ONE + "<slug:name>.<slug:fmt>", views.disclosure_file, name="disclosure-file"),
]
