"""Fixtures for the eligibility service's tests, on a PostgreSQL database of this worker's own."""

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from huimin_eligibility.app import MIGRATIONS, create_app
from huimin_eligibility.settings import EligibilitySettings
from huimin_shared.db import create_engine
from huimin_shared.testing import api_client, rolled_back_session, service_database

# --import-mode=importlib: make the helpers module next to this file importable by the tests.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    async with service_database("eligibility", MIGRATIONS) as url:
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
def settings(database_url: str) -> EligibilitySettings:
    # Benxi and Chengdu: the tests exercise the national floor (E4) on Chengdu residents.
    return EligibilitySettings(database_url=database_url, environment="test", cities=["210500", "510100"])


@pytest.fixture
async def client(settings: EligibilitySettings, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI; every request shares the test's rolled-back session."""
    app = create_app(settings)
    async with api_client(app, session) as client:
        yield client
