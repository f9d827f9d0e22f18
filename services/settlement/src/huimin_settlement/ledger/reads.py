"""What the ledger's routes read: accounts with balances, an account's entries, transfers with their
entries and history — each limited to the ledgers the caller's token covers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.ledger.models import Account, Balance, Entry, Transfer, TransferEvent
from huimin_settlement.ledger.repository import LedgerRepository
from huimin_shared.auth import Principal
from huimin_shared.errors import NotFound


@dataclass(frozen=True, slots=True)
class AccountView:
    account: Account
    balance: Balance
    entries_total: Decimal


@dataclass(frozen=True, slots=True)
class TransferView:
    transfer: Transfer
    entries: list[Entry]
    history: list[TransferEvent]


class LedgerReads:
    def __init__(self, session: AsyncSession) -> None:
        self.repository = LedgerRepository(session)

    async def accounts(self, principal: Principal, city: str | None) -> list[tuple[Account, Balance]]:
        if city is not None:
            principal.ensure_covers(city)
        return await self.repository.accounts_with_balances(city, principal.region)

    async def _account(self, account_id: int, principal: Principal) -> tuple[Account, Balance]:
        found = await self.repository.account(account_id)
        if found is None:
            raise NotFound(f"no account {account_id}")
        principal.ensure_covers(found[0].city_code)
        return found

    async def account(self, account_id: int, principal: Principal) -> AccountView:
        """The account, its balance and the balance rebuilt from its entries."""
        account, balance = await self._account(account_id, principal)
        return AccountView(account, balance, await self.repository.rebuilt_posted(account_id))

    async def entries(
        self, account_id: int, principal: Principal, after: int | None, limit: int
    ) -> list[Entry]:
        await self._account(account_id, principal)
        return await self.repository.account_entries(account_id, after, limit)

    async def transfers(
        self,
        principal: Principal,
        city: str | None,
        batch_id: uuid.UUID | None,
        state: str | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Transfer]:
        if city is not None:
            principal.ensure_covers(city)
        return await self.repository.list_transfers(
            city=city, region=principal.region, batch_id=batch_id, state=state, after=after, limit=limit
        )

    async def transfer(self, transfer_id: uuid.UUID, principal: Principal) -> TransferView:
        transfer = await self.repository.transfer(transfer_id)
        if transfer is None:
            raise NotFound(f"no transfer {transfer_id}")
        principal.ensure_covers(transfer.city_code)
        return TransferView(
            transfer,
            await self.repository.entries_of(transfer_id),
            await self.repository.events_of(transfer_id),
        )
