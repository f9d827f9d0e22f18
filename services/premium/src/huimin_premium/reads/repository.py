"""The read log's one write and its reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_premium.reads.models import ReadEntry


class ReadLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record_reads(
        self, id_numbers: Sequence[str], *, at: datetime, reader: str, role: str, purpose: str
    ) -> None:
        """One multi-row INSERT for all the people a read showed."""
        rows = [
            {"id_number": n, "at": at, "reader": reader, "role": role, "purpose": purpose}
            for n in dict.fromkeys(id_numbers)
        ]
        if rows:
            await self.session.execute(insert(ReadEntry).values(rows))

    async def record_reads_of(
        self, id_numbers: Select[Any], *, at: datetime, reader: str, role: str, purpose: str
    ) -> None:
        """The same, set-based, for a bulk read: one INSERT … SELECT over the people ``id_numbers`` selects."""
        people = id_numbers.order_by(None).distinct().subquery()
        rows = select(
            people.c.id_number,
            literal(at).label("at"),
            literal(reader).label("reader"),
            literal(role).label("role"),
            literal(purpose).label("purpose"),
        )
        await self.session.execute(
            insert(ReadEntry).from_select(["id_number", "at", "reader", "role", "purpose"], rows)
        )

    async def reads_of(self, id_number: str, *, limit: int) -> Sequence[ReadEntry]:
        statement = (
            select(ReadEntry)
            .where(ReadEntry.id_number == id_number)
            .order_by(ReadEntry.at.desc(), ReadEntry.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()
