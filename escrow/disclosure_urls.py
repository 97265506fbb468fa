"""Disclosure pages: public list and detail, file downloads, officials' actions."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
