"""The application's error hierarchy.

Services raise these; the API turns every one of them (and Django's and DRF's own
errors) into the single shape ``{"message": str, "extra": {...}}``, and the pages show
``message`` next to the form or field named in ``extra["fields"]``.
"""

from __future__ import annotations


class ApplicationError(Exception):
    """A refusal the user can act on. ``extra`` carries machine-readable detail."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        self.extra = extra or {}


class NotFoundError(ApplicationError):
    """Missing *or* not visible to this user: the two must be indistinguishable."""

    status_code = 404


class PermissionDeniedError(ApplicationError):
    """The user can see the object but this action needs a role they lack."""

    status_code = 403


class ConflictError(ApplicationError):
    """The request clashes with the current state (e.g. an idempotency key reused)."""

    status_code = 409
