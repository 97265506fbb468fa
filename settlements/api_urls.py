"""Settlement API routes, included in config/urls.py under /api/v1/ (namespace "api")."""

from django.urls import path

from settlements import api

prefix = "compounds/<slug:slug>/settlements/"

urlpatterns = [
    path(prefix, api.SettlementListApi.as_view(), name="settlement-list"),
    path(f"{prefix}<int:year>/", api.SettlementDetailApi.as_view(), name="settlement-detail"),
    path(f"{prefix}<int:year>/confirm/", api.SettlementConfirmApi.as_view(), name="settlement-confirm"),
]
