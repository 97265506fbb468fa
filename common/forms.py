"""Form pieces shared by every app."""

from __future__ import annotations

from django import forms

from common.errors import ApplicationError


class IsoDateInput(forms.DateInput):
    """A browser date picker whose value is always ISO ``YYYY-MM-DD``.

    ``<input type="date">`` accepts only ISO dates; with the default widget Django formats
    the value in the active locale (``2026/12/02`` under zh-hans), the browser shows an
    empty field, and saving the form unchanged erases the date. Every date field of a
    form uses this widget."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def add_service_error(form: forms.Form, exc: ApplicationError, *, field_map: dict | None = None) -> None:
    """Put a service's refusal next to the fields it names (``field_map`` renames a
    service's field to the form's), on top of the form for fields the form does not
    have, or its message on top when it names none."""
    fields = (exc.extra or {}).get("fields") or {}
    placed = False
    for name, messages in fields.items():
        target = (field_map or {}).get(name, name)
        target = target if target in form.fields else None
        for message in messages or [exc.message]:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
