"""Fixtures for the end-to-end tests: the suite started once per test worker."""

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from .suite import SERVICES, Suite, databases, free_port


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One group per suite of processes, so each starts on one worker only (the fuzzer's and the
    # portal's suites run on databases of their own, beside the shared one).
    own_suites = {"test_fuzz.py": "fuzz", "test_portal.py": "portal"}
    for item in items:
        if "tests/e2e" in str(item.path):
            item.add_marker(pytest.mark.e2e)
            group = own_suites.get(item.path.name, "e2e")
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
async def e2e_databases() -> AsyncIterator[dict[str, str]]:
    async with AsyncExitStack() as stack:
        yield await databases(stack)


@pytest.fixture(scope="session")
def suite(e2e_databases: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    log_dir: Path = tmp_path_factory.mktemp("e2e-logs")
    running = Suite(ports={s: free_port() for s in SERVICES}, database_urls=e2e_databases, log_dir=log_dir)
    try:
        for service in SERVICES:
            running.start(service)
        yield running
    finally:
        running.stop_all()
