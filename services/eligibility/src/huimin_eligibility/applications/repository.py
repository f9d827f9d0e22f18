"""Every query on applications; a token's region limits the rows it sees."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.applications.models import Application
from huimin_shared import areas
from huimin_shared.auth import Principal


def _readable(statement, principal: Principal):  # type: ignore[no-untyped-def]
    if principal.region is None:
        return statement
    prefix = areas.prefix_of(principal.region)
    return statement.where(Application.region_code.like(prefix + "%"))


class ApplicationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, application: Application) -> None:
        self.session.add(application)
        await self.session.flush()

    async def get(self, application_id: uuid.UUID, *, for_update: bool = False) -> Application | None:
        statement = select(Application).where(Application.id == application_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def list(
        self, principal: Principal, *, status: str | None, region: str | None, limit: int
    ) -> Sequence[Application]:
        statement = _readable(select(Application), principal).order_by(Application.submitted_at).limit(limit)
        if status is not None:
            statement = statement.where(Application.status == status)
        if region is not None:
            statement = statement.where(Application.region_code.like(areas.prefix_of(region) + "%"))
        return (await self.session.scalars(statement)).all()
