"""``huimin_shared.bulk.copy_stream``: COPY straight from an async byte stream (issue 13)."""

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_shared import bulk, db
from huimin_shared.testing import empty_database


async def _chunks(*parts: bytes | Exception) -> AsyncIterator[bytes]:
    for part in parts:
        if isinstance(part, Exception):
            raise part
        yield part


async def test_whole_lines_arrive_unchanged_however_the_bytes_are_cut() -> None:
    """Each NDJSON line is one text field, byte for byte — quotes, commas, backslashes, tabs, CJK — even
    split across chunks; a blank line arrives as NULL; the row count is returned."""
    docs = [{"a": 'say "hi", \\ok\t'}, {"城市": "本溪", "n": [1, 2]}]
    body = b"".join(json.dumps(d, ensure_ascii=False).encode() + b"\n" for d in docs) + b"\n"
    async with empty_database("bulk") as url:
        engine = db.create_engine(url, pool_size=1)
        try:
            async with AsyncSession(engine) as session:
                await session.execute(text("CREATE TEMP TABLE lines (n serial, doc text)"))
                copied = await bulk.copy_stream(
                    session, "lines", _chunks(body[:7], body[7:30], body[30:]), ["doc"], **bulk.WHOLE_LINES
                )
                rows = (await session.execute(text("SELECT doc FROM lines ORDER BY n"))).scalars().all()
        finally:
            await engine.dispose()
    assert copied == 3
    assert [json.loads(r) if r is not None else None for r in rows] == [*docs, None]


async def test_a_stream_that_breaks_aborts_the_copy_with_its_own_error() -> None:
    """The stream's error is raised where the COPY was called, and nothing of it is kept."""
    async with empty_database("bulk") as url:
        engine = db.create_engine(url, pool_size=1)
        try:
            async with AsyncSession(engine) as session:
                await session.execute(text("CREATE TABLE lines (doc text)"))
                await session.commit()
                with pytest.raises(ConnectionError, match="peer went away"):
                    await bulk.copy_stream(
                        session,
                        "lines",
                        _chunks(b"{}\n", ConnectionError("peer went away")),
                        ["doc"],
                        **bulk.WHOLE_LINES,
                    )
                await session.rollback()
                assert (await session.execute(text("SELECT count(*) FROM lines"))).scalar_one() == 0
        finally:
            await engine.dispose()
