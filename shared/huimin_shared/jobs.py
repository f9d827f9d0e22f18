"""Durable background jobs: rows in the service's own ``jobs`` table that any live replica runs.

A job is a row (kind, key, payload, state, progress) with a lease: the process running it is its
``lease_owner`` until ``lease_until`` and renews the lease by heartbeat while it works. Any process of
the service claims a queued job, or a running one whose lease lapsed (its process died), with
``FOR UPDATE SKIP LOCKED`` so two replicas never take the same row. A handler commits its work in
chunks and records, in the same transaction, where it got to (``checkpoint``); a reclaimed job resumes
from its last committed chunk. Every checkpoint and the completion are fenced by the lease — an UPDATE
``WHERE lease_owner = me`` in the chunk's own transaction — so a process that lost its lease (paused
past it, or cut off) cannot commit a chunk twice or complete a job another process completed.

A job fails (``failed``, once, with the handler's ``on_failure`` clean-up in the same transaction) when
its handler raises; when the database is unreachable the job is left to be reclaimed instead, and the
runner keeps polling until the database is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

import httpx
import structlog
from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from huimin_shared import areas
from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.errors import NotFound, ServiceError, problem_responses
from huimin_shared.idnumber import mask_in_text
from huimin_shared.settings import JobSettings

log = structlog.get_logger(__name__)

STATES = ("queued", "running", "done", "failed")


def jobs_table(metadata: MetaData) -> Table:
    """The ``jobs`` table in a service's own metadata (each service creates it in its migrations)."""
    return Table(
        "jobs",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("kind", Text, nullable=False, doc="What the job does, e.g. `assessment_run`."),
        Column("key", Text, nullable=False, doc="What it is about; one job per kind and key."),
        Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("region", Text, doc="Region of the resource the job works on; null for city-wide jobs."),
        Column("state", Text, nullable=False, server_default=text("'queued'")),
        Column("progress", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("lease_owner", Text, doc="The process (host:pid:nonce) running it, or that finished it."),
        Column("lease_until", DateTime(timezone=True)),
        Column("heartbeat_at", DateTime(timezone=True)),
        Column("error", Text),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        Column("started_at", DateTime(timezone=True)),
        Column("finished_at", DateTime(timezone=True)),
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
        UniqueConstraint("kind", "key"),
        Index("ix_jobs_claimable", "id", postgresql_where=text("state IN ('queued', 'running')")),
    )


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    region: str | None
    state: str
    progress: dict[str, Any]
    attempts: int
    lease_owner: str | None
    lease_until: datetime | None
    heartbeat_at: datetime | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> Job:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


class LeaseLost(RuntimeError):
    """Another process holds the job now (this one's lease lapsed): its chunk must not be committed."""


class JobOut(BaseModel):
    """A background job and how far it got."""

    id: int
    kind: str = Field(description="What the job does (`assessment_run`, `pending_expiry`, `import`).")
    key: str = Field(description="What it is about (a run id, a sweep round, an import id).")
    region: str | None = Field(description="Region of the resource it works on; null when city-wide.")
    state: str = Field(description="`queued`, `running`, `done` or `failed`.")
    progress: dict[str, Any] = Field(description="Its last committed chunk: counts and where it resumes.")
    attempts: int = Field(description="How many times a process took it (more than 1: it was resumed).")
    lease_owner: str | None = Field(
        description="The process (host:pid:nonce) running it, or the one that finished it."
    )
    lease_until: datetime | None = Field(description="While running: when another process may take it.")
    heartbeat_at: datetime | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        values = {name: getattr(job, name) for name in cls.model_fields}
        # A cursor may be a resident's ID number: shown masked, as in logs.
        values["progress"] = {
            key: mask_in_text(value) if isinstance(value, str) else value
            for key, value in job.progress.items()
        }
        return cls(**values)


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


# --- statements ------------------------------------------------------------------------------

_COLUMNS = ", ".join(Job.__dataclass_fields__)

_CLAIM = f"""
UPDATE jobs SET state = 'running', lease_owner = :owner,
    lease_until = now() + make_interval(secs => :lease), heartbeat_at = now(),
    attempts = attempts + 1, started_at = coalesce(started_at, now())
WHERE id = (
    SELECT id FROM jobs
    WHERE kind = ANY(:kinds) AND NOT id = ANY(:active)
      AND (state = 'queued'
           OR (state = 'running' AND (lease_until < now() OR lease_owner = :owner)))
    ORDER BY id
    LIMIT 1
    FOR UPDATE SKIP LOCKED)
RETURNING {_COLUMNS}
"""  # a job whose lease this process holds but no task runs (the database cut it off) is retaken at once

_FENCED = "WHERE id = :id AND state = 'running' AND lease_owner = :owner"


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    payload: Mapping[str, Any] | None = None,
    region: str | None = None,
) -> int:
    """Add a job in the caller's transaction (so it exists if and only if its cause does); one per kind and
    key: enqueueing an existing one returns its id."""
    inserted = await session.scalar(
        text(
            "INSERT INTO jobs (kind, key, payload, region) VALUES (:kind, :key, CAST(:payload AS jsonb), "
            ":region) ON CONFLICT (kind, key) DO NOTHING RETURNING id"
        ),
        {"kind": kind, "key": key, "payload": _json(payload or {}), "region": region},
    )
    if inserted is not None:
        return int(inserted)
    existing = await session.scalar(
        text("SELECT id FROM jobs WHERE kind = :kind AND key = :key"), {"kind": kind, "key": key}
    )
    return int(existing)


