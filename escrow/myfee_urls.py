"""“Where my fee went” (我的物业费去哪了): a resident's payments spread over expenses."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
