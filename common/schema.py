"""The OpenAPI schema class (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``); apart from
``common.api`` because drf-spectacular's module imports DRF's views, which read the
pagination class from ``common.api``."""

from __future__ import annotations

from drf_spectacular import openapi as drf_spectacular_openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from common.api import ErrorSerializer


class AutoSchema(drf_spectacular_openapi.AutoSchema):
    """drf-spectacular's schema, plus the 403 every operation behind a log-in answers to an
    anonymous caller (DRF's ``IsAuthenticated``), in the one error shape, so the document
    says what the API does even where a view documents only its own refusals."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response" and "403" not in responses and self._needs_log_in():
            responses["403"] = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description="Not logged in (or not allowed)."), "403"
            )
        return responses

    def _needs_log_in(self) -> bool:
        return any(not isinstance(p, AllowAny) for p in self.view.get_permissions())
