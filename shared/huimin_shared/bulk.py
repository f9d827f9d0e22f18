"""Bulk SQL: the one way the services move many rows (issue 12).

Every bulk path works on asyncpg's own connection *inside* the SQLAlchemy session's transaction, so a
COPY commits or rolls back with the rest of the request, and rows arrive without SQLAlchemy's per-row
processing:

- ``copy_records`` / ``copy_csv``: COPY rows in;
- ``copy_stream``: COPY in straight from an async byte stream (a peer's streamed answer), unparsed;
- ``PipelinedCopy``: COPY in with one chunk in flight while the caller prepares the next;
- ``fetch_chunks``: a server-side cursor read in lists of rows;
- ``copy_query_chunks``: ``COPY (query) TO STDOUT`` as byte chunks, with backpressure;
- ``ReadSessionDep``: a read-only, repeatable-read session that lives until a streamed response is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from typing import IO, Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_shared.app import runtime_of


async def driver_connection(session: AsyncSession) -> Any:
    """asyncpg's connection under ``session``, its transaction begun (a cursor needs one)."""
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    if raw is None:  # only after the session's connection was invalidated
        raise RuntimeError("the session has no database connection")
    if not raw.is_in_transaction():  # SQLAlchemy begins lazily
        await session.execute(text("SELECT 1"))
    return raw


async def copy_records(
    session: AsyncSession, table: str, records: Iterable[Sequence[Any]], columns: Sequence[str]
) -> None:
    """COPY Python tuples into ``table`` (binary format: one round trip for thousands of rows)."""
    raw = await driver_connection(session)
    await raw.copy_records_to_table(table, records=records, columns=list(columns))


async def copy_csv(session: AsyncSession, table: str, source: IO[bytes], columns: Sequence[str]) -> None:
    """COPY CSV text (no header) into ``table``."""
    raw = await driver_connection(session)
    await raw.copy_to_table(table, source=source, columns=list(columns), format="csv")


# COPY options that take each line of the input whole, as one text field: CSV whose delimiter and quote
# are control characters that the input never holds (JSON escapes every control character), so nothing
# in a line is split, unquoted or unescaped. A blank line arrives as NULL.
WHOLE_LINES: dict[str, str] = {"format": "csv", "delimiter": "\x1f", "quote": "\x1e"}


async def copy_stream(
    session: AsyncSession,
    table: str,
    chunks: AsyncIterable[bytes],
    columns: Sequence[str],
    **options: str,
) -> int:
    """COPY an async stream of bytes into ``table`` as it arrives (``options`` are COPY's: ``format``,
    ``delimiter``, ``quote``…; ``WHOLE_LINES`` takes each line as one field). Returns the rows copied. An
    error raised by the stream aborts the COPY and is raised here."""
    raw = await driver_connection(session)
    status = await raw.copy_to_table(table, source=chunks, columns=list(columns), **options)
    return int(str(status).rsplit(" ", 1)[-1])


class PipelinedCopy:
    """COPY into one table with one chunk in flight while the caller prepares the next: PostgreSQL stores
    chunk n on the other core while Python builds chunk n + 1. ``flush`` before reading what was written."""

    def __init__(self, driver: Any, table: str, columns: Sequence[str]) -> None:
        self._driver = driver
        self._table = table
        self._columns = list(columns)
        self._in_flight: asyncio.Future[Any] | None = None

    @classmethod
    async def open(cls, session: AsyncSession, table: str, columns: Sequence[str]) -> PipelinedCopy:
        return cls(await driver_connection(session), table, columns)

    async def write(self, records: Sequence[Sequence[Any]]) -> None:
        await self.flush()
        if records:
            self._in_flight = asyncio.ensure_future(
                self._driver.copy_records_to_table(self._table, records=records, columns=self._columns)
            )

    async def flush(self) -> None:
        if self._in_flight is not None:
            task, self._in_flight = self._in_flight, None
            await task

    async def abandon(self) -> None:
        """On failure: let the chunk in flight finish (the transaction is rolled back anyway)."""
        if self._in_flight is not None:
            with contextlib.suppress(Exception):
                await self._in_flight
            self._in_flight = None


async def fetch_chunks(
    session: AsyncSession, query: str, *args: Any, batch: int = 10_000
) -> AsyncIterator[list[Any]]:
    """The rows of ``query`` through a server-side cursor, in lists of up to ``batch``."""
    raw = await driver_connection(session)
    cursor = await raw.cursor(query, *args)
    while rows := await cursor.fetch(batch):
        yield rows


async def fetch_all(session: AsyncSession, query: str, *args: Any) -> list[Any]:
    """All rows of a small query, without SQLAlchemy's per-row processing."""
    raw = await driver_connection(session)
    return list(await raw.fetch(query, *args))


async def copy_query_chunks(
    session: AsyncSession, query: str, *args: Any, chunk: int = 1 << 20
) -> AsyncIterator[bytes]:
    """``COPY (query) TO STDOUT`` in chunks of about ``chunk`` bytes, read as the consumer asks (a bounded
    queue holds back a slow reader). The COPY's error, if any, is raised after the data before it."""
    raw = await driver_connection(session)
    received: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)

    async def copy() -> None:
        try:
            await raw.copy_from_query(query, *args, output=received.put)
        finally:
            await received.put(None)

    task = asyncio.create_task(copy())
    try:
        buffer: list[bytes] = []
        size = 0
        while (data := await received.get()) is not None:
            buffer.append(data)
            size += len(data)
            if size >= chunk:
                yield b"".join(buffer)
                buffer, size = [], 0
        await task  # raises what the COPY raised
        if buffer:
            yield b"".join(buffer)
    finally:
        if not task.done():
            # The reader went away mid-COPY: the connection is still in COPY-out state, so stop the task
            # and discard the connection (the server then ends the query) instead of returning it.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            await (await session.connection()).invalidate()


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """``SessionDep`` commits and closes before the response starts (right for writes) and so would close
    a cursor under a StreamingResponse; this one has the default scope: FastAPI closes it after the last
    chunk is sent. One snapshot for the whole stream, read-only."""
    async with runtime_of(request).sessions() as session:
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        try:
            yield session
        finally:
            await session.rollback()


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]
