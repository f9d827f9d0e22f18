"""Statements on the ``jobs`` table: the claim and the lease fence the runner uses, enqueueing, and the
reads the API makes under a token's region rule."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_shared import areas
from huimin_shared.auth import Principal
from huimin_shared.jobs.table import Job

COLUMNS = ", ".join(Job.__dataclass_fields__)

CLAIM = f"""
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
RETURNING {COLUMNS}
"""  # a job whose lease this process holds but no task runs (the database cut it off) is retaken at once

FENCED = "WHERE id = :id AND state = 'running' AND lease_owner = :owner"


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
        {"kind": kind, "key": key, "payload": as_json(payload or {}), "region": region},
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


def as_json(value: Mapping[str, Any]) -> str:
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
            text(f"SELECT {COLUMNS} FROM jobs WHERE id = :id AND kind = ANY(:kinds) AND {where}"),
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
            f"SELECT {COLUMNS} FROM jobs WHERE kind = ANY(:kinds) AND {where} "
            "AND (CAST(:state AS text) IS NULL OR state = :state) "
            "AND (CAST(:before AS bigint) IS NULL OR id < :before) ORDER BY id DESC LIMIT :limit"
        ),
        {"kinds": list(kinds), "state": state, "before": before, "limit": limit, **params},
    )
    return [Job.of(row) for row in rows]


async def job_for(session: AsyncSession, kind: str, key: str) -> Job | None:
    row = (
        await session.execute(
            text(f"SELECT {COLUMNS} FROM jobs WHERE kind = :kind AND key = :key"), {"kind": kind, "key": key}
        )
    ).first()
    return Job.of(row) if row is not None else None
