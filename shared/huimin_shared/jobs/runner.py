"""The jobs loop of one process: claim, run with a heartbeat, checkpoint and complete under the lease."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from huimin_shared.errors import ServiceError
from huimin_shared.idnumber import mask_in_text
from huimin_shared.jobs.store import CLAIM, FENCED, as_json, enqueue_round
from huimin_shared.jobs.table import Job
from huimin_shared.settings import JobSettings

log = structlog.get_logger(__name__)


class LeaseLost(RuntimeError):
    """Another process holds the job now (this one's lease lapsed): its chunk must not be committed."""


def new_owner() -> str:
    """A name for this process's leases, unique across hosts and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached (not that the job's work is wrong, nor that a
    peer service could not be: a job whose peer is down fails, as a request would)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, httpx.HTTPError | ServiceError):
            return False
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OSError | ConnectionError | TimeoutError):
            return True
        name = type(current).__name__
        if name in {
            "ConnectionDoesNotExistError",
            "CannotConnectNowError",
            "AdminShutdownError",
            "ConnectionFailureError",
            "InterfaceError",
            "InternalClientError",
        }:
            return True
        current = current.__cause__ or current.__context__
    return False


@dataclass
class JobContext:
    """What a handler gets: its job as claimed, and the fenced writes it makes in its own transactions."""

    job: Job
    owner: str
    sessions: async_sessionmaker[AsyncSession]
    completed: bool = False
    lease_lost: bool = False

    @property
    def progress(self) -> dict[str, Any]:
        return self.job.progress

    async def checkpoint(self, session: AsyncSession, progress: Mapping[str, Any]) -> None:
        """Record progress in the caller's transaction, which holds the chunk it describes; raises
        ``LeaseLost`` (so the caller rolls the chunk back) if another process holds the job now."""
        result = await session.execute(
            text(
                "UPDATE jobs SET progress = CAST(:progress AS jsonb), heartbeat_at = now() "
                + FENCED
                + " RETURNING id"
            ),
            {"progress": as_json(progress), "id": self.job.id, "owner": self.owner},
        )
        if result.first() is None:
            raise LeaseLost(f"job {self.job.id} is no longer leased to {self.owner}")

    async def complete(self, session: AsyncSession, progress: Mapping[str, Any] | None = None) -> None:
        """Mark the job done in the caller's transaction, the one holding its last effect: done once."""
        result = await session.execute(
            text(
                "UPDATE jobs SET state = 'done', finished_at = now(), lease_until = NULL, "
                "progress = coalesce(CAST(:progress AS jsonb), progress), error = NULL "
                + FENCED
                + " RETURNING id"
            ),
            {
                "progress": as_json(progress) if progress is not None else None,
                "id": self.job.id,
                "owner": self.owner,
            },
        )
        if result.first() is None:
            raise LeaseLost(f"job {self.job.id} is no longer leased to {self.owner}")
        self.completed = True


Handler = Callable[[JobContext], Coroutine[Any, Any, None]]
FailureHook = Callable[[AsyncSession, Job, str], Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    """How to run one kind of job. ``on_failure`` runs in the transaction that marks the job failed."""

    name: str
    run: Handler
    on_failure: FailureHook | None = None
    every_seconds: float | None = None  # periodic: one job per round of this many seconds


@dataclass
class JobRunner:
    """The jobs loop of one process: claims what it may run, runs it with a heartbeat, never dies."""

    sessions: async_sessionmaker[AsyncSession]
    kinds: Sequence[JobKind]
    settings: JobSettings = field(default_factory=JobSettings)
    owner: str = field(default_factory=new_owner)
    active: dict[int, asyncio.Task[None]] = field(default_factory=dict, init=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _loop_task: asyncio.Task[None] | None = field(default=None, init=False)

    @property
    def _poll_seconds(self) -> float:
        """The poll interval, shortened to a periodic job's round so no round is skipped."""
        rounds = [kind.every_seconds for kind in self.kinds if kind.every_seconds]
        return min([self.settings.poll_seconds, *rounds])

    @property
    def _by_name(self) -> dict[str, JobKind]:
        return {kind.name: kind for kind in self.kinds}

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._loop(), name=f"jobs-{self.owner}")

    async def wake(self) -> None:
        """A job was just enqueued (and committed): look now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop claiming and cancel what runs: those jobs stay `running` until their lease lapses, then any
        replica resumes them from their last checkpoint."""
        tasks = [task for task in (self._loop_task, *self.active.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._enqueue_rounds()
                while len(self.active) < self.settings.concurrency:
                    job = await self._claim()
                    if job is None:
                        break
                    self._spawn(job)
            except Exception as exc:  # the database is down or restarting: poll again later
                log.warning("jobs_claim_failed", owner=self.owner, error=mask_in_text(str(exc))[:500])
            # Not wait_for: before 3.12 it swallows a cancel (stop()) that meets the wake-up of a finished job.
            waiter = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=self._poll_seconds)
            finally:
                waiter.cancel()

    async def _enqueue_rounds(self) -> None:
        periodic = [(kind.name, kind.every_seconds) for kind in self.kinds if kind.every_seconds]
        if not periodic:
            return
        async with self.sessions() as session, session.begin():
            for name, every_seconds in periodic:
                await enqueue_round(session, kind=name, every_seconds=every_seconds)

    async def _claim(self) -> Job | None:
        async with self.sessions() as session, session.begin():
            row = (
                await session.execute(
                    text(CLAIM),
                    {
                        "owner": self.owner,
                        "lease": self.settings.lease_seconds,
                        "kinds": list(self._by_name),
                        "active": list(self.active),
                    },
                )
            ).first()
        return Job.of(row) if row is not None else None

    def _spawn(self, job: Job) -> None:
        task = asyncio.create_task(self._run(job), name=f"job-{job.kind}-{job.id}")
        self.active[job.id] = task

        def finished(done: asyncio.Task[None]) -> None:
            self.active.pop(job.id, None)
            if not done.cancelled() and done.exception() is not None:  # _run catches all; this is a backstop
                log.error("job_task_crashed", job_id=job.id, error=repr(done.exception()))
            self._wake.set()

        task.add_done_callback(finished)

    async def _run(self, job: Job) -> None:
        kind = self._by_name[job.kind]
        context = JobContext(job=job, owner=self.owner, sessions=self.sessions)
        if job.attempts > self.settings.max_attempts:
            await self._fail(kind, job, f"gave up after {job.attempts - 1} interrupted attempts")
            return
        log.info("job_started", job_id=job.id, kind=job.kind, key=job.key, attempt=job.attempts)
        work = asyncio.create_task(kind.run(context), name=f"job-work-{job.id}")
        heartbeat = asyncio.create_task(self._heartbeat(context, work), name=f"job-heartbeat-{job.id}")
        try:
            await work
            if not context.completed:
                async with self.sessions() as session, session.begin():
                    await context.complete(session)
            log.info("job_done", job_id=job.id, kind=job.kind, key=job.key)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not context.lease_lost or (current is not None and current.cancelling()):
                raise  # the process is stopping: the lease lapses and another process resumes the job
            log.warning("job_lease_lost", job_id=job.id, kind=job.kind)  # heartbeat found another owner
        except LeaseLost:
            log.warning("job_lease_lost", job_id=job.id, kind=job.kind)
        except Exception as exc:
            if database_unavailable(exc):
                log.warning("job_interrupted_database_unavailable", job_id=job.id, kind=job.kind)
            else:
                log.exception("job_failed", job_id=job.id, kind=job.kind)
                await self._fail(kind, job, mask_in_text(str(exc))[:2000] or exc.__class__.__name__)
        finally:
            work.cancel()
            heartbeat.cancel()
            await asyncio.gather(work, heartbeat, return_exceptions=True)

    async def _fail(self, kind: JobKind, job: Job, error: str) -> None:
        try:
            async with self.sessions() as session, session.begin():
                marked = (
                    await session.execute(
                        text(
                            "UPDATE jobs SET state = 'failed', error = :error, finished_at = now(), lease_until = NULL "
                            + FENCED
                            + " RETURNING id"
                        ),
                        {"error": error, "id": job.id, "owner": self.owner},
                    )
                ).first()
                if marked is not None and kind.on_failure is not None:
                    await kind.on_failure(session, job, error)
        except Exception as exc:  # the database went too: the job is reclaimed and retried later
            log.warning("job_not_marked_failed", job_id=job.id, error=mask_in_text(str(exc))[:500])

    async def _heartbeat(self, context: JobContext, work: asyncio.Task[None]) -> None:
        """Renew the lease while the job runs; if another process holds it now, stop the work here."""
        job = context.job
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                async with self.sessions() as session, session.begin():
                    renewed = (
                        await session.execute(
                            text(
                                "UPDATE jobs SET lease_until = now() + make_interval(secs => :lease), "
                                "heartbeat_at = now() " + FENCED + " RETURNING id"
                            ),
                            {"lease": self.settings.lease_seconds, "id": job.id, "owner": self.owner},
                        )
                    ).first()
            except Exception as exc:  # a lapse only lets another process resume it from its checkpoint
                log.warning("job_lease_not_renewed", job_id=job.id, error=mask_in_text(str(exc))[:500])
                continue
            if renewed is None:
                context.lease_lost = True
                work.cancel()
                return
