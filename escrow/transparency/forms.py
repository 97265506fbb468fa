"""Forms of the disclosure pages. They parse input only; which quarter may be disclosed,
published, corrected or reopened is the services' rule (``escrow.transparency.services``),
and their refusals come back onto these forms' fields."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.periods import previous_quarter
from escrow.models import CORRECTION_REASON_MAX_CHARS

QUARTER_CHOICES = [
    (1, _("Q1 (January–March)")),
    (2, _("Q2 (April–June)")),
    (3, _("Q3 (July–September)")),
    (4, _("Q4 (October–December)")),
]


class DisclosureRequestForm(forms.Form):
    """Ask for a past quarter's disclosure."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label=_("Quarter"), choices=QUARTER_CHOICES, coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        # The quarter that ended last is what an official usually asks for.
        year, quarter = previous_quarter(today)
        self.fields["year"].initial = year
        self.fields["quarter"].initial = quarter


class ConfirmedForm(forms.Form):
    """An action that cannot be taken back: the official ticks that they mean it."""

    confirm_label = ""
    # Several of these forms share a page: their element ids must differ.
    id_prefix = "action"
    confirm = forms.BooleanField(required=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = self.confirm_label
        self.fields["confirm"].error_messages["required"] = _("Tick the box to confirm.")


class PublishForm(ConfirmedForm):
    id_prefix = "publish"
    confirm_label = _(
        "I have checked the figures. Publish this disclosure: anyone can then read it, "
        "members are told, and it cannot be unpublished (only corrected)."
    )


class ReasonForm(ConfirmedForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    field_order = ["reason", "confirm"]


class CorrectForm(ReasonForm):
    id_prefix = "correct"
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=CORRECTION_REASON_MAX_CHARS,
        help_text=_("Published with the correction for anyone to read; no personal details."),
    )
    confirm_label = _(
        "Issue a corrected version. This version stays visible, marked as superseded, "
        "and the reason is published with the correction."
    )


class ReopenForm(ReasonForm):
    id_prefix = "reopen"
    confirm_label = _(
        "Reopen the books for this quarter so correcting entries can be posted. The reason "
        "is recorded in the audit log; issue a corrected disclosure afterwards."
    )
