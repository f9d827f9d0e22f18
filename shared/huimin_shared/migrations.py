"""Alembic plumbing shared by the three services' migration histories.

Each service keeps its own history in ``huimin_<name>/migrations``; its ``env.py`` calls
``run_migrations(metadata)``. Programs (the CLI, the run command, tests) call ``upgrade``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from huimin_shared.db import async_url


def alembic_config(script_location: str, database_url: str | None = None) -> Config:
    """``script_location`` in package form, e.g. ``huimin_eligibility:migrations``."""
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("path_separator", "os")
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


def head_revision(script_location: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(script_location)).get_current_head()


def upgrade(script_location: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, database_url), revision)


def downgrade(script_location: str, database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(script_location, database_url), revision)


def _run_with_connection(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_with_connection, metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations(metadata: MetaData, settings_url: str | None) -> None:
    """Body of every service's ``env.py`` (online mode only: the suite never writes SQL scripts).

    The URL comes from the caller (``upgrade``) or, for plain ``alembic``, the service settings.
    """
    config = context.config
    connection: Any = config.attributes.get("connection")
    if connection is not None:
        _run_with_connection(connection, metadata)
        return
    url = config.attributes.get("database_url") or settings_url
    if not url:
        raise RuntimeError("no database URL: set the service's *_DATABASE_URL")
    asyncio.run(_run_async(url, metadata))
