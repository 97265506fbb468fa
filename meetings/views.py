"""Members' pages for topics, meetings, action items and owners' votes
(/c/<slug>/meetings/…). Thin: ``access_compound`` (404 for missing and forbidden alike)
→ a selector or a service → render. A refusal from a service is shown next to the field
it names (forms) or as a message naming the field (one-button actions)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from common.errors import ApplicationError
from common.phone import normalize_phone
from communities.models import ROLE_PARTY, Unit, UnitOwnership, _active_q
from communities.permissions import Capability, access_compound
from meetings import selectors, services, votes
from meetings.calendar import meeting_ics
from meetings.forms import (
    ActionItemForm,
    AttendanceForm,
    BallotForm,
    DeclineForm,
    MeetingForm,
    MinutesForm,
    PaperBallotForm,
    ProgressForm,
    ProxyBallotForm,
    ResolutionForm,
    TopicForm,
    VoteForm,
    add_service_error,
)
from meetings.models import (
    THREE_PARTIES,
    ActionStatus,
    Ballot,
    BallotChannel,
    MeetingKind,
    MeetingStatus,
    OwnersVote,
    TopicPhoto,
    TopicStatus,
)

C = Capability


def _error_text(exc) -> str:
    """One line naming the field(s): “number: already used …”."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return " | ".join(f"{name}: {'; '.join(errs)}" for name, errs in exc.message_dict.items())
    if isinstance(exc, ApplicationError):
        fields = exc.extra.get("fields") or {}
        if fields:
            return " | ".join(f"{name}: {'; '.join(map(str, errs))}" for name, errs in fields.items())
        return exc.message
    return "; ".join(getattr(exc, "messages", [str(exc)]))


def _act(request, back: str, call, success: str):
    """Run a one-button service call; a refusal becomes a message naming the field."""
    try:
        call()
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, success)
    return redirect(back)


def _people_of(compound, parties):
    """People holding a role of ``parties`` in the compound (for attendance and action items)."""
    roles = [role for role, party in ROLE_PARTY.items() if party in parties]
    # Owners attend through their representatives (a membership): listing every owner of
    # a 5,000-flat compound in a select would help nobody.
    people = list(services._people(compound, roles))
    seen, out = set(), []
    for person in sorted(people, key=lambda u: (u.display_name, u.pk)):
        if person.pk not in seen:
            seen.add(person.pk)
            out.append(person)
    return out


def _ctx(compound, standing, **extra):
    caps = standing.capabilities
    return {"compound": compound, "standing": standing, "caps": {str(c) for c in caps}, **extra}


# --------------------------------------------------------------------------- hub


@login_required
@require_GET
def meetings_home(request, slug):
    """Topics, meetings, votes and the action items that concern me."""
    compound, standing = access_compound(request.user, slug)
    status = request.GET.get("status", "")
    status = status if status in TopicStatus.values else ""
    mine = (
        selectors.action_list(compound=compound)
        .filter(responsible_person=request.user)
        .exclude(status=ActionStatus.DONE)
    )
    return render(
        request,
        "meetings/home.html",
        _ctx(
            compound,
            standing,
            topics=selectors.topic_list(compound=compound, status=status)[:50],
            statuses=TopicStatus.choices,
            status=status,
            meetings=selectors.meeting_list(compound=compound)[:30],
            votes=selectors.vote_list(compound=compound)[:20],
            my_actions=mine,
            open_actions=selectors.action_list(compound=compound).exclude(status=ActionStatus.DONE)[:50],
        ),
    )


