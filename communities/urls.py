from django.urls import path

from communities import views

urlpatterns = [
    path("c/<slug:slug>/members/", views.compound_members_page, name="compound-members"),
    path("c/<slug:slug>/duties/edit/", views.duty_list_edit, name="compound-duties-edit"),
    path("c/<slug:slug>/units/import/", views.unit_import_page, name="compound-units-import"),
    path(
        "c/<slug:slug>/units/import/template.csv",
        views.unit_import_template,
        name="compound-units-import-template",
    ),
]
