"""The notification inbox, mounted at /notifications/ by config/urls.py."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.notification_list, name="notification-list"),
    path("<int:pk>/", views.notification_open, name="notification-open"),
    path("read-all/", views.notification_read_all, name="notification-read-all"),
]