# --------------------------------------------------------------------------- topics


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request, slug):
    compound, standing = access_compound(request.user, slug, C.RAISE_TOPIC)
    form = TopicForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.topic_raise(
                compound=compound,
                actor=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                photos=form.cleaned_data["photos"],
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Topic raised. The secretary will take it up."))
            return redirect("meetings:topic-detail", slug=compound.slug, pk=topic.pk)
    return render(request, "meetings/topic_new.html", _ctx(compound, standing, form=form))


@login_required
@require_GET
def topic_detail(request, slug, pk):
    compound, standing = access_compound(request.user, slug)
    topic = selectors.topic_get(compound=compound, pk=pk)
    return render(
        request,
        "meetings/topic_detail.html",
        _ctx(
            compound,
            standing,
            topic=topic,
            photos=topic.photos.all(),
            may_second=standing.can(C.SECOND_TOPIC)
            and topic.raised_by_id != request.user.pk
            and topic.status in (TopicStatus.OPEN, TopicStatus.ON_AGENDA)
            and not topic.seconds.filter(user=request.user).exists(),
            agenda_items=topic.agenda_items.select_related("meeting").prefetch_related(
                "resolutions__action_items"
            ),
            meetings=selectors.meetings_open_for_agenda(compound=compound),
            others=selectors.topic_list(compound=compound)
            .exclude(pk=topic.pk)
            .filter(status__in=[TopicStatus.OPEN, TopicStatus.ON_AGENDA, TopicStatus.DECIDED]),
            decline_form=DeclineForm(),
            may_triage=standing.can(C.TRIAGE_TOPICS)
            and topic.status in (TopicStatus.OPEN, TopicStatus.ON_AGENDA),
        ),
    )


@login_required
@require_POST
def topic_second(request, slug, pk):
    compound, _standing = access_compound(request.user, slug, C.SECOND_TOPIC)
    topic = selectors.topic_get(compound=compound, pk=pk)
    back = reverse("meetings:topic-detail", kwargs={"slug": slug, "pk": pk})
    return _act(request, back, lambda: services.topic_second(topic=topic, actor=request.user), _("Seconded."))


@login_required
@require_POST
def topic_triage(request, slug, pk):
    compound, _standing = access_compound(request.user, slug, C.TRIAGE_TOPICS)
    topic = selectors.topic_get(compound=compound, pk=pk)
    back = reverse("meetings:topic-detail", kwargs={"slug": slug, "pk": pk})
    action = request.POST.get("action")
    if action == "agenda":
        meeting = (
            selectors.meetings_open_for_agenda(compound=compound)
            .filter(pk=request.POST.get("meeting") or 0)
            .first()
        )
        if meeting is None:
            messages.error(request, _("meeting: choose a scheduled meeting."))
            return redirect(back)
        return _act(
            request,
            back,
            lambda: services.topic_put_on_agenda(topic=topic, meeting=meeting, actor=request.user),
            _("Put on the agenda."),
        )
    if action == "merge":
        into = selectors.topic_list(compound=compound).filter(pk=request.POST.get("into") or 0).first()
        if into is None:
            messages.error(request, _("into: choose the topic to merge into."))
            return redirect(back)
        return _act(
            request,
            back,
            lambda: services.topic_merge(topic=topic, into=into, actor=request.user),
            _("Merged."),
        )
    if action == "decline":
        return _act(
            request,
            back,
            lambda: services.topic_decline(
                topic=topic, reason=request.POST.get("reason", ""), actor=request.user
            ),
            _("Declined; the person who raised it is told why."),
        )
    messages.error(request, _("action: choose agenda, merge or decline."))
    return redirect(back)


@login_required
@require_GET
def photo(request, slug, pk):
    compound, _standing = access_compound(request.user, slug)
    row = TopicPhoto.objects.filter(compound=compound, pk=pk).first()
    if row is None:
        raise Http404
    response = FileResponse(row.file.open("rb"), content_type=row.content_type)
    response["Cache-Control"] = "private, max-age=0"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --------------------------------------------------------------------------- meetings


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request, slug):
    compound, standing = access_compound(request.user, slug, C.CONVENE_MEETING)
    open_topics = (
        list(selectors.topic_list(compound=compound, status=TopicStatus.OPEN))
        if standing.can(C.TRIAGE_TOPICS)
        else []
    )
    form = MeetingForm(request.POST or None, topics=open_topics)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = [t for t in open_topics if str(t.pk) in set(data["topics"])]
        try:
            meeting = services.meeting_convene(
                compound=compound,
                actor=request.user,
                kind=data["kind"],
                title=data["title"],
                location=data["location"],
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                topics=chosen,
                items=data["items"].splitlines(),
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Meeting convened; the notice has been sent."))
            return redirect("meetings:meeting-detail", slug=compound.slug, pk=meeting.pk)
    return render(request, "meetings/meeting_new.html", _ctx(compound, standing, form=form))


@login_required
@require_GET
def meeting_detail(request, slug, pk):
    compound, standing = access_compound(request.user, slug)
    meeting = selectors.meeting_get(compound=compound, pk=pk)
    attendance = list(meeting.attendance.select_related("user").order_by("party", "user__display_name"))
    me = next((row for row in attendance if row.user_id == request.user.pk), None)
    confirmed = {c.party: c for c in meeting.confirmations.select_related("user")}
    runs = standing.can(C.KEEP_MINUTES) or standing.can(C.CONVENE_MEETING)
    parties = (
        list(THREE_PARTIES) if meeting.kind == MeetingKind.JOINT else ["owners", *THREE_PARTIES, "volunteers"]
    )
    return render(
        request,
        "meetings/meeting_detail.html",
        _ctx(
            compound,
            standing,
            meeting=meeting,
            agenda=selectors.agenda_of(meeting),
            attendance=attendance,
            confirmed=confirmed,
            may_confirm=meeting.status == MeetingStatus.CLOSED
            and me is not None
            and me.present
            and me.party not in confirmed,
            runs=runs,
            keeps_minutes=standing.can(C.KEEP_MINUTES),
            attendance_form=AttendanceForm(people=_people_of(compound, parties)) if runs else None,
            minutes_form=MinutesForm(),
            resolution_form=ResolutionForm(),
            action_form=ActionItemForm(people=_people_of(compound, THREE_PARTIES)),
            votes=selectors.vote_list(compound=compound).filter(meeting=meeting),
        ),
    )


@login_required
@require_GET
def meeting_calendar(request, slug, pk):
    compound, _standing = access_compound(request.user, slug)
    meeting = selectors.meeting_get(compound=compound, pk=pk)
    response = HttpResponse(meeting_ics(meeting, request), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


def _meeting_back(slug, pk):
    return reverse("meetings:meeting-detail", kwargs={"slug": slug, "pk": pk})


@login_required
@require_POST
def meeting_attendance(request, slug, pk):
    compound, _standing = access_compound(request.user, slug)
    meeting = selectors.meeting_get(compound=compound, pk=pk)
    user = User.objects.filter(pk=request.POST.get("user") or 0).first()
    if user is None:
        messages.error(request, _("user: choose a person."))
        return redirect(_meeting_back(slug, pk))
    return _act(
        request,
        _meeting_back(slug, pk),
        lambda: services.attendance_record(
            meeting=meeting,
            actor=request.user,
            user=user,
            party=request.POST.get("party", ""),
            present=request.POST.get("present") in ("on", "true", "1"),
        ),
        _("Attendance recorded."),
    )


@login_required
@require_POST
def meeting_step(request, slug, pk, step):
    """Open, close or confirm the minutes (one button each)."""
    compound, _standing = access_compound(request.user, slug)
    meeting = selectors.meeting_get(compound=compound, pk=pk)
    steps = {
        "open": (services.meeting_open, _("The meeting is open; the quorum has been recorded.")),
        "close": (services.meeting_close, _("The meeting is closed; the minutes wait for confirmation.")),
        "confirm": (services.minutes_confirm, _("Minutes confirmed for your party.")),
    }
    if step not in steps:
        raise Http404
    service, done = steps[step]
    return _act(request, _meeting_back(slug, pk), lambda: service(meeting=meeting, actor=request.user), done)


@login_required
@require_POST
def meeting_cancel(request, slug, pk):
    compound, _standing = access_compound(request.user, slug)
    meeting = selectors.meeting_get(compound=compound, pk=pk)
    return _act(
        request,
        _meeting_back(slug, pk),
        lambda: services.meeting_cancel(
            meeting=meeting, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("The meeting is cancelled; its topics are open again."),
    )


def _agenda_item(meeting, item_pk):
    item = meeting.agenda.filter(pk=item_pk).first()
    if item is None:
        raise Http404
    return item


@login_required
@require_POST
def agenda_minutes(request, slug, pk, item):
    compound, _standing = access_compound(request.user, slug)
    meeting = selectors.meeting_get(compound=compound, pk=pk)
    agenda_item = _agenda_item(meeting, item)
    return _act(
        request,
        _meeting_back(slug, pk),
        lambda: services.minutes_record(
            agenda_item=agenda_item, text=request.POST.get("minutes", ""), actor=request.user
        ),
        _("Minutes saved."),
    )


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
@require_POST
def agenda_resolution(request, slug, pk, item):
    compound, _standing = access_compound(request.user, slug)
    meeting = selectors.meeting_get(compound=compound, pk=pk)
    agenda_item = _agenda_item(meeting, item)
    owners_vote = None
    if request.POST.get("owners_vote"):
        owners_vote = OwnersVote.objects.filter(
            compound=compound, pk=_int(request.POST["owners_vote"], 0)
        ).first()
    return _act(
        request,
        _meeting_back(slug, pk),
        lambda: services.resolution_record(
            agenda_item=agenda_item,
            number=request.POST.get("number", ""),
            text=request.POST.get("text", ""),
            votes_for=_int(request.POST.get("votes_for")),
            votes_against=_int(request.POST.get("votes_against"), 0),
            votes_abstain=_int(request.POST.get("votes_abstain"), 0),
            owners_vote=owners_vote,
            actor=request.user,
        ),
        _("Resolution recorded."),
    )


@login_required
@require_POST
def action_create(request, slug, pk):
    """An action item of resolution ``pk``."""
    compound, _standing = access_compound(request.user, slug)
    resolution = selectors.resolution_get(compound=compound, pk=pk)
    back = _meeting_back(slug, resolution.meeting_id)
    person = User.objects.filter(pk=_int(request.POST.get("responsible_person"), 0)).first()
    try:
        due = dt.date.fromisoformat(request.POST.get("due_date", ""))
    except ValueError:
        messages.error(request, _("due_date: give a date (YYYY-MM-DD)."))
        return redirect(back)
    return _act(
        request,
        back,
        lambda: services.action_item_create(
            resolution=resolution,
            title=request.POST.get("title", ""),
            responsible_party=request.POST.get("responsible_party", ""),
            responsible_person=person,
            due_date=due,
            actor=request.user,
        ),
        _("Action item added; the responsible person is told."),
    )


# --------------------------------------------------------------------------- action items


@login_required
@require_GET
def action_detail(request, slug, pk):
    compound, standing = access_compound(request.user, slug)
    item = selectors.action_get(compound=compound, pk=pk)
    parties = services.parties_of(standing)
    others = [p for p in THREE_PARTIES if p != item.responsible_party]
    confirmed = {c.party: c for c in item.confirmations.select_related("user")}
    return render(
        request,
        "meetings/action_detail.html",
        _ctx(
            compound,
            standing,
            item=item,
            topic=item.resolution.agenda_item.topic,
            progress=item.progress.select_related("author").prefetch_related("photos"),
            confirmed=confirmed,
            others=others,
            may_progress=item.status != ActionStatus.DONE
            and (item.responsible_party in parties or standing.can(C.FOLLOW_ACTION_ITEMS)),
            may_claim=item.status == ActionStatus.OPEN and item.responsible_party in parties,
            may_confirm=item.status == ActionStatus.CLAIMED
            and item.responsible_party not in parties
            and request.user.pk not in (item.claimed_by_id, item.responsible_person_id)
            and bool(parties & (set(others) - set(confirmed))),
            progress_form=ProgressForm(),
        ),
    )


def _action_back(slug, pk):
    return reverse("meetings:action-detail", kwargs={"slug": slug, "pk": pk})


@login_required
@require_POST
def action_progress(request, slug, pk):
    compound, _standing = access_compound(request.user, slug)
    item = selectors.action_get(compound=compound, pk=pk)
    return _act(
        request,
        _action_back(slug, pk),
        lambda: services.action_progress_add(
            action_item=item,
            note=request.POST.get("note", ""),
            photos=request.FILES.getlist("photos"),
            actor=request.user,
        ),
        _("Progress posted."),
    )


@login_required
@require_POST
def action_step(request, slug, pk, step):
    compound, _standing = access_compound(request.user, slug)
    item = selectors.action_get(compound=compound, pk=pk)
    if step == "claim":
        call, done = (
            (lambda: services.action_claim_done(action_item=item, actor=request.user)),
            _("Reported done; the two other parties are asked to confirm."),
        )
    elif step == "confirm":
        party = request.POST.get("party") or None
        call, done = (
            (lambda: services.action_confirm_done(action_item=item, actor=request.user, party=party)),
            _("Confirmed for your party."),
        )
    else:
        raise Http404
    return _act(request, _action_back(slug, pk), call, done)


# --------------------------------------------------------------------------- owners' votes


@login_required
@require_http_methods(["GET", "POST"])
def vote_new(request, slug):
    compound, standing = access_compound(request.user, slug, C.RUN_OWNERS_VOTE)
    form = VoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        meeting = (
            selectors.meeting_list(compound=compound)
            .filter(pk=_int(request.POST.get("meeting"), 0), kind=MeetingKind.ASSEMBLY)
            .first()
        )
        try:
            vote = votes.vote_open(
                compound=compound,
                actor=request.user,
                title=form.cleaned_data["title"],
                matter=form.cleaned_data["matter"],
                closes_at=form.cleaned_data["closes_at"],
                meeting=meeting,
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The owners' vote is open."))
            return redirect("meetings:vote-detail", slug=compound.slug, pk=vote.pk)
    assemblies = selectors.meeting_list(compound=compound).filter(
        kind=MeetingKind.ASSEMBLY, status=MeetingStatus.SCHEDULED
    )
    return render(
        request, "meetings/vote_new.html", _ctx(compound, standing, form=form, assemblies=assemblies)
    )


def _my_units(user, compound):
    ids = UnitOwnership.objects.filter(_active_q(), user=user, compound=compound).values("unit_id")
    return list(Unit.objects.filter(pk__in=ids).select_related("building"))


@login_required
@require_GET
def vote_detail(request, slug, pk):
    compound, standing = access_compound(request.user, slug)
    vote = selectors.vote_get(compound=compound, pk=pk)
    units = _my_units(request.user, compound)
    mine = {b.unit_id: b for b in Ballot.objects.filter(vote=vote, unit__in=units)}
    is_open = vote.status == "open" and vote.closes_at > timezone.now()
    enters = standing.can(C.ENTER_PAPER_BALLOTS)
    all_units = (
        list(Unit.objects.filter(compound=compound).select_related("building")) if enters and is_open else []
    )
    return render(
        request,
        "meetings/vote_detail.html",
        _ctx(
            compound,
            standing,
            vote=vote,
            is_open=is_open,
            my_units=[
                {"unit": u, "ballot": mine.get(u.pk), "key": votes.unit_key(vote.salt, u)} for u in units
            ],
            ballot_form=BallotForm(units=units) if units and is_open else None,
            paper_form=PaperBallotForm(units=all_units) if all_units else None,
            proxy_form=ProxyBallotForm(
                units=all_units or list(Unit.objects.filter(compound=compound).select_related("building"))
            )
            if is_open
            else None,
            to_confirm=Ballot.objects.filter(
                vote=vote, channel=BallotChannel.PAPER, confirmed_by__isnull=True
            )
            .exclude(cast_by=request.user)
            .select_related("unit__building", "cast_by")
            if enters and is_open
            else [],
            tally=votes.vote_tally(vote)
            if vote.status == "open" and standing.can(C.RUN_OWNERS_VOTE)
            else None,
            may_close=vote.status == "open" and standing.can(C.RUN_OWNERS_VOTE) and not is_open,
        ),
    )


def _vote_back(slug, pk):
    return reverse("meetings:vote-detail", kwargs={"slug": slug, "pk": pk})


def _owner_by_phone(raw):
    try:
        return User.objects.filter(phone=normalize_phone(raw)).first()
    except ValidationError:
        return None


@login_required
@require_POST
def vote_ballot(request, slug, pk, kind):
    compound, _standing = access_compound(request.user, slug)
    vote = selectors.vote_get(compound=compound, pk=pk)
    unit = Unit.objects.filter(compound=compound, pk=_int(request.POST.get("unit"), 0)).first()
    choice = request.POST.get("choice", "")
    owner = _owner_by_phone(request.POST.get("owner_phone", ""))
    if kind not in ("online", "paper", "proxy"):
        raise Http404

    def call():
        if kind == "online":
            return votes.ballot_cast(vote=vote, unit=unit, choice=choice, actor=request.user)
        if kind == "paper":
            return votes.ballot_enter_paper(
                vote=vote, unit=unit, choice=choice, owner=owner, actor=request.user
            )
        return votes.ballot_cast_by_proxy(
            vote=vote,
            unit=unit,
            choice=choice,
            owner=owner,
            document=request.FILES.get("document"),
            actor=request.user,
        )

    return _act(
        request, _vote_back(slug, pk), call, _("Ballot recorded. You may change it until the vote closes.")
    )


@login_required
@require_POST
def vote_confirm_paper(request, slug, pk, ballot):
    compound, _standing = access_compound(request.user, slug)
    vote = selectors.vote_get(compound=compound, pk=pk)
    row = Ballot.objects.filter(vote=vote, pk=ballot).first()
    if row is None:
        raise Http404
    return _act(
        request,
        _vote_back(slug, pk),
        lambda: votes.ballot_confirm_paper(ballot=row, actor=request.user),
        _("Paper ballot confirmed; it now counts."),
    )


@login_required
@require_POST
def vote_close(request, slug, pk):
    compound, _standing = access_compound(request.user, slug)
    vote = selectors.vote_get(compound=compound, pk=pk)
    return _act(
        request,
        _vote_back(slug, pk),
        lambda: votes.vote_close(vote=vote, actor=request.user),
        _("Counted and closed."),
    )
