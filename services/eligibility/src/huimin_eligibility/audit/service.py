"""Logging a read of personal data (DRS-8): every path that shows a person's record calls ``log_reads``,
which names the end user (the user a service acts for, verified from their own token) and writes through
the one read-log write, ``AuditRepository.record_reads``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.common import now
from huimin_shared.auth import Principal


async def log_reads(
    session: AsyncSession, id_numbers: Sequence[str], principal: Principal, purpose: str
) -> None:
    await AuditRepository(session).record_reads(
        list(id_numbers), at=now(), reader=principal.reader, role=principal.reader_roles, purpose=purpose
    )
