"""Meetings pages: members' area /c/<slug>/meetings/… and public /c/<slug>/meetings/public/…."""

from django.urls import path

from meetings import public_views, views

app_name = "meetings"
p = "c/<slug:slug>/meetings/"

urlpatterns = [
    path(p, views.meetings_home, name="home"),
    path(f"{p}topics/new/", views.topic_new, name="topic-new"),
    path(f"{p}topics/<int:pk>/", views.topic_detail, name="topic-detail"),
    path(f"{p}topics/<int:pk>/second/", views.topic_second, name="topic-second"),
    path(f"{p}topics/<int:pk>/triage/", views.topic_triage, name="topic-triage"),
    path(f"{p}photos/<int:pk>/", views.photo, name="photo"),
    path(f"{p}new/", views.meeting_new, name="meeting-new"),
    path(f"{p}<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path(f"{p}<int:pk>/meeting.ics", views.meeting_calendar, name="meeting-ics"),
    path(f"{p}<int:pk>/attendance/", views.meeting_attendance, name="meeting-attendance"),
    path(f"{p}<int:pk>/cancel/", views.meeting_cancel, name="meeting-cancel"),
    path(f"{p}<int:pk>/<str:step>/", views.meeting_step, name="meeting-step"),
    path(f"{p}<int:pk>/items/<int:item>/minutes/", views.agenda_minutes, name="agenda-minutes"),
    path(f"{p}<int:pk>/items/<int:item>/resolution/", views.agenda_resolution, name="agenda-resolution"),
    path(f"{p}resolutions/<int:pk>/actions/", views.action_create, name="action-create"),
    path(f"{p}actions/<int:pk>/", views.action_detail, name="action-detail"),
    path(f"{p}actions/<int:pk>/progress/", views.action_progress, name="action-progress"),
    path(f"{p}actions/<int:pk>/<str:step>/", views.action_step, name="action-step"),
    path(f"{p}votes/new/", views.vote_new, name="vote-new"),
    path(f"{p}votes/<int:pk>/", views.vote_detail, name="vote-detail"),
    path(f"{p}votes/<int:pk>/ballot/<str:kind>/", views.vote_ballot, name="vote-ballot"),
    path(
        f"{p}votes/<int:pk>/paper/<int:ballot>/confirm/", views.vote_confirm_paper, name="vote-confirm-paper"
    ),
    path(f"{p}votes/<int:pk>/close/", views.vote_close, name="vote-close"),
    path(f"{p}public/", public_views.public_index, name="public"),
    path(f"{p}public/<int:pk>/", public_views.public_meeting, name="public-meeting"),
    path(f"{p}public/topics/<int:pk>/", public_views.public_topic, name="public-topic"),
    path(f"{p}public/votes/<int:pk>/result.json", public_views.public_vote_result, name="public-vote-result"),
]
