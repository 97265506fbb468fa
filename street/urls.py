from django.urls import path

from street import views

app_name = "street"
s = "street/<slug:slug>/"

urlpatterns = [
    path(s, views.dashboard_page, name="dashboard"),
    path(f"{s}charts/", views.charts_page, name="charts"),
    path(f"{s}flags/", views.flags_page, name="flags"),
    path(f"{s}flags/<int:pk>/decide/", views.flag_decide, name="flag-decide"),
    path(f"{s}refresh/", views.refresh, name="refresh"),
    path(f"{s}export.<slug:fmt>", views.export, name="export"),
]
