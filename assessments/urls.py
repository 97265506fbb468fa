"""Assessment and repair pages (namespace "assessments")."""

from django.urls import path

from assessments import views

app_name = "assessments"

a = "c/<slug:slug>/assessments/"
r = "c/<slug:slug>/repairs/"

urlpatterns = [
    path(a, views.public_scores_page, name="public"),
    path(f"{a}rounds/", views.round_list, name="round-list"),
    path(f"{a}rounds/open/", views.round_open, name="round-open"),
    path(f"{a}rounds/<int:pk>/", views.round_detail, name="round-detail"),
    path(f"{a}rounds/<int:pk>/score/", views.round_score, name="round-score"),
    path(f"{a}rounds/<int:pk>/survey/", views.round_survey, name="round-survey"),
    path(f"{a}rounds/<int:pk>/close/", views.round_close, name="round-close"),
    path(f"{a}rounds/<int:pk>/sign/", views.round_sign, name="round-sign"),
    path(f"{a}rounds/<int:pk>/objection/", views.round_object, name="round-object"),
    path(f"{a}rounds/<int:pk>/objection/decide/", views.objection_decide, name="objection-decide"),
    path(f"{a}rounds/<int:pk>/report.pdf", views.round_report_pdf, name="round-pdf"),
    path(f"{a}duty-checks/", views.duty_checks, name="duty-checks"),
    path("assessments/template/", views.template_edit, name="template-edit"),
    path(r, views.repair_list, name="repair-list"),
    path(f"{r}stats/", views.repair_public, name="repair-public"),
    path(f"{r}new/", views.repair_new, name="repair-new"),
    path(f"{r}<int:pk>/", views.repair_detail, name="repair-detail"),
    path(f"{r}<int:pk>/photos/<int:photo_pk>/", views.repair_photo, name="repair-photo"),
    path(f"{a}rounds/<int:pk>/photos/<int:photo_pk>/", views.score_photo, name="score-photo"),
    path(f"{r}<int:pk>/<slug:action>/", views.repair_action, name="repair-action"),
]
