"""“Where my fee went” (我的物业费去哪了): a resident's payments spread over expenses."""

from django.urls import path

from escrow import myfee_views

urlpatterns: list = [
    path("c/<slug:slug>/my-fee/", myfee_views.my_fee_page, name="my-fee"),
]
