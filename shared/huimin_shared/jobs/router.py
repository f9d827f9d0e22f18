"""``GET /v1/jobs`` and ``GET /v1/jobs/{id}``: a service's jobs as its API shows them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.errors import NotFound, problem_responses
from huimin_shared.idnumber import mask_in_text
from huimin_shared.jobs.store import get_readable, list_readable
from huimin_shared.jobs.table import Job


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
