"""The ``jobs`` table a service adds to its metadata, and a job row as a value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
