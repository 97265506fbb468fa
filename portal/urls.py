"""Pages that compose several apps. URL names are global (no namespace), as before."""

from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.compound_public, name="compound-public"),
]
