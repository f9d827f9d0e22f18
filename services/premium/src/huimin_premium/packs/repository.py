"""Every SQL statement about stored packs."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_premium.packs.models import PackVersion
from huimin_premium.packs.schemas import PackState


class PackRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, pack_id: str, version: int, *, for_update: bool = False) -> PackVersion | None:
        return await self.session.get(PackVersion, (pack_id, version), with_for_update=for_update)

    async def list(self, pack_id: str | None = None, *, approved_only: bool = False) -> Sequence[PackVersion]:
        statement = select(PackVersion).order_by(PackVersion.pack_id, PackVersion.version)
        if pack_id is not None:
            statement = statement.where(PackVersion.pack_id == pack_id)
        if approved_only:
            statement = statement.where(PackVersion.state == PackState.approved.value)
        return (await self.session.scalars(statement)).all()

    async def lock_pack(self, pack_id: str) -> None:
        """Serialise proposals of one pack, so two of the same version number cannot both pass the check."""
        await self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext("pack:" + pack_id))))

    async def latest_version(self, pack_id: str) -> int:
        statement = select(func.coalesce(func.max(PackVersion.version), 0)).where(
            PackVersion.pack_id == pack_id
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def add(self, row: PackVersion) -> None:
        self.session.add(row)
        await self.session.flush()
