"""Every SQL statement of the ledger. Accounts are locked in id order before balances change."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, func, select, text, true, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.ledger.models import Account, Balance, Entry, Period, Transfer, TransferEvent
from huimin_shared import areas


def readable_by(city_code: SQLColumnExpression[str], region: str | None) -> ColumnElement[bool]:
    """The rows a token limited to ``region`` may read: those whose city code the region contains —
    the SQL twin of ``Principal.ensure_covers(row.city_code)``, which the single-row routes apply
    (areas.contains: a province covers its cities, a city itself; a district or county covers no
    city's ledger). The one place list routes decide readable rows."""
    if region is None:
        return true()
    level = areas.level_of(region)
    if level is areas.AreaLevel.province:
        return func.left(city_code, 2) == region[:2]
    if level is areas.AreaLevel.city:
        return func.left(city_code, 4) == region[:4]
    return city_code == region


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # accounts -----------------------------------------------------------------------------------
    async def insert_accounts(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        statement = (
            insert(Account).values(list(rows)).on_conflict_do_nothing(index_elements=["city_code", "code"])
        )
        await self.session.execute(statement)
        await self.session.execute(
            text(
                "INSERT INTO balances (account_id, guarded) SELECT id, guarded FROM accounts "
                "WHERE city_code = ANY(:cities) ON CONFLICT (account_id) DO NOTHING"
            ),
            {"cities": sorted({row["city_code"] for row in rows})},
        )

    def accounts_statement(
        self, city: str | None = None, region: str | None = None
    ) -> Select[Account, Balance]:
        """The readable accounts: a token limited to a region sees the ledgers the region contains."""
        statement = (
            select(Account, Balance).join(Balance, Balance.account_id == Account.id).order_by(Account.id)
        )
        if city is not None:
            statement = statement.where(Account.city_code == city)
        if region is not None:
            statement = statement.where(readable_by(Account.city_code, region))
        return statement

    async def accounts_with_balances(
        self, city: str | None, region: str | None
    ) -> list[tuple[Account, Balance]]:
        result = await self.session.execute(self.accounts_statement(city, region))
        return [(row[0], row[1]) for row in result.all()]

    async def account(self, account_id: int) -> tuple[Account, Balance] | None:
        result = await self.session.execute(
            select(Account, Balance)
            .join(Balance, Balance.account_id == Account.id)
            .where(Account.id == account_id)
        )
        row = result.first()
        return (row[0], row[1]) if row else None

    async def accounts_by_ids(self, ids: Sequence[int]) -> dict[int, Account]:
        result = await self.session.scalars(select(Account).where(Account.id.in_(list(ids))))
        return {account.id: account for account in result}

    async def accounts_by_code(self, city: str) -> dict[str, Account]:
        result = await self.session.scalars(select(Account).where(Account.city_code == city))
        return {account.code: account for account in result}

    async def lock_balances(self, account_ids: Sequence[int]) -> dict[int, Balance]:
        """SELECT … FOR UPDATE in account id order: two transfers in opposite directions cannot deadlock."""
        result = await self.session.execute(
            select(Balance)
            .where(Balance.account_id.in_(sorted(set(account_ids))))
            .order_by(Balance.account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {balance.account_id: balance for balance in result.scalars()}

    async def apply_balance_deltas(self, deltas: dict[int, tuple[Decimal, Decimal, Decimal]]) -> None:
        """posted, pending_debits, pending_credits changes, in one statement, in id order."""
        ids = sorted(deltas)
        if not ids:
            return
        await self.session.execute(
            text(
                "UPDATE balances AS b SET posted = b.posted + v.dp, pending_debits = b.pending_debits + v.dd, "
                "pending_credits = b.pending_credits + v.dc, updated_at = now() "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:dp AS numeric[]), CAST(:dd AS numeric[]), "
                "CAST(:dc AS numeric[])) AS v(account_id, dp, dd, dc) WHERE b.account_id = v.account_id"
            ),
            {
                "ids": ids,
                "dp": [deltas[i][0] for i in ids],
                "dd": [deltas[i][1] for i in ids],
                "dc": [deltas[i][2] for i in ids],
            },
        )

    # periods ------------------------------------------------------------------------------------
    async def closed_periods(self, pairs: set[tuple[str, int]]) -> set[tuple[str, int]]:
        if not pairs:
            return set()
        result = await self.session.execute(
            select(Period.city_code, Period.year).where(
                tuple_(Period.city_code, Period.year).in_(sorted(pairs)), Period.state == "closed"
            )
        )
        return {(row[0], row[1]) for row in result.all()}

    async def lock_period(self, city: str, year: int, *, exclusive: bool) -> None:
        """Serialise closing a period with writing transfers into it: writers take the lock shared (many
        at once), closing takes it exclusive, so a close waits for transfers in flight and a transfer
        that waited sees the period closed (the trigger refuses it too). Held to the transaction's end."""
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        await self.session.execute(
            text(f"SELECT {function}(hashtext(:key))"),
            {"key": f"period:{city}:{year}"},
        )

    async def close_period(self, city: str, year: int, actor: str) -> bool:
        await self.lock_period(city, year, exclusive=True)
        result = await self.session.execute(
            text(
                "INSERT INTO periods (city_code, year, state, closed_at, closed_by) "
                "VALUES (:city, :year, 'closed', now(), :actor) "
                "ON CONFLICT (city_code, year) DO UPDATE SET state = 'closed', closed_at = now(), "
                "closed_by = :actor WHERE periods.state = 'open' RETURNING year"
            ),
            {"city": city, "year": year, "actor": actor},
        )
        return result.first() is not None

    async def period_state(self, city: str, year: int) -> Period | None:
        return await self.session.get(Period, (city, year))

    # transfers ----------------------------------------------------------------------------------
    async def insert_transfers(self, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
        """Insert, skipping ids already present; returns the ids this call wrote."""
        if not rows:
            return set()
        statement = insert(Transfer).values(list(rows)).on_conflict_do_nothing(index_elements=["id"])
        result = await self.session.execute(statement.returning(Transfer.id))
        return set(result.scalars())

    async def transfers(self, ids: Sequence[uuid.UUID]) -> list[Transfer]:
        if not ids:
            return []
        result = await self.session.scalars(
            select(Transfer).where(Transfer.id.in_(list(ids))).execution_options(populate_existing=True)
        )
        by_id = {transfer.id: transfer for transfer in result}
        return [by_id[i] for i in ids if i in by_id]

    async def transfer(self, transfer_id: uuid.UUID) -> Transfer | None:
        result = await self.session.scalars(
            select(Transfer).where(Transfer.id == transfer_id).execution_options(populate_existing=True)
        )
        return result.first()

    async def list_transfers(
        self,
        *,
        city: str | None,
        region: str | None,
        batch_id: uuid.UUID | None,
        state: str | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Transfer]:
        statement = select(Transfer).order_by(Transfer.id).limit(limit)
        if city is not None:
            statement = statement.where(Transfer.city_code == city)
        if region is not None:
            statement = statement.where(readable_by(Transfer.city_code, region))
        if batch_id is not None:
            statement = statement.where(Transfer.batch_id == batch_id)
        if state is not None:
            statement = statement.where(Transfer.state == state)
        if after is not None:
            statement = statement.where(Transfer.id > after)
        return list(await self.session.scalars(statement))

    async def transfers_of_run(self, run_id: uuid.UUID) -> list[Transfer]:
        statement = (
            select(Transfer)
            .where(Transfer.funding_run_id == run_id)
            .order_by(Transfer.region_code, Transfer.id)
        )
        return list(await self.session.scalars(statement))

    async def reversal_of(self, transfer_id: uuid.UUID) -> Transfer | None:
        result = await self.session.scalars(
            select(Transfer).where(Transfer.reverses_transfer_id == transfer_id)
        )
        return result.first()

    async def compare_and_set_state(
        self, ids: Sequence[uuid.UUID], expected: str, new: str, *, unexpired_only: bool = False
    ) -> list[Transfer]:
        """``UPDATE … WHERE state = :expected``: of two racing callers, one wins each row."""
        if not ids:
            return []
        stamp = {"posted": {"posted_at": func.now()}, "voided": {"voided_at": func.now()}}[new]
        statement = (
            update(Transfer)
            .where(Transfer.id.in_(list(ids)), Transfer.state == expected)
            .values(state=new, **stamp)
            .returning(Transfer)
            .execution_options(populate_existing=True, synchronize_session=False)
        )
        if unexpired_only:
            statement = statement.where((Transfer.timeout_at.is_(None)) | (Transfer.timeout_at > func.now()))
        result = await self.session.scalars(statement)
        return list(result)

    async def expired_pending_ids(
        self, now: datetime, limit: int, region: str | None = None
    ) -> list[uuid.UUID]:
        result = await self.session.scalars(
            select(Transfer.id)
            .where(
                Transfer.state == "pending",
                Transfer.timeout_at <= now,
                readable_by(Transfer.city_code, region),
            )
            .order_by(Transfer.timeout_at)
            .limit(limit)
        )
        return list(result)

    async def pending_in_period(self, city: str, year: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Transfer)
            .where(Transfer.city_code == city, Transfer.period == year, Transfer.state == "pending")
        )
        return int(count or 0)

    async def insert_entries(self, rows: Sequence[tuple[uuid.UUID, int, Decimal]]) -> None:
        if not rows:
            return
        await self.session.execute(
            text(
                "INSERT INTO entries (transfer_id, account_id, amount) "
                "SELECT * FROM unnest(CAST(:t AS uuid[]), CAST(:a AS bigint[]), CAST(:m AS numeric[]))"
            ),
            {"t": [row[0] for row in rows], "a": [row[1] for row in rows], "m": [row[2] for row in rows]},
        )

    async def insert_events(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(TransferEvent).values(list(rows)))

    async def entries_of(self, transfer_id: uuid.UUID) -> list[Entry]:
        return list(
            await self.session.scalars(
                select(Entry).where(Entry.transfer_id == transfer_id).order_by(Entry.id)
            )
        )

    async def events_of(self, transfer_id: uuid.UUID) -> list[TransferEvent]:
        return list(
            await self.session.scalars(
                select(TransferEvent)
                .where(TransferEvent.transfer_id == transfer_id)
                .order_by(TransferEvent.id)
            )
        )

    async def account_entries(self, account_id: int, after: int | None, limit: int) -> list[Entry]:
        statement = select(Entry).where(Entry.account_id == account_id).order_by(Entry.id).limit(limit)
        if after is not None:
            statement = statement.where(Entry.id > after)
        return list(await self.session.scalars(statement))

    # proofs -------------------------------------------------------------------------------------
    async def entries_total(self, city: str) -> Decimal:
        value = await self.session.scalar(
            text(
                "SELECT coalesce(sum(e.amount), 0) FROM entries e JOIN accounts a ON a.id = e.account_id "
                "WHERE a.city_code = :city"
            ),
            {"city": city},
        )
        return Decimal(value or 0)

    async def unbalanced_transfers(self, city: str) -> list[tuple[uuid.UUID, Decimal]]:
        result = await self.session.execute(
            text(
                "SELECT t.id, coalesce(sum(e.amount), 0) FROM transfers t LEFT JOIN entries e ON e.transfer_id = t.id "
                "WHERE t.city_code = :city GROUP BY t.id, t.state, t.amount "
                "HAVING coalesce(sum(e.amount), 0) <> 0 "
                "OR (t.state = 'posted' AND coalesce(sum(abs(e.amount)), 0) <> 2 * t.amount) "
                "OR (t.state <> 'posted' AND count(e.id) > 0)"
            ),
            {"city": city},
        )
        return [(row[0], Decimal(row[1])) for row in result.all()]

    async def balance_mismatches(self, city: str) -> list[dict[str, Any]]:
        """Accounts whose stored balance differs from the one rebuilt from entries and pending transfers."""
        result = await self.session.execute(
            text(
                """
                WITH rebuilt AS (
                    SELECT a.id,
                        coalesce((SELECT sum(e.amount) FROM entries e WHERE e.account_id = a.id), 0) AS posted,
                        coalesce((SELECT sum(t.amount) FROM transfers t
                                  WHERE t.debit_account_id = a.id AND t.state = 'pending'), 0) AS pending_debits,
                        coalesce((SELECT sum(t.amount) FROM transfers t
                                  WHERE t.credit_account_id = a.id AND t.state = 'pending'), 0) AS pending_credits
                    FROM accounts a WHERE a.city_code = :city
                )
                SELECT a.id, a.code, b.posted, r.posted, b.pending_debits, r.pending_debits,
                       b.pending_credits, r.pending_credits
                FROM rebuilt r JOIN balances b ON b.account_id = r.id JOIN accounts a ON a.id = r.id
                WHERE (b.posted, b.pending_debits, b.pending_credits)
                      IS DISTINCT FROM (r.posted, r.pending_debits, r.pending_credits)
                ORDER BY a.id
                """
            ),
            {"city": city},
        )
        return [
            {
                "account_id": row[0],
                "code": row[1],
                "stored": {"posted": row[2], "pending_debits": row[4], "pending_credits": row[6]},
                "rebuilt": {"posted": row[3], "pending_debits": row[5], "pending_credits": row[7]},
            }
            for row in result.all()
        ]

    async def rebuilt_posted(self, account_id: int) -> Decimal:
        value = await self.session.scalar(
            select(func.coalesce(func.sum(Entry.amount), 0)).where(Entry.account_id == account_id)
        )
        return Decimal(value or 0)
