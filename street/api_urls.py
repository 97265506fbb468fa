from django.urls import path

from street import api

s = "street-offices/<slug:slug>/"
urlpatterns = [
    path(f"{s}dashboard/", api.DashboardApi.as_view(), name="street-dashboard"),
    path(f"{s}flags/", api.FlagListApi.as_view(), name="street-flags"),
    path(f"{s}flags/<int:pk>/decide/", api.FlagDecideApi.as_view(), name="street-flag-decide"),
]
