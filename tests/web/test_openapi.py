"""Property-based: schemathesis sends what the OpenAPI schema allows, and what it does
not, to every API operation; the app must answer each without a server error, with a
documented status and content type, and a body that fits the schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

CONFIG = SchemathesisConfig.from_dict(
    # Any 4xx refuses bad data: a body over 1 MB is rightly 413, not 422.
    {"checks": {"negative_data_rejection": {"expected-statuses": ["4XX"]}}}
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def api_schema(web_app: Any, ticket: int) -> Any:
    """The app's schema, on a helpdesk with one ticket (#1001) to work on."""
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", web_app, config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex="^/api/v1/")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_never_fails_and_keeps_to_its_schema(case: Any, api_key: str) -> None:
    # A case whose headers were made invalid on purpose (say, without the Authorization
    # header) is sent as generated; the key would otherwise repair it.
    headers = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    negative = headers is not None and headers.mode == GenerationMode.NEGATIVE
    auth = {} if negative else {"Authorization": f"Bearer {api_key}"}
    case.call_and_validate(headers=auth, checks=CHECKS)
