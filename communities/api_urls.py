"""Communities API routes, mounted under /api/v1/ (namespace ``api``).

Everything private hangs under ``compounds/<slug>/`` so that the compound — the
tenant — is checked first, and ids of buildings, units and memberships are only
ever looked up inside it.
"""

from django.urls import path

from communities import api

urlpatterns = [
    path("compounds/", api.CompoundListApi.as_view(), name="compound-list"),
    path("compounds/<slug:slug>/", api.CompoundDetailApi.as_view(), name="compound-detail"),
    path("compounds/<slug:slug>/me/", api.CompoundMeApi.as_view(), name="compound-me"),
    path("compounds/<slug:slug>/buildings/", api.BuildingListCreateApi.as_view(), name="building-list"),
    path(
        "compounds/<slug:slug>/buildings/<int:building_id>/",
        api.BuildingDetailApi.as_view(),
        name="building-detail",
    ),
    path("compounds/<slug:slug>/units/", api.UnitListCreateApi.as_view(), name="unit-list"),
    path("compounds/<slug:slug>/units/<int:unit_id>/", api.UnitDetailApi.as_view(), name="unit-detail"),
    path("compounds/<slug:slug>/duties/", api.DutyListApi.as_view(), name="duty-list"),
    path(
        "compounds/<slug:slug>/duties/versions/",
        api.DutyListVersionListApi.as_view(),
        name="duty-list-version-list",
    ),
    path(
        "compounds/<slug:slug>/duties/versions/<int:version>/",
        api.DutyListVersionDetailApi.as_view(),
        name="duty-list-version-detail",
    ),
    path("compounds/<slug:slug>/memberships/", api.MembershipListCreateApi.as_view(), name="membership-list"),
    path(
        "compounds/<slug:slug>/memberships/<int:membership_id>/",
        api.MembershipDetailApi.as_view(),
        name="membership-detail",
    ),
    path(
        "compounds/<slug:slug>/memberships/<int:membership_id>/end/",
        api.MembershipEndApi.as_view(),
        name="membership-end",
    ),
    path("compounds/<slug:slug>/role-grants/", api.RoleGrantListApi.as_view(), name="role-grant-list"),
    path(
        "compounds/<slug:slug>/role-grants/<int:grant_id>/confirm/",
        api.RoleGrantConfirmApi.as_view(),
        name="role-grant-confirm",
    ),
    path(
        "compounds/<slug:slug>/role-grants/<int:grant_id>/cancel/",
        api.RoleGrantCancelApi.as_view(),
        name="role-grant-cancel",
    ),
]
