"""Form pieces shared by every app."""

from __future__ import annotations

from django import forms


class IsoDateInput(forms.DateInput):
    """A browser date picker whose value is always ISO ``YYYY-MM-DD``.

    ``<input type="date">`` accepts only ISO dates; with the default widget Django formats
    the value in the active locale (``2026/12/02`` under zh-hans), the browser shows an
    empty field, and saving the form unchanged erases the date. Every date field of a
    form uses this widget."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
