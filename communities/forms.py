"""Forms for the compound pages.

Forms here only turn text into Python values; the rules of a duty list (numbered
1..N, a title, a responsible party…) live in ``services.validate_duty_items`` and
come back as a ``ValidationError`` that the view places next to the right row.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from communities.models import Cadence, Duty
from communities.services import DUTY_FIELDS


class DutyForm(forms.Form):
    """One row of the duty list. Nothing is required here: an untouched extra row
    must stay untouched, and the service names what a kept row is missing."""

    number = forms.IntegerField(
        label=_("No."),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric", "class": "num"}),
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    by_community = forms.BooleanField(label=_("Community"), required=False)
    by_committee = forms.BooleanField(label=_("Owners' committee"), required=False)
    by_company = forms.BooleanField(label=_("Property company"), required=False)
    # A blank first choice, so that an empty extra row submits nothing and is skipped.
    cadence = forms.ChoiceField(label=_("Cadence"), required=False, choices=[("", "—"), *Cadence.choices])

    def item(self) -> dict:
        """The row in the shape ``duty_list_revise`` takes."""
        return {name: self.cleaned_data.get(name) for name in DUTY_FIELDS}

    @staticmethod
    def initial_for(duty: Duty) -> dict:
        return {name: getattr(duty, name) for name in DUTY_FIELDS}


class BaseDutyFormSet(forms.BaseFormSet):
    def kept_forms(self) -> list[DutyForm]:
        """The rows to submit, in page order: every row that was on the list (a row
        emptied by mistake must be reported, not silently dropped) and every extra
        row the user filled in; minus the rows ticked for removal."""
        kept = []
        for index, form in enumerate(self.forms):
            if self.can_delete and self._should_delete_form(form):
                continue
            if index < self.initial_form_count() or form.has_changed():
                kept.append(form)
        return kept


DutyFormSet = forms.formset_factory(DutyForm, formset=BaseDutyFormSet, extra=1, can_delete=True)
DUTY_FORMSET_PREFIX = "duties"


class DutyRevisionForm(forms.Form):
    """Why the list changes. The service refuses a blank reason; the browser is told
    too, so that people on a phone find out before they submit."""

    reason = forms.CharField(
        label=_("Reason for this revision"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"required": True}),
        help_text=_("Shown in the version history, e.g. “joint meeting of 12 March agreed item 14”."),
    )
    # The version the form was opened on: saving over a version someone else saved
    # meanwhile must be a deliberate second submit, not an accident.
    based_on = forms.IntegerField(required=False, widget=forms.HiddenInput)


def place_duty_errors(
    exc: ValidationError, *, rows: list[DutyForm], reason_form: DutyRevisionForm
) -> list[str]:
    """Put a ``duty_list_revise`` error where it belongs: ``duties[i]`` on the i-th
    submitted row, ``reason`` on the reason field. Returns the errors about the list
    as a whole (``duties``, or anything unexpected) for the top of the formset."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    list_errors: list[str] = []
    for key, errors in exc.message_dict.items():
        if key == "reason":
            reason_form.add_error("reason", errors)
        elif key.startswith("duties[") and key.endswith("]"):
            try:
                rows[int(key[len("duties[") : -1]) - 1].add_error(None, errors)
            except (ValueError, IndexError):
                list_errors.extend(errors)
        else:  # "duties", NON_FIELD_ERRORS, or a key this page does not know
            list_errors.extend(errors)
    return list_errors


class UnitImportUploadForm(forms.Form):
    """The roster file; what is in it is the service's to judge (``units_import_plan``)."""

    file = forms.FileField(
        label=_("Units file (CSV or XLSX)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        help_text=_("Columns 楼栋, 单元, 房号, 建筑面积; optional 业主姓名 and 业主电话."),
    )


class UnitImportConfirmForm(forms.Form):
    """Confirms the file that was previewed: the digest must be the one shown."""

    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
