"""Audit events, written by services inside their own transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.db import models, transaction
from django.db.models.fields.files import FieldFile

from common.request_context import current_client_ip
from communities.models import AuditEvent


def _jsonable(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, FieldFile):
        return value.name or None
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """The audit-relevant state of a model instance as JSON-safe values."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    out = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = _jsonable(value.pk if isinstance(value, models.Model) else value)
    return out


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    compound=None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Write one audit event. Must run inside the service's transaction, so the event
    exists exactly when the change does."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the service's transaction")
    if after is None and obj.pk is not None:
        after = snapshot(obj)
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        compound=compound,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        ip_address=current_client_ip(),
    )
