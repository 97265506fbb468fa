"""Assessment and repair API routes, included under /api/v1/ (namespace "api")."""

from django.urls import path

from assessments import api

a = "compounds/<slug:slug>/assessments/"
r = "compounds/<slug:slug>/repairs/"

urlpatterns = [
    path(f"{a}rounds/", api.RoundListApi.as_view(), name="assessment-round-list"),
    path(f"{a}public/", api.PublicScoresApi.as_view(), name="assessment-public"),
    path(f"{a}rounds/<int:pk>/", api.RoundDetailApi.as_view(), name="assessment-round-detail"),
    path(f"{a}rounds/<int:pk>/scores/", api.RoundScoresApi.as_view(), name="assessment-round-scores"),
    path(f"{a}rounds/<int:pk>/survey/", api.RoundSurveyApi.as_view(), name="assessment-round-survey"),
    path(f"{a}rounds/<int:pk>/close/", api.RoundCloseApi.as_view(), name="assessment-round-close"),
    path(f"{a}rounds/<int:pk>/signoff/", api.RoundSignoffApi.as_view(), name="assessment-round-signoff"),
    path(
        f"{a}rounds/<int:pk>/objection/", api.RoundObjectionApi.as_view(), name="assessment-round-objection"
    ),
    path(
        f"{a}rounds/<int:pk>/objection/decision/",
        api.ObjectionDecisionApi.as_view(),
        name="assessment-objection-decision",
    ),
    path(f"{a}duty-checks/", api.DutyCheckApi.as_view(), name="assessment-duty-checks"),
    path("assessments/templates/", api.TemplatePublishApi.as_view(), name="assessment-template-publish"),
    path("assessments/weights/", api.WeightsPublishApi.as_view(), name="assessment-weights-publish"),
    path(r, api.RepairListApi.as_view(), name="repair-list"),
    path(f"{r}stats/", api.RepairStatsApi.as_view(), name="repair-stats"),
    path(f"{r}<int:pk>/", api.RepairDetailApi.as_view(), name="repair-detail"),
    path(f"{r}<int:pk>/<slug:action>/", api.RepairActionApi.as_view(), name="repair-action"),
]
