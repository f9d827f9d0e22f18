"""Every SQL statement of payee accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.payees.models import PayeeAccount, PayeeEvent


class PayeeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, values: dict[str, Any]) -> PayeeAccount:
        account_id = await self.session.scalar(
            insert(PayeeAccount).values(**values).returning(PayeeAccount.id)
        )
        found = await self.get(int(account_id or 0))
        if found is None:
            raise RuntimeError("the inserted account is missing")
        return found

    async def get(self, account_id: int, *, for_update: bool = False) -> PayeeAccount | None:
        statement = (
            select(PayeeAccount)
            .where(PayeeAccount.id == account_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def of_person(self, id_number: str, state: str) -> PayeeAccount | None:
        statement = select(PayeeAccount).where(
            PayeeAccount.id_number == id_number, PayeeAccount.state == state
        )
        return (await self.session.scalars(statement.execution_options(populate_existing=True))).first()

    async def set_state(self, account_id: int, expected: str, new: str, actor: str) -> bool:
        result = await self.session.execute(
            update(PayeeAccount)
            .where(PayeeAccount.id == account_id, PayeeAccount.state == expected)
            .values(state=new, decided_by=actor, decided_at=datetime.now(UTC))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def event(self, account: PayeeAccount, action: str, actor: str, detail: str | None) -> None:
        await self.session.execute(
            insert(PayeeEvent).values(
                payee_account_id=account.id,
                id_number=account.id_number,
                action=action,
                actor=actor,
                detail=detail,
            )
        )

    async def events(self, id_number: str) -> list[PayeeEvent]:
        statement = select(PayeeEvent).where(PayeeEvent.id_number == id_number).order_by(PayeeEvent.id)
        return list(await self.session.scalars(statement))
