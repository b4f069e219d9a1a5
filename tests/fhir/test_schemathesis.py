"""schemathesis over the FHIR part of /openapi.json: generated requests (valid and not) never get a 500."""

from collections.abc import Callable

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

EXAMPLES_PER_OPERATION = 8


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """SQLite only: the cases exercise the HTTP surface; the service tests cover both backends."""
    return sqlite_engine


def test_no_fhir_request_gets_a_server_error(
    app: FastAPI, fhir_db: Session, as_user: Callable[..., dict[str, str]]
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/fhir/")
    headers = as_user("gp-a")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        no_server_error()
