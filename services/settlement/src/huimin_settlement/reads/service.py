"""Logging reads of a person's money (batch lines, traces) and showing a person their own (DRS-8)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.reads.repository import ReadLogRepository
from huimin_settlement.reads.schemas import ReadEntryOut, ReadLogOut
from huimin_shared.auth import Principal
from huimin_shared.errors import Forbidden


async def log_reads(
    session: AsyncSession, id_numbers: Sequence[str], principal: Principal, purpose: str
) -> None:
    """Names the end user (a service acting for one is logged as that user, ``… via service:x``)."""
    await ReadLogRepository(session).record_reads(
        id_numbers,
        at=datetime.now(UTC),
        reader=principal.reader,
        role=principal.reader_roles,
        purpose=purpose,
    )


def ensure_own(principal: Principal, id_number: str) -> None:
    """A resident token reads the resident's own money only."""
    own = principal.own_id_number
    if own is not None and own != id_number:
        raise Forbidden("a resident token reads only the resident's own records")


async def read_log(session: AsyncSession, principal: Principal, id_number: str, limit: int) -> ReadLogOut:
    ensure_own(principal, id_number)
    if principal.region is not None:
        raise Forbidden("a region-limited token cannot read settlement's read log (it lists every region)")
    entries = await ReadLogRepository(session).reads_of(id_number, limit=limit)
    return ReadLogOut(
        id_number=id_number,
        reads=[ReadEntryOut(at=e.at, reader=e.reader, role=e.role, purpose=e.purpose) for e in entries],
    )
