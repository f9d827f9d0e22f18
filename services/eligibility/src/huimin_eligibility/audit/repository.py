"""Writes and reads of the audit log and the read log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.audit.models import AuditEntry, ReadEntry
from huimin_eligibility.residents.repository import readable_audit
from huimin_shared.auth import Principal


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self,
        *,
        at: datetime,
        actor: str,
        roles: str,
        action: str,
        entity: str,
        entity_id: str,
        details: dict[str, Any],
    ) -> None:
        await self.session.execute(
            insert(AuditEntry).values(
                at=at,
                actor=actor,
                roles=roles,
                action=action,
                entity=entity,
                entity_id=entity_id,
                details=details,
            )
        )

    async def record_reads(
        self, id_numbers: Sequence[str], *, at: datetime, reader: str, role: str, purpose: str
    ) -> None:
        """One multi-row INSERT for a bulk look-up."""
        if not id_numbers:
            return
        rows = [
            {"id_number": number, "at": at, "reader": reader, "role": role, "purpose": purpose}
            for number in dict.fromkeys(id_numbers)
        ]
        await self.session.execute(insert(ReadEntry).values(rows))

    async def list_entries(
        self,
        *,
        entity: str | None,
        entity_id: str | None,
        after_id: int | None,
        limit: int,
        principal: Principal,
    ) -> Sequence[AuditEntry]:
        """Keyset page of the entries this token may read (residents.repository.readable_audit)."""
        statement = readable_audit(select(AuditEntry).order_by(AuditEntry.id).limit(limit), principal)
        if entity is not None:
            statement = statement.where(AuditEntry.entity == entity)
        if entity_id is not None:
            statement = statement.where(AuditEntry.entity_id == entity_id)
        if after_id is not None:
            statement = statement.where(AuditEntry.id > after_id)
        return (await self.session.scalars(statement)).all()

    async def all_entries(
        self, *, entity: str | None, entity_id: str | None, principal: Principal, page: int = 5000
    ) -> AsyncIterator[AuditEntry]:
        """Every readable entry in id order, read in keyset pages (an export never holds the whole log)."""
        after: int | None = None
        while True:
            entries = await self.list_entries(
                entity=entity, entity_id=entity_id, after_id=after, limit=page, principal=principal
            )
            for entry in entries:
                yield entry
            if len(entries) < page:
                return
            after = entries[-1].id

    async def reads_of(self, id_number: str, *, limit: int) -> Sequence[ReadEntry]:
        statement = (
            select(ReadEntry)
            .where(ReadEntry.id_number == id_number)
            .order_by(ReadEntry.at.desc(), ReadEntry.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()
