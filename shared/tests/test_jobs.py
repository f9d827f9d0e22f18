"""Durable jobs (huimin_shared.jobs) on real PostgreSQL: a job resumes from its last committed chunk, the
runner outlives its database going away and finishes the job exactly once when it is back, and a job that
keeps dying is failed once with its clean-up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Column, Integer, Table, Text, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from huimin_shared import db, jobs
from huimin_shared.errors import DependencyUnavailable
from huimin_shared.settings import JobSettings
from huimin_shared.testing import empty_database, free_port

SHORT = JobSettings(lease_seconds=1.0, heartbeat_seconds=0.2, poll_seconds=0.1, max_attempts=3)
CHUNKS = 6

metadata = db.new_metadata()
jobs.jobs_table(metadata)
lines = Table(
    "job_lines", metadata, Column("job_id", Integer), Column("chunk", Integer), Column("note", Text)
)


class Outage:
    """A TCP proxy in front of PostgreSQL that can be cut (every connection dropped, new ones refused) and
    restored on the same port: the database "dies" and comes back, with nothing mocked."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self.server = await asyncio.start_server(self._connect, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.pipes):
            writer.transport.abort()
        await self.server.wait_closed()
        self.server = None

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.pipes.update({writer, upstream_writer})

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()
            self.pipes.discard(sink)

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@pytest.fixture
async def database() -> AsyncIterator[str]:
    async with empty_database("jobs") as url:
        engine = db.create_engine(url, pool_size=2)
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        await engine.dispose()
        yield url


class Chunks:
    """A job that writes CHUNKS lines, one per transaction with its checkpoint; it waits at ``gate`` before
    the chunk numbered ``pause_at`` (so a test can pull the plug there)."""

    def __init__(self, pause_at: int | None = None) -> None:
        self.pause_at = pause_at
        self.paused = asyncio.Event()
        self.gate = asyncio.Event()
        self.failures: list[tuple[int, str]] = []

    async def run(self, context: jobs.JobContext) -> None:
        for chunk in range(int(context.progress.get("done", 0)), CHUNKS):
            if chunk == self.pause_at and not self.gate.is_set():
                self.paused.set()
                await self.gate.wait()
            async with context.sessions() as session, session.begin():
                await session.execute(lines.insert().values(job_id=context.job.id, chunk=chunk))
                await context.checkpoint(session, {"done": chunk + 1})

    async def failed(self, session: AsyncSession, job: jobs.Job, error: str) -> None:
        await session.execute(lines.insert().values(job_id=job.id, chunk=-1, note=error))
        self.failures.append((job.id, error))

    def kind(self) -> jobs.JobKind:
        return jobs.JobKind("chunks", run=self.run, on_failure=self.failed)


async def _enqueue(engine: AsyncEngine) -> int:
    async with db.session_factory(engine)() as session, session.begin():
        return await jobs.enqueue(session, kind="chunks", key="one")


async def _until(engine: AsyncEngine, job_id: int, done: Any, timeout: float = 60.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with engine.connect() as connection:
            row = (await connection.execute(text("SELECT * FROM jobs WHERE id = :id"), {"id": job_id})).one()
        if done(row):
            return row
        assert loop.time() < deadline, f"job {job_id}: {row}"
        await asyncio.sleep(0.05)


async def _chunks_written(engine: AsyncEngine, job_id: int) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT chunk FROM job_lines WHERE job_id = :id ORDER BY chunk"), {"id": job_id}
        )
        return [chunk for (chunk,) in rows]


async def test_a_job_outlives_its_database_going_away_and_finishes_once(database: str) -> None:
    """Issue 11: the database dies mid-job. The runner neither crashes nor leaves an unretrieved task
    exception; it keeps polling, and once the database is back it takes the job up again from its last
    committed chunk and completes it once — every chunk written exactly once, the job done on attempt 2."""
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, Any]] = []
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    parsed = make_url(database)
    outage = Outage(parsed.host or "127.0.0.1", parsed.port or 5432)
    await outage.restore()
    proxied = parsed.set(host="127.0.0.1", port=outage.port).render_as_string(hide_password=False)
    direct = db.create_engine(database, pool_size=2)
    engine = db.create_engine(proxied, pool_size=2)
    work = Chunks(pause_at=3)
    runner = jobs.JobRunner(db.session_factory(engine), [work.kind()], SHORT, owner="only-process")
    try:
        job_id = await _enqueue(direct)
        runner.start()
        await asyncio.wait_for(work.paused.wait(), 60)
        await outage.cut()  # the database goes away between chunk 2 and chunk 3
        work.gate.set()
        await _until(direct, job_id, lambda row: not runner.active)  # the job's task ended, the runner lives
        await asyncio.sleep(SHORT.poll_seconds * 5)  # a few polls against the dead database
        assert runner._loop_task is not None
        assert not runner._loop_task.done()
        await outage.restore()
        finished = await _until(direct, job_id, lambda row: row.state != "running")
    finally:
        await runner.stop()
        await engine.dispose()
        loop.set_exception_handler(previous_handler)
    assert (finished.state, finished.attempts, finished.progress) == ("done", 2, {"done": CHUNKS})
    assert await _chunks_written(direct, job_id) == list(range(CHUNKS))
    await direct.dispose()
    assert not [c for c in unhandled if "never retrieved" in str(c.get("message", ""))], unhandled


async def test_a_job_that_keeps_dying_is_failed_once_with_its_clean_up(database: str) -> None:
    """Issue 11: a job whose process dies every time it runs is not retried for ever: after
    ``max_attempts`` it is marked failed once, its clean-up runs once in that transaction."""
    engine = db.create_engine(database, pool_size=2)
    try:
        job_id = await _enqueue(engine)
        async with engine.begin() as connection:  # taken and abandoned three times already
            await connection.execute(
                text(
                    "UPDATE jobs SET state = 'running', attempts = 3, lease_owner = 'dead', "
                    "lease_until = now() - interval '1 second' WHERE id = :id"
                ),
                {"id": job_id},
            )
        work = Chunks()
        first = jobs.JobRunner(db.session_factory(engine), [work.kind()], SHORT, owner="a")
        second = jobs.JobRunner(db.session_factory(engine), [work.kind()], SHORT, owner="b")
        first.start()
        second.start()
        try:
            failed = await _until(engine, job_id, lambda row: row.state != "running")
            await asyncio.sleep(SHORT.poll_seconds * 5)  # both keep polling: neither takes it again
        finally:
            await first.stop()
            await second.stop()
        assert (failed.state, failed.attempts) == ("failed", 4)
        assert "gave up after 3" in failed.error
        assert await _chunks_written(engine, job_id) == [-1]  # the clean-up ran once, no chunk ran
        assert len(work.failures) == 1
    finally:
        await engine.dispose()


def _chained(outer: Exception, inner: BaseException) -> Exception:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (_chained(RuntimeError("chunk failed"), ConnectionResetError()), True),
        (
            _chained(DependencyUnavailable("eligibility", "eligibility is down"), ConnectionResetError()),
            False,
        ),
        (_chained(httpx.ReadError("peer closed the stream"), ConnectionResetError()), False),
        (ValueError("a bad row"), False),
    ],
)
def test_only_a_database_outage_leaves_a_job_to_be_retried(error: Exception, outage: bool) -> None:
    """Issue 11: the database going away leaves the job to be taken up again; a peer service that is down
    (even over a reset connection) or bad work fails the job, as it would fail a request."""
    assert jobs.database_unavailable(error) is outage
