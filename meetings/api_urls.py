"""Meetings API routes, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from meetings import api

c = "compounds/<slug:slug>/"

urlpatterns = [
    path(f"{c}topics/", api.TopicListApi.as_view(), name="meetings-topic-list"),
    path(f"{c}topics/<int:pk>/", api.TopicDetailApi.as_view(), name="meetings-topic-detail"),
    path(f"{c}topics/<int:pk>/second/", api.TopicSecondApi.as_view(), name="meetings-topic-second"),
    path(f"{c}topics/<int:pk>/triage/", api.TopicTriageApi.as_view(), name="meetings-topic-triage"),
    path(f"{c}meetings/", api.MeetingListApi.as_view(), name="meetings-meeting-list"),
    path(f"{c}meetings/<int:pk>/", api.MeetingDetailApi.as_view(), name="meetings-meeting-detail"),
    path(f"{c}meetings/<int:pk>/meeting.ics", api.MeetingIcsApi.as_view(), name="meetings-meeting-ics"),
    path(
        f"{c}meetings/<int:pk>/attendance/",
        api.MeetingAttendanceApi.as_view(),
        name="meetings-meeting-attendance",
    ),
    path(f"{c}meetings/<int:pk>/open/", api.MeetingOpenApi.as_view(), name="meetings-meeting-open"),
    path(f"{c}meetings/<int:pk>/cancel/", api.MeetingCancelApi.as_view(), name="meetings-meeting-cancel"),
    path(f"{c}meetings/<int:pk>/close/", api.MeetingCloseApi.as_view(), name="meetings-meeting-close"),
    path(f"{c}meetings/<int:pk>/confirm/", api.MinutesConfirmApi.as_view(), name="meetings-minutes-confirm"),
    path(
        f"{c}meetings/<int:pk>/agenda/<int:item>/minutes/",
        api.AgendaMinutesApi.as_view(),
        name="meetings-agenda-minutes",
    ),
    path(
        f"{c}meetings/<int:pk>/agenda/<int:item>/resolutions/",
        api.AgendaResolutionApi.as_view(),
        name="meetings-agenda-resolution",
    ),
    path(f"{c}resolutions/", api.ResolutionListApi.as_view(), name="meetings-resolution-list"),
    path(f"{c}resolutions/<int:pk>/", api.ResolutionDetailApi.as_view(), name="meetings-resolution-detail"),
    path(f"{c}resolutions/<int:pk>/actions/", api.ActionCreateApi.as_view(), name="meetings-action-create"),
    path(
        f"{c}resolutions/<int:pk>/actions/<int:item>/",
        api.ActionDetailApi.as_view(),
        name="meetings-action-detail",
    ),
    path(
        f"{c}resolutions/<int:pk>/actions/<int:item>/progress/",
        api.ActionProgressApi.as_view(),
        name="meetings-action-progress",
    ),
    path(
        f"{c}resolutions/<int:pk>/actions/<int:item>/claim/",
        api.ActionClaimApi.as_view(),
        name="meetings-action-claim",
    ),
    path(
        f"{c}resolutions/<int:pk>/actions/<int:item>/confirm/",
        api.ActionConfirmApi.as_view(),
        name="meetings-action-confirm",
    ),
    path(f"{c}votes/", api.VoteListApi.as_view(), name="meetings-vote-list"),
    path(f"{c}votes/<int:pk>/", api.VoteDetailApi.as_view(), name="meetings-vote-detail"),
    path(f"{c}votes/<int:pk>/ballots/", api.VoteBallotApi.as_view(), name="meetings-vote-ballot"),
    path(
        f"{c}votes/<int:pk>/ballots/<int:ballot>/confirm/",
        api.VotePaperConfirmApi.as_view(),
        name="meetings-vote-paper-confirm",
    ),
    path(f"{c}votes/<int:pk>/close/", api.VoteCloseApi.as_view(), name="meetings-vote-close"),
]
