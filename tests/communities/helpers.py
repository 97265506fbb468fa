"""Shared checks for the communities tests."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError


def row_counts() -> dict[str, int]:
    """Rows in every table of the scheme (and users), to prove a refusal wrote nothing."""
    models = [*apps.get_app_config("communities").get_models(), apps.get_model("accounts", "User")]
    return {model._meta.label: model.objects.count() for model in models}


def assert_names_field(exc_info: pytest.ExceptionInfo[ValidationError], field: str) -> None:
    """The error is keyed by ``field``, so forms and the API can show it next to it."""
    error = exc_info.value
    assert hasattr(error, "error_dict"), f"ValidationError without a field: {error.messages}"
    assert field in error.message_dict, f"expected {field!r}, got {sorted(error.message_dict)}"
    assert all(message.strip() for message in error.message_dict[field])
