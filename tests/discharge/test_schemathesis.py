"""schemathesis over /api/discharge: generated requests (valid and not) never get a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.engine import Engine

EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """SQLite only: the cases exercise the HTTP surface; the service tests cover both backends."""
    return sqlite_engine


def test_no_discharge_request_gets_a_server_error(
    app: FastAPI, bearer: Callable[[str], dict[str, str]]
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/api/discharge/")
    headers = bearer("clinician")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        no_server_error()
