from django.urls import path

from settlements import views

app_name = "settlements"

urlpatterns = [
    path("c/<slug:slug>/settlements/", views.settlement_list, name="list"),
    path("c/<slug:slug>/settlements/run/", views.settlement_run, name="run"),
    path("c/<slug:slug>/settlements/<int:year>/", views.settlement_detail, name="detail"),
    path("c/<slug:slug>/settlements/<int:year>/confirm/", views.settlement_confirm, name="confirm"),
    path("c/<slug:slug>/settlements/<int:year>/correct/", views.settlement_correct, name="correct"),
    path("c/<slug:slug>/settlements/<int:year>/settlement.<slug:fmt>", views.settlement_file, name="file"),
    path("street/settlement-policy/", views.policy_edit, name="policy"),
]
