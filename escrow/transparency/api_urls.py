"""Disclosure API routes, included by escrow/api_urls.py under /api/v1/ (namespace "api")."""

from django.urls import path

from escrow.transparency import api

prefix = "compounds/<slug:slug>/disclosures/"
one = prefix + "<int:year>-Q<int:quarter>/v<int:version>/"

urlpatterns = [
    path(prefix, api.DisclosureListApi.as_view(), name="disclosure-list"),
    path(one, api.DisclosureDetailApi.as_view(), name="disclosure-detail"),
    path(f"{one}files/", api.DisclosureFilesApi.as_view(), name="disclosure-files"),
    path(f"{one}publish/", api.DisclosurePublishApi.as_view(), name="disclosure-publish"),
    path(f"{one}correct/", api.DisclosureCorrectApi.as_view(), name="disclosure-correct"),
    path(f"{one}reopen/", api.DisclosureReopenApi.as_view(), name="disclosure-reopen"),
]
