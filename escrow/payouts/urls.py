"""Payout pages, included by escrow/urls.py (namespace "escrow")."""

from django.urls import path

from escrow.payouts import budget_views, views

urlpatterns = [
    path("c/<slug:slug>/payouts/budgets/", budget_views.budget_list, name="budget-list"),
    path("c/<slug:slug>/payouts/budgets/new/", budget_views.budget_new, name="budget-new"),
    path("c/<slug:slug>/payouts/budgets/<int:pk>/", budget_views.budget_detail, name="budget-detail"),
    path("c/<slug:slug>/payouts/", views.payout_list, name="payout-list"),
    path("c/<slug:slug>/payouts/inbox/", views.payout_inbox, name="payout-inbox"),
    path("c/<slug:slug>/payouts/mine/", views.payout_mine, name="payout-mine"),
    path("c/<slug:slug>/payouts/new/", views.payout_new, name="payout-new"),
    path("c/<slug:slug>/payouts/<int:pk>/", views.payout_detail, name="payout-detail"),
    path("c/<slug:slug>/payouts/<int:pk>/edit/", views.payout_edit, name="payout-edit"),
    path("c/<slug:slug>/payouts/<int:pk>/attach/", views.payout_attach, name="payout-attach"),
    path("c/<slug:slug>/payouts/<int:pk>/submit/", views.payout_submit, name="payout-submit"),
    path("c/<slug:slug>/payouts/<int:pk>/withdraw/", views.payout_withdraw, name="payout-withdraw"),
    path("c/<slug:slug>/payouts/<int:pk>/sign/", views.payout_sign, name="payout-sign"),
    path("c/<slug:slug>/payouts/<int:pk>/pay/", views.payout_pay, name="payout-pay"),
    path("c/<slug:slug>/payouts/<int:pk>/order.pdf", views.payout_order, name="payout-order"),
    path(
        "c/<slug:slug>/payouts/<int:pk>/files/<int:attachment_pk>/",
        views.payout_attachment,
        name="payout-attachment",
    ),
]