async def enqueue_round(
    session: AsyncSession, *, kind: str, every_seconds: float, keep_days: int = 7
) -> None:
    """A periodic job's current round (its number on the database's clock, which all replicas share): the
    first replica to get here adds it, the others find it there. Rounds older than ``keep_days`` go."""
    await session.execute(
        text(
            "INSERT INTO jobs (kind, key) "
            "SELECT :kind, floor(extract(epoch FROM now()) / :every)::bigint::text "
            "ON CONFLICT (kind, key) DO NOTHING"
        ),
        {"kind": kind, "every": every_seconds},
    )
    await session.execute(
        text(
            "DELETE FROM jobs WHERE kind = :kind AND state IN ('done', 'failed') "
            "AND finished_at < now() - make_interval(days => :days)"
        ),
        {"kind": kind, "days": keep_days},
    )


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, default=str)


def _readable(principal: Principal) -> tuple[str, dict[str, Any]]:
    """The region rule of every resource: a region-limited token reads only jobs inside its region."""
    if principal.region is None:
        return "TRUE", {}
    return "region LIKE :region_prefix", {"region_prefix": areas.prefix_of(principal.region) + "%"}


async def get_readable(
    session: AsyncSession, principal: Principal, job_id: int, kinds: Sequence[str]
) -> Job | None:
    where, params = _readable(principal)
    row = (
        await session.execute(
            text(f"SELECT {_COLUMNS} FROM jobs WHERE id = :id AND kind = ANY(:kinds) AND {where}"),
            {"id": job_id, "kinds": list(kinds), **params},
        )
    ).first()
    return Job.of(row) if row is not None else None


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    kinds: Sequence[str],
    *,
    state: str | None,
    before: int | None,
    limit: int,
) -> list[Job]:
    """Newest first, a keyset page (``before`` the last id seen)."""
    where, params = _readable(principal)
    rows = await session.execute(
        text(
            f"SELECT {_COLUMNS} FROM jobs WHERE kind = ANY(:kinds) AND {where} "
            "AND (CAST(:state AS text) IS NULL OR state = :state) "
            "AND (CAST(:before AS bigint) IS NULL OR id < :before) ORDER BY id DESC LIMIT :limit"
        ),
        {"kinds": list(kinds), "state": state, "before": before, "limit": limit, **params},
    )
    return [Job.of(row) for row in rows]


async def job_for(session: AsyncSession, kind: str, key: str) -> Job | None:
    row = (
        await session.execute(
            text(f"SELECT {_COLUMNS} FROM jobs WHERE kind = :kind AND key = :key"), {"kind": kind, "key": key}
        )
    ).first()
    return Job.of(row) if row is not None else None


# --- running -----------------------------------------------------------------------------------


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
                + _FENCED
                + " RETURNING id"
            ),
            {"progress": _json(progress), "id": self.job.id, "owner": self.owner},
        )
        if result.first() is None:
            raise LeaseLost(f"job {self.job.id} is no longer leased to {self.owner}")

    async def complete(self, session: AsyncSession, progress: Mapping[str, Any] | None = None) -> None:
        """Mark the job done in the caller's transaction, the one holding its last effect: done once."""
        result = await session.execute(
            text(
                "UPDATE jobs SET state = 'done', finished_at = now(), lease_until = NULL, "
                "progress = coalesce(CAST(:progress AS jsonb), progress), error = NULL "
                + _FENCED
                + " RETURNING id"
            ),
            {
                "progress": _json(progress) if progress is not None else None,
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)

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
                    text(_CLAIM),
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
                            + _FENCED
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
                                "heartbeat_at = now() " + _FENCED + " RETURNING id"
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


# --- the API ----------------------------------------------------------------------------------

JobState = Literal["queued", "running", "done", "failed"]


class JobList(BaseModel):
    items: list[JobOut]
    next_before: int | None = Field(description="The `before` of the next (older) page; null on the last.")


def jobs_router(kinds: Sequence[str], *roles: Role) -> APIRouter:
    """``GET /v1/jobs`` and ``GET /v1/jobs/{id}`` over this service's job kinds, for the roles that read the
    resources those jobs work on, with the resources' region rule."""
    router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
    reader = Depends(require_roles(*roles))
    what = ", ".join(f"`{kind}`" for kind in kinds)

    @router.get(
        "",
        summary="List background jobs, newest first",
        description=f"This service's durable background jobs (后台任务: {what}) with their state and progress; a "
        "region-limited token sees only the jobs of resources inside its region. Keyset pages: pass "
        "`next_before` back as `before`.",
        response_model=JobList,
        responses=problem_responses(401, 403, 422),
    )
    async def list_jobs(
        session: SessionDep,
        principal: Principal = reader,
        state: Annotated[JobState | None, Query(description="Only jobs in this state.")] = None,
        before: Annotated[
            int | None, Query(ge=1, le=2**63 - 1, description="Only jobs older than this id.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="Jobs per page, 1 to 500.")] = 100,
    ) -> JobList:
        jobs = await list_readable(session, principal, kinds, state=state, before=before, limit=limit)
        return JobList(
            items=[JobOut.of(job) for job in jobs], next_before=jobs[-1].id if len(jobs) == limit else None
        )

    @router.get(
        "/{job_id}",
        summary="Read one background job and its progress",
        description=f"One of this service's durable background jobs (后台任务: {what}): its state, attempts, lease and "
        "the progress of its last committed chunk.",
        response_model=JobOut,
        responses=problem_responses(401, 403, 404, 422),
    )
    async def get_job(
        job_id: Annotated[int, PathParam(ge=1, le=2**63 - 1, description="Job id.")],
        session: SessionDep,
        principal: Principal = reader,
    ) -> JobOut:
        job = await get_readable(session, principal, job_id, kinds)
        if job is None:
            raise NotFound(f"no job {job_id} readable with this token")
        return JobOut.of(job)

    return router
