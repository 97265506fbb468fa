"""The OpenAPI schema is valid, documents the one error shape, and the API keeps to it.

The schemathesis run is in-process (WSGI) against the public read endpoints; it is
bounded (few examples, derandomised, no example database) so it stays fast and
reproducible in CI.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from config.wsgi import application

# The operations of communities/api.py; other apps document their own.
OPERATIONS = {
    "compound_list",
    "compound_retrieve",
    "compound_me",
    "building_list",
    "building_create",
    "building_retrieve",
    "unit_list",
    "unit_create",
    "unit_retrieve",
    "unit_update",
    "duty_list_current",
    "duty_list_revise",
    "duty_list_version_list",
    "duty_list_version_retrieve",
    "membership_list",
    "membership_create",
    "membership_retrieve",
    "membership_end",
}
PUBLIC_READS = [
    "compound_list",
    "compound_retrieve",
    "duty_list_current",
    "duty_list_version_list",
    "duty_list_version_retrieve",
]


def test_schema_endpoint_serves_valid_openapi(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)  # drf-spectacular's OpenAPI 3 validation; raises on error
    assert schema["openapi"].startswith("3.")
    as_json = client.get("/api/schema/", {"format": "json"})
    assert as_json.status_code == 200
    assert as_json.json()["paths"].keys() == schema["paths"].keys()


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn: an unannotated view, an unresolvable field or an enum clash fails CI.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def _our_operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if operation["operationId"] in OPERATIONS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_documents_the_error_shape(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"message", "extra"}
    assert "fields" in schema["components"]["schemas"]["ErrorExtra"]["properties"]
    ours = dict(_our_operations(schema))
    assert {op["operationId"] for op in ours.values()} == OPERATIONS
    for name, operation in ours.items():
        errors = {code: r for code, r in operation["responses"].items() if code.startswith("4")}
        assert "404" in errors, f"{name} does not document 404"
        if operation["operationId"] not in PUBLIC_READS:
            assert "403" in errors, f"{name} does not document 403"
        for code, documented in errors.items():
            ref = documented["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Error", f"{name} {code}"


def test_only_the_public_reads_admit_anonymous_callers(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for name, operation in _our_operations(schema):
        anonymous_allowed = {} in operation.get("security", [])
        assert anonymous_allowed == (operation["operationId"] in PUBLIC_READS), name


def test_docs_page_is_served_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert not re.search(r"(cdn\.|jsdelivr|unpkg|cdnjs|googleapis)", html), "the docs page must not use a CDN"
    referenced = re.findall(r"/static/(drf_spectacular_sidecar/[^\"'?]+)", html)
    assert referenced
    for relative in referenced:
        assert finders.find(relative), f"{relative} is referenced but not shipped"


# --------------------------------------------------------------------------- schemathesis


@pytest.fixture
def keep_connection_open():
    """Django's test client stops the request signals from closing the database
    connection; schemathesis calls the WSGI app directly, so do the same here —
    otherwise the first request would close the connection of the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_public_reads_conform_to_the_schema(world, keep_connection_open):
    """No 5xx, and every answer (status, content type, body) is what the schema says.

    Schemathesis' pytest plugin (lazy schemas) does not run under this pytest, so the
    generated cases are driven through Hypothesis directly, one operation at a time."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=EXAMPLES, database="none")
    operations = [
        result.ok() for result in schema.include(method="GET", operation_id=PUBLIC_READS).get_all_operations()
    ]
    assert sorted(op.definition.raw["operationId"] for op in operations) == sorted(PUBLIC_READS)
    for operation in operations:
        _check_operation(operation, real_slug=world.a.slug)


EXAMPLES = 12


def _check_operation(operation, *, real_slug: str) -> None:
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate()
        # Generated slugs hardly ever exist, so also ask about a real compound: the
        # 200 answers must match the schema too, not only the 404s.
        if "slug" in (case.path_parameters or {}):
            case.path_parameters["slug"] = real_slug
            if "version" in case.path_parameters:
                case.path_parameters["version"] = 1
            response = case.call_and_validate()
            paging = "page" in (case.query or {})  # a page past the end is a documented 404
            assert response.status_code == 200 or paging, response.text

    check()
