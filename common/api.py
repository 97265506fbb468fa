"""API plumbing shared by every app: one error shape and the default pagination."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import ApplicationError
from common.money import AmountError, fen_to_yuan, yuan_to_fen

logger = logging.getLogger(__name__)


class ErrorExtraSerializer(serializers.Serializer):
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=gettext_lazy("Input errors by field name (e.g. “floor_area”, “duties[3]”)."),
    )
    capability = serializers.CharField(
        required=False, help_text=gettext_lazy("The capability the action needs, on a 403 for a member.")
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (see common.api.exception_handler)."""

    message = serializers.CharField(help_text=gettext_lazy("A sentence for people."))
    extra = ErrorExtraSerializer(help_text=gettext_lazy("Machine-readable detail; may be empty."))


@extend_schema_field({"type": "string", "example": "1234.50", "pattern": r"^[\d,]+(\.\d{1,2})?$"})
class YuanField(serializers.Field):
    """Money in the API: yuan as text ("1234.50", "1,234.50") in, integer fen to the
    view, yuan text out. Parsed by ``common.money.yuan_to_fen``; a JSON number with a
    fraction (a binary float) is refused, never rounded."""

    default_error_messages = {"float": gettext_lazy('Give the amount as text, e.g. "1234.50".')}

    def to_internal_value(self, data):
        if isinstance(data, float):
            self.fail("float")
        if isinstance(data, bool) or not isinstance(data, str | int):
            raise serializers.ValidationError(_("Not a valid amount."))
        name = self.field_name or "amount"
        try:
            return yuan_to_fen(data, field=name)
        except AmountError as exc:
            raise serializers.ValidationError(exc.extra["fields"][name][0]) from None

    def to_representation(self, value):
        return None if value is None else str(fen_to_yuan(value))


def error_responses(descriptions: dict[int, str], *codes: int) -> dict:
    """``extend_schema(responses=…)`` entries of the one error shape for ``codes``."""
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in codes}


class DefaultPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def error_body(message: str, extra: dict | None = None) -> dict:
    return {"message": message, "extra": extra or {}}


def _fields_from_detail(detail) -> dict:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def _flatten(value) -> list[str]:
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(_flatten(item))
        return out
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _flatten(v)]
    return [str(value)]


def _summary(fields: dict) -> str:
    parts = [f"{name}: {'; '.join(messages)}" for name, messages in fields.items()]
    return " | ".join(parts) if parts else _("Invalid input.")


def exception_handler(exc, context):
    """Every failure, whatever raised it, answers ``{"message", "extra"}``."""
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.message, exc.extra), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        else:
            fields = {"non_field_errors": [str(m) for m in exc.messages]}
        return Response(error_body(_summary(fields), {"fields": fields}), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        fields = _fields_from_detail(exc.detail)
        response.data = error_body(_summary(fields), {"fields": fields})
    else:
        detail = getattr(exc, "detail", None)
        response.data = error_body(str(detail) if detail is not None else str(exc))
    return response
