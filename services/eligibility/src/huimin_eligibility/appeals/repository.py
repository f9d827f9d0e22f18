"""Every query on appeals; a region-limited token reads the appeals of its region (where the person lived
when the appeal was filed — a refused applicant may never have been registered)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.appeals.models import Appeal
from huimin_shared import areas
from huimin_shared.auth import Principal


def _readable(principal: Principal) -> Any:
    if principal.region is None:
        return true()
    return Appeal.region_code.like(areas.prefix_of(principal.region) + "%")


class AppealRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, appeal: Appeal) -> None:
        self.session.add(appeal)
        await self.session.flush()

    async def get(self, appeal_id: uuid.UUID, principal: Principal, *, lock: bool = False) -> Appeal | None:
        statement = select(Appeal).where(Appeal.id == appeal_id, _readable(principal))
        if lock:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def open_for(self, application_id: uuid.UUID | None, lineage: int | None) -> Appeal | None:
        """An appeal of the same decision still awaiting its answer."""
        statement = select(Appeal).where(Appeal.status == "filed")
        if application_id is not None:
            statement = statement.where(Appeal.application_id == application_id)
        else:
            statement = statement.where(Appeal.lineage == lineage)
        return await self.session.scalar(statement)

    async def list(
        self,
        principal: Principal,
        *,
        status: str | None,
        overdue_on: date | None,
        after: datetime | None,
        limit: int,
    ) -> Sequence[Appeal]:
        """Keyset pages by filing time; ``overdue_on``: only those filed and due before that day."""
        statement = (
            select(Appeal).where(_readable(principal)).order_by(Appeal.filed_at, Appeal.id).limit(limit)
        )
        if status is not None:
            statement = statement.where(Appeal.status == status)
        if overdue_on is not None:
            statement = statement.where(Appeal.status == "filed", Appeal.due_on < overdue_on)
        if after is not None:
            statement = statement.where(Appeal.filed_at > after)
        return (await self.session.scalars(statement)).all()
