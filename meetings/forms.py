"""Forms for the meetings pages: they check the shape of the input only; the rules are
in the services, whose ``ValidationError`` lands on the field it names."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.forms import IsoDateInput
from communities.models import Party
from meetings.models import THREE_PARTIES, Art278Matter, BallotChoice, MeetingKind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def add_service_error(form: forms.Form, exc) -> None:
    """Put a service's refusal next to the field it names (or at the top of the form)."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return
    if isinstance(exc, ApplicationError):
        fields = exc.extra.get("fields") or {}
        for name, errors in fields.items():
            form.add_error(name if name in form.fields else None, errors)
        if not fields:
            form.add_error(None, exc.message)
        return
    form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))


class TopicForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=120, help_text=_("In a few words, e.g. “Lift in 3栋 often stops”.")
    )
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}))
    photos = MultipleFileField(label=_("Photos (optional, PNG or JPEG, up to 9)"), required=False)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason for declining"), widget=forms.Textarea(attrs={"rows": 3}))


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    location = forms.CharField(label=_("Place"), max_length=120)
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("At least 3 days from now; an owners' assembly at least 15 days."),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), initial=90, min_value=15, max_value=600
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics on the agenda"), required=False, widget=forms.CheckboxSelectMultiple
    )
    items = forms.CharField(
        label=_("Other agenda items (one a line)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = [(str(t.pk), t.title) for t in topics]


class AttendanceForm(forms.Form):
    user = forms.ChoiceField(label=_("Person"))
    party = forms.ChoiceField(
        label=_("Attends for"), choices=[(p.value, p.label) for p in Party if p != Party.STREET_OFFICE]
    )
    present = forms.BooleanField(label=_("Present"), required=False, initial=True)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(str(u.pk), u.display_name or str(u)) for u in people]


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes of this item"), widget=forms.Textarea(attrs={"rows": 4}))


class ResolutionForm(forms.Form):
    number = forms.CharField(
        label=_("Resolution number"), max_length=40, help_text=_("Unique in the compound, e.g. 2026-07.")
    )
    text = forms.CharField(label=_("Text of the resolution"), widget=forms.Textarea(attrs={"rows": 3}))
    votes_for = forms.IntegerField(label=_("For"), min_value=0, required=False)
    votes_against = forms.IntegerField(label=_("Against"), min_value=0, initial=0, required=False)
    votes_abstain = forms.IntegerField(label=_("Abstaining"), min_value=0, initial=0, required=False)
    owners_vote = forms.IntegerField(label=_("Owners' vote (owners' assembly)"), required=False)


class ActionItemForm(forms.Form):
    title = forms.CharField(label=_("What is to be done"), max_length=200)
    responsible_party = forms.ChoiceField(
        label=_("Responsible party"), choices=[(p.value, p.label) for p in THREE_PARTIES]
    )
    responsible_person = forms.ChoiceField(label=_("Responsible person"))
    due_date = forms.DateField(label=_("Due date"), widget=IsoDateInput())

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_person"].choices = [(str(u.pk), u.display_name or str(u)) for u in people]


class ProgressForm(forms.Form):
    note = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleFileField(label=_("Photos (optional)"), required=False)


class VoteForm(forms.Form):
    title = forms.CharField(label=_("Question"), max_length=200)
    matter = forms.TypedChoiceField(
        label=_("Matter (Civil Code art. 278)"), choices=Art278Matter.choices, coerce=int
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class BallotForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    choice = forms.ChoiceField(label=_("Your ballot"), choices=BallotChoice.choices, widget=forms.RadioSelect)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(str(u.pk), u.label) for u in units]


class PaperBallotForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    owner_phone = forms.CharField(label=_("Phone of the owner who signed"), max_length=20)
    choice = forms.ChoiceField(label=_("Choice on the paper"), choices=BallotChoice.choices)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(str(u.pk), u.label) for u in units]


class ProxyBallotForm(PaperBallotForm):
    owner_phone = forms.CharField(label=_("Phone of the owner you represent"), max_length=20)
    document = forms.FileField(label=_("Signed proxy document (PDF, PNG or JPEG)"))
