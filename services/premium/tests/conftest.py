"""Fixtures for the premium service's tests, on a PostgreSQL database of this worker's own."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from huimin_premium.app import MIGRATIONS, create_app
from huimin_premium.settings import PremiumSettings
from huimin_shared.db import create_engine
from huimin_shared.testing import api_client, rolled_back_session, service_database


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    async with service_database("premium", MIGRATIONS) as url:
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose work is rolled back after the test."""
    async with rolled_back_session(engine) as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> PremiumSettings:
    # Short leases and polls so a test sees an interrupted job taken over soon; no test asserts timing.
    return PremiumSettings(
        database_url=database_url,
        environment="test",
        jobs_lease_seconds=5,
        jobs_heartbeat_seconds=0.5,
        jobs_poll_seconds=0.2,
    )


@pytest.fixture
async def client(settings: PremiumSettings, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI; every request shares the test's rolled-back session."""
    async with api_client(create_app(settings), session) as client:
        yield client


@pytest.fixture
async def live_client(settings: PremiumSettings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI with real commits: assessment runs commit in chunks from background tasks.

    Assessment rows and pack versions published through the API are removed afterwards (this worker's
    database only), so a later test on the worker prices with the shipped packs; shipped packs stay loaded.
    """
    try:
        async with api_client(create_app(settings)) as client:
            yield client
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE assessments, assessment_runs, jobs CASCADE"))
            # Pack versions a test published (committed) must not price the next test's quotes.
            await connection.execute(text("DELETE FROM packs WHERE source <> 'shipped'"))
