"""Logging a read of personal data (DRS-8): every path that shows a person's record calls ``log_reads``,
which names the end user (the user a service acts for, verified from their own token) and writes through
the one read-log write, ``AuditRepository.record_reads``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import sheets
from huimin_eligibility.audit.models import AuditEntry
from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.common import now
from huimin_shared.auth import Principal


async def log_reads(
    session: AsyncSession, id_numbers: Sequence[str], principal: Principal, purpose: str
) -> None:
    await AuditRepository(session).record_reads(
        list(id_numbers), at=now(), reader=principal.reader, role=principal.reader_roles, purpose=purpose
    )


async def entries_page(
    session: AsyncSession,
    principal: Principal,
    *,
    entity: str | None,
    entity_id: str | None,
    after: int | None,
    limit: int,
) -> Sequence[AuditEntry]:
    """One keyset page of the audit entries this token may read."""
    return await AuditRepository(session).list_entries(
        entity=entity, entity_id=entity_id, after_id=after, limit=limit, principal=principal
    )


async def entries_sheet_rows(
    session: AsyncSession, principal: Principal, *, entity: str | None, entity_id: str | None
) -> AsyncIterator[Sequence[sheets.Cell]]:
    """Every readable entry as a sheet row (编号, 时间, 操作人, 角色, 操作, 对象类型, 对象编号, 详情)."""
    entries = AuditRepository(session).all_entries(entity=entity, entity_id=entity_id, principal=principal)
    async for e in entries:
        details = json.dumps(e.details, ensure_ascii=False, sort_keys=True)
        yield (e.id, e.at, e.actor, e.roles, e.action, e.entity, e.entity_id, details)
