"""Every SQL statement about stored packs."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_premium.packs.models import PackVersion


class PackRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, pack_id: str, version: int) -> PackVersion | None:
        return await self.session.get(PackVersion, (pack_id, version))

    async def list(self, pack_id: str | None = None) -> Sequence[PackVersion]:
        statement = select(PackVersion).order_by(PackVersion.pack_id, PackVersion.version)
        if pack_id is not None:
            statement = statement.where(PackVersion.pack_id == pack_id)
        return (await self.session.scalars(statement)).all()

    async def add(self, row: PackVersion) -> None:
        self.session.add(row)
        await self.session.flush()
