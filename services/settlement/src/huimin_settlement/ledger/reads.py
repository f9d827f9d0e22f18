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


async def accounts(
    session: AsyncSession, principal: Principal, city: str | None
) -> list[tuple[Account, Balance]]:
    if city is not None:
        principal.ensure_covers(city)
    return await LedgerRepository(session).accounts_with_balances(city, principal.region)


async def _account(session: AsyncSession, account_id: int, principal: Principal) -> tuple[Account, Balance]:
    found = await LedgerRepository(session).account(account_id)
    if found is None:
        raise NotFound(f"no account {account_id}")
    principal.ensure_covers(found[0].city_code)
    return found


async def account(session: AsyncSession, account_id: int, principal: Principal) -> AccountView:
    """The account, its balance and the balance rebuilt from its entries."""
    account, balance = await _account(session, account_id, principal)
    return AccountView(account, balance, await LedgerRepository(session).rebuilt_posted(account_id))


async def entries(
    session: AsyncSession, account_id: int, principal: Principal, after: int | None, limit: int
) -> list[Entry]:
    await _account(session, account_id, principal)
    return await LedgerRepository(session).account_entries(account_id, after, limit)


async def transfers(
    session: AsyncSession,
    principal: Principal,
    city: str | None,
    batch_id: uuid.UUID | None,
    state: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Transfer]:
    if city is not None:
        principal.ensure_covers(city)
    return await LedgerRepository(session).list_transfers(
        city=city, region=principal.region, batch_id=batch_id, state=state, after=after, limit=limit
    )


async def transfer(session: AsyncSession, transfer_id: uuid.UUID, principal: Principal) -> TransferView:
    transfer = await LedgerRepository(session).transfer(transfer_id)
    if transfer is None:
        raise NotFound(f"no transfer {transfer_id}")
    principal.ensure_covers(transfer.city_code)
    return TransferView(
        transfer,
        await LedgerRepository(session).entries_of(transfer_id),
        await LedgerRepository(session).events_of(transfer_id),
    )
