"""Schemathesis fuzzing of the OpenAPI schema: no input produces a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings as hypothesis_settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402

from api.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def fuzzed_app(family_dev_weights, settings, tmp_path_factory):
    # schemathesis runs the app's lifespan itself, once, before any case (models loaded); a second
    # lifespan here would open a second store on the data folder, which its lock refuses.
    return create_app(settings.model_copy(update={"data": tmp_path_factory.mktemp("fuzz-data")}), family_dev_weights)


@pytest.mark.slow  # schemathesis: 20 cases for every operation
def test_no_input_produces_a_server_error(fuzzed_app):
    """Every operation, with inputs generated from the schema (bounded: a few dozen each)."""
    from hypothesis import given

    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        # derandomize: CI runs the same cases every time (a red CI must mean a bug, not bad luck).
        @hypothesis_settings(
            max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
        )
        def run(case):
            case.call_and_validate(checks=[not_a_server_error])

        run()
