"""Schemathesis generates requests from the OpenAPI spec; none may cause a server error.

Bounded: a few examples per operation (the suite's time budget), on a seeded database, with
an admin key so requests get past authentication and reach the handlers.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from lastmile.api.auth import Role
from tests.e2e.api.conftest import Api

pytestmark = pytest.mark.storage

EXAMPLES_PER_OPERATION = 12


def test_no_generated_request_causes_a_server_error(api: Api) -> None:
    api.seed()
    app = api.client.app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = api.as_(Role.ADMIN)
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30

    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            if case.path == "/v1/plans" and isinstance(case.body, dict):
                case.body["time_limit_s"] = 0.1  # keep solves short
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")
            case.validate_response(response, checks=[not_a_server_error])

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:500])
    assert failures == []
    assert len(statuses) >= 2 * len(operations)
    assert {200, 201, 404, 422} <= set(statuses)
