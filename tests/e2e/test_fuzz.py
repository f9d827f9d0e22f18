"""Every route, fuzzed from its own OpenAPI description by schemathesis: no input gets a 500.

The three services run as processes on databases of their own (the fuzzer writes nonsense), with a
token that carries every role, so generated requests get past authentication to the code below it.
"""

from collections.abc import Iterator
from contextlib import AsyncExitStack

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

from .suite import SERVICES, WAIT, Suite, databases, free_port

EVERY_ROLE = bearer(*Role, subject="fuzzer")


@pytest.fixture(scope="module")
async def fuzz_databases() -> Iterator[dict[str, str]]:
    async with AsyncExitStack() as stack:
        yield await databases(stack, prefix="fuzz")


@pytest.fixture(scope="module")
def fuzz_suite(fuzz_databases: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    running = Suite(
        ports={s: free_port() for s in SERVICES},
        database_urls=fuzz_databases,
        log_dir=tmp_path_factory.mktemp("fuzz-logs"),
    )
    try:
        for service in SERVICES:
            running.start(service)
        yield running
    finally:
        running.stop_all()


FUZZ = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,  # the same inputs on every run: a failure reproduces
    suppress_health_check=list(HealthCheck),
)


def _server_errors(schema: schemathesis.BaseSchema) -> list[str]:
    """Run every operation's generated cases; collect the first 500 of each operation."""
    found: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=EVERY_ROLE, timeout=WAIT)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} answered {response.status_code}: {response.text[:300]}"
            )

        try:
            call()
        except AssertionError as failure:
            found.append(str(failure).splitlines()[0])
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_no_input_gives_a_500(fuzz_suite: Suite, service: str) -> None:
    schema = schemathesis.openapi.from_url(fuzz_suite.url(service) + "/openapi.json")
    assert _server_errors(schema) == []
