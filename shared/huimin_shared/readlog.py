"""Who read whose personal figures (DRS-8): the ``read_log`` table each service keeps in its own database
(premium and settlement; eligibility's log also serves its audit), its one write and its one read.

Like ``jobs``: platform, no business rule. A service adds ``read_log_table(Base.metadata)`` and creates
the table in its migrations; the reader is always the end user (``Principal.reader``: a service acting
for a user is logged as that user, ``… via service:x``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    Select,
    String,
    Table,
    insert,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_shared.auth import Principal
from huimin_shared.errors import Forbidden


def read_log_table(metadata: MetaData) -> Table:
    """The ``read_log`` table in a service's own metadata: one row per person per read."""
    return Table(
        "read_log",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("id_number", String(18), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("reader", String(200), nullable=False),
        Column("role", String(200), nullable=False),
        Column("purpose", String(64), nullable=False),
        Index("ix_read_log_id_number_at", "id_number", "at"),
    )


class ReadEntryOut(BaseModel):
    at: datetime
    reader: str = Field(
        description="Who read: the end user (a service acting for a user is logged as the user)."
    )
    role: str = Field(description="The reader's role(s), `… via service:x` when a service acted for them.")
    purpose: str = Field(description="What was read: quote, assessment_lines, batch_lines, trace …")


class ReadLogOut(BaseModel):
    id_number: str
    reads: list[ReadEntryOut]


def ensure_own(principal: Principal, id_number: str) -> None:
    """A resident token reads the resident's own records only."""
    own = principal.own_id_number
    if own is not None and own != id_number:
        raise Forbidden("a resident token reads only the resident's own records")


async def log_reads(
    session: AsyncSession, table: Table, id_numbers: Sequence[str], principal: Principal, purpose: str
) -> None:
    """One multi-row INSERT for all the people a read showed, in the read's transaction."""
    at = datetime.now(UTC)
    rows = [
        {
            "id_number": n,
            "at": at,
            "reader": principal.reader,
            "role": principal.reader_roles,
            "purpose": purpose,
        }
        for n in dict.fromkeys(id_numbers)
    ]
    if rows:
        await session.execute(insert(table).values(rows))


async def log_bulk_reads(
    session: AsyncSession, table: Table, id_numbers: Select[Any], principal: Principal, purpose: str
) -> None:
    """A streamed read: every person ``id_numbers`` selects, logged with one INSERT … SELECT."""
    people = id_numbers.order_by(None).distinct().subquery()
    rows = select(
        people.c.id_number,
        literal(datetime.now(UTC)).label("at"),
        literal(principal.reader).label("reader"),
        literal(principal.reader_roles).label("role"),
        literal(purpose).label("purpose"),
    )
    await session.execute(insert(table).from_select(["id_number", "at", "reader", "role", "purpose"], rows))


async def read_log(session: AsyncSession, table: Table, id_number: str, limit: int) -> ReadLogOut:
    """A person's log, newest first (the caller has checked who may read it)."""
    statement = (
        select(table.c.at, table.c.reader, table.c.role, table.c.purpose)
        .where(table.c.id_number == id_number)
        .order_by(table.c.at.desc(), table.c.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(statement)).all()
    return ReadLogOut(
        id_number=id_number,
        reads=[ReadEntryOut(at=r.at, reader=r.reader, role=r.role, purpose=r.purpose) for r in rows],
    )
