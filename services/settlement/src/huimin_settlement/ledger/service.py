"""Ledger use cases: open a city's chart, create transfers (posted or pending), post, void,
reverse, expire. Several transfers in one call succeed or fail together (one transaction)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.ledger import checks, rules
from huimin_settlement.ledger.checks import (
    BalanceLimitExceeded,
    InsufficientFunds,
    PeriodClosed,
    TransferStateConflict,
)
from huimin_settlement.ledger.models import Account, Balance, Transfer
from huimin_settlement.ledger.repository import LedgerRepository
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, FieldProblem, NotFound, ValidationFailed

__all__ = ["BalanceLimitExceeded", "InsufficientFunds", "PeriodClosed", "TransferStateConflict"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_PENDING_TIMEOUT = timedelta(days=7)


def today_in_shanghai() -> date:
    return datetime.now(SHANGHAI).date()


@dataclass(slots=True)
class NewTransfer:
    """A transfer to write; ``id`` is derived by callers that may run twice (batches, funding)."""

    id: uuid.UUID
    debit_account_id: int
    credit_account_id: int
    amount: Decimal
    code: str
    value_date: date
    pending: bool = False
    timeout_at: datetime | None = None
    citation: str | None = None
    memo: str | None = None
    cover_year: int | None = None
    region_code: str | None = None
    category: str | None = None
    payer_level: str | None = None
    batch_id: uuid.UUID | None = None
    batch_line_first: int | None = None
    batch_line_last: int | None = None
    funding_run_id: uuid.UUID | None = None
    reverses_transfer_id: uuid.UUID | None = None
    corrects_transfer_id: uuid.UUID | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# chart --------------------------------------------------------------------------------------
async def open_chart(
    session: AsyncSession, city: str, districts: Sequence[str]
) -> list[tuple[Account, Balance]]:
    """Create the city's accounts that are missing (S1, S2); existing ones are left as they are."""
    specs = rules.chart_of_accounts(city, tuple(districts))
    await LedgerRepository(session).insert_accounts(
        [
            {
                "city_code": city,
                "code": spec.code,
                "type": spec.type.value,
                "department": spec.department.value,
                "area_code": spec.area_code,
                "name": spec.name,
                "guarded": spec.guarded,
            }
            for spec in specs
        ]
    )
    return await LedgerRepository(session).accounts_with_balances(city, None)


async def chart(session: AsyncSession, city: str) -> dict[str, Account]:
    accounts = await LedgerRepository(session).accounts_by_code(city)
    if not accounts:
        raise NotFound(f"city {city} has no ledger yet; open its chart with POST /v1/ledger/charts")
    return accounts


# transfers ----------------------------------------------------------------------------------
async def create_transfers(
    session: AsyncSession, transfers: Sequence[NewTransfer], actor: str, principal: Principal | None = None
) -> list[Transfer]:
    """Write ``transfers`` atomically; ids already written are found, not written again."""
    repository = LedgerRepository(session)
    if not transfers:
        return []
    accounts = await repository.accounts_by_ids(
        [i for t in transfers for i in (t.debit_account_id, t.credit_account_id)]
    )
    if principal is not None:
        for account in accounts.values():
            principal.ensure_covers(account.city_code)
    problems = checks.field_problems(transfers, accounts)
    problems.extend(await _unknown_corrected_transfers(session, transfers))
    if problems:
        raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), errors=problems)
    checks.ensure_one_ledger(transfers, accounts)
    wanted = {(accounts[t.debit_account_id].city_code, rules.period_of(t.value_date)) for t in transfers}
    for city, year in sorted(wanted):  # before the check: a close in flight is waited for (S4)
        await repository.lock_period(city, year, exclusive=False)
    closed = await repository.closed_periods(wanted)
    if closed:
        city, year = sorted(closed)[0]
        raise checks.PeriodClosed(
            f"period {year} of city {city} is closed (year-end settlement done); book the correction in the "
            "open period with code 'adjustment' and corrects_transfer_id pointing at what it corrects"
        )

    balances = await repository.lock_balances(list(accounts))
    rows = [_row(t, accounts, actor) for t in transfers]
    written = await repository.insert_transfers(rows)
    stored = await repository.transfers([t.id for t in transfers])
    by_id = {t.id: t for t in stored}
    for transfer in transfers:
        if transfer.id not in written:
            checks.ensure_same(by_id[transfer.id], transfer)
    fresh = [t for t in transfers if t.id in written]
    deltas: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    entries: list[tuple[uuid.UUID, int, Decimal]] = []
    for transfer in fresh:
        if transfer.pending:
            deltas[transfer.debit_account_id][1] += transfer.amount
            deltas[transfer.credit_account_id][2] += transfer.amount
        else:
            debit_amount, credit_amount = rules.entry_amounts(transfer.amount)
            deltas[transfer.debit_account_id][0] += debit_amount
            deltas[transfer.credit_account_id][0] += credit_amount
            entries.append((transfer.id, transfer.debit_account_id, debit_amount))
            entries.append((transfer.id, transfer.credit_account_id, credit_amount))
    checks.ensure_funds(balances, accounts, deltas)
    checks.ensure_within_limits(balances, deltas)
    await _apply(session, deltas)
    await repository.insert_entries(entries)
    await repository.insert_events(
        [
            {
                "transfer_id": t.id,
                "from_state": None,
                "to_state": "pending" if t.pending else "posted",
                "actor": actor,
                "reason": "created",
            }
            for t in fresh
        ]
    )
    return [by_id[t.id] for t in transfers]


def _row(transfer: NewTransfer, accounts: dict[int, Account], actor: str) -> dict[str, Any]:
    timeout_at = transfer.timeout_at
    if transfer.pending and timeout_at is None:
        timeout_at = datetime.now(UTC) + DEFAULT_PENDING_TIMEOUT
    return {
        "id": transfer.id,
        "city_code": accounts[transfer.debit_account_id].city_code,
        "debit_account_id": transfer.debit_account_id,
        "credit_account_id": transfer.credit_account_id,
        "amount": transfer.amount,
        "state": "pending" if transfer.pending else "posted",
        "code": transfer.code,
        "citation": transfer.citation,
        "memo": transfer.memo,
        "value_date": transfer.value_date,
        "period": rules.period_of(transfer.value_date),
        "cover_year": transfer.cover_year,
        "region_code": transfer.region_code,
        "category": transfer.category,
        "payer_level": transfer.payer_level,
        "batch_id": transfer.batch_id,
        "batch_line_first": transfer.batch_line_first,
        "batch_line_last": transfer.batch_line_last,
        "funding_run_id": transfer.funding_run_id,
        "reverses_transfer_id": transfer.reverses_transfer_id,
        "corrects_transfer_id": transfer.corrects_transfer_id,
        "timeout_at": timeout_at if transfer.pending else None,
        "created_by": actor,
        "posted_at": None if transfer.pending else datetime.now(UTC),
    }


async def _unknown_corrected_transfers(
    session: AsyncSession, transfers: Sequence[NewTransfer]
) -> list[FieldProblem]:
    """``corrects_transfer_id`` must name a transfer that exists (or one written in the same request)."""
    named = {t.corrects_transfer_id for t in transfers if t.corrects_transfer_id is not None}
    if not named:
        return []
    known = {t.id for t in transfers} | {t.id for t in await LedgerRepository(session).transfers(list(named))}
    return [
        FieldProblem(
            field=f"body.transfers.{index}.corrects_transfer_id",
            reason=f"no transfer {transfer.corrects_transfer_id}",
        )
        for index, transfer in enumerate(transfers)
        if transfer.corrects_transfer_id is not None and transfer.corrects_transfer_id not in known
    ]


async def _apply(session: AsyncSession, deltas: dict[int, list[Decimal]]) -> None:
    try:
        async with session.begin_nested():
            await LedgerRepository(session).apply_balance_deltas(
                {k: (v[0], v[1], v[2]) for k, v in deltas.items()}
            )
    except IntegrityError as exc:  # the CHECK is the last word if a check above was ever wrong
        raise checks.InsufficientFunds(f"the database refused the balance change: {exc.orig}") from exc
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != "22003":  # numeric_value_out_of_range
            raise
        raise Conflict("the transfers would take an account balance beyond 99,999,999,999,999.99") from exc


async def post(
    session: AsyncSession, ids: Sequence[uuid.UUID], actor: str, reason: str = "posted"
) -> list[Transfer]:
    """Post pending transfers (compare-and-set pending → posted); already posted ones are left alone."""
    return await _resolve(session, ids, actor, "posted", reason)


async def void(
    session: AsyncSession, ids: Sequence[uuid.UUID], actor: str, reason: str = "voided"
) -> list[Transfer]:
    return await _resolve(session, ids, actor, "voided", reason)


async def _resolve(
    session: AsyncSession, ids: Sequence[uuid.UUID], actor: str, new: str, reason: str
) -> list[Transfer]:
    await _resolve_changed(session, ids, actor, new, reason)
    return await LedgerRepository(session).transfers(list(ids))


async def _resolve_changed(
    session: AsyncSession, ids: Sequence[uuid.UUID], actor: str, new: str, reason: str
) -> list[Transfer]:
    """Post or void the pending ones of ``ids``; returns those this call changed (a racing caller's
    are left to it: the state change is a compare-and-set)."""
    repository = LedgerRepository(session)
    candidates = await repository.transfers(list(ids))
    if not candidates:
        return []
    balances_needed = [i for t in candidates for i in (t.debit_account_id, t.credit_account_id)]
    balances = await repository.lock_balances(balances_needed)
    if new == "posted":
        changed = await repository.compare_and_set_state(ids, "pending", "posted", unexpired_only=True)
    else:
        changed = await repository.compare_and_set_state(ids, "pending", "voided")
    deltas: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    entries: list[tuple[uuid.UUID, int, Decimal]] = []
    for transfer in changed:
        deltas[transfer.debit_account_id][1] -= transfer.amount
        deltas[transfer.credit_account_id][2] -= transfer.amount
        if new == "posted":
            debit_amount, credit_amount = rules.entry_amounts(transfer.amount)
            deltas[transfer.debit_account_id][0] += debit_amount
            deltas[transfer.credit_account_id][0] += credit_amount
            entries.append((transfer.id, transfer.debit_account_id, debit_amount))
            entries.append((transfer.id, transfer.credit_account_id, credit_amount))
    checks.ensure_within_limits(balances, deltas)
    await _apply(session, deltas)
    await repository.insert_entries(entries)
    await repository.insert_events(
        [
            {
                "transfer_id": t.id,
                "from_state": "pending",
                "to_state": new,
                "actor": actor,
                "reason": reason,
            }
            for t in changed
        ]
    )
    return changed


async def post_one(session: AsyncSession, transfer_id: uuid.UUID, principal: Principal) -> Transfer:
    transfer = await _existing(session, transfer_id, principal)
    if (
        transfer.state == "pending"
        and transfer.timeout_at is not None
        and transfer.timeout_at <= datetime.now(UTC)
    ):
        raise checks.TransferStateConflict(
            f"transfer {transfer_id} passed its pending deadline {transfer.timeout_at.isoformat()}; it can only "
            "be voided (the expiry sweep voids it)"
        )
    (result,) = await post(session, [transfer_id], principal.subject)
    if result.state != "posted":
        raise checks.TransferStateConflict(
            f"transfer {transfer_id} is {result.state}; only a pending transfer is posted"
        )
    return result


async def void_one(
    session: AsyncSession, transfer_id: uuid.UUID, principal: Principal, reason: str | None
) -> Transfer:
    await _existing(session, transfer_id, principal)
    (result,) = await void(session, [transfer_id], principal.subject, reason or "voided")
    if result.state != "voided":
        raise checks.TransferStateConflict(
            f"transfer {transfer_id} is {result.state}; only a pending transfer is voided"
        )
    return result


async def reverse(
    session: AsyncSession, transfer_id: uuid.UUID, principal: Principal, value_date: date, memo: str | None
) -> Transfer:
    """A reversing transfer in the open period that points to the original (entries stay as written)."""
    original = await _existing(session, transfer_id, principal)
    if original.state != "posted":
        raise checks.TransferStateConflict(
            f"transfer {transfer_id} is {original.state}; only a posted one is reversed"
        )
    if original.reverses_transfer_id is not None:
        raise checks.TransferStateConflict(
            f"transfer {transfer_id} is itself a reversal; post a new transfer instead"
        )
    existing = await LedgerRepository(session).reversal_of(transfer_id)
    if existing is not None:
        raise checks.TransferStateConflict(f"transfer {transfer_id} was already reversed by {existing.id}")
    (reversal,) = await create_transfers(
        session,
        [
            NewTransfer(
                id=rules.derived_transfer_id("reversal", transfer_id),
                debit_account_id=original.credit_account_id,
                credit_account_id=original.debit_account_id,
                amount=original.amount,
                code=rules.TransferCode.reversal.value,
                value_date=value_date,
                citation=original.citation,
                memo=memo or f"reverses {transfer_id}",
                cover_year=original.cover_year,
                region_code=original.region_code,
                category=original.category,
                payer_level=original.payer_level,
                batch_id=original.batch_id,
                batch_line_first=original.batch_line_first,
                batch_line_last=original.batch_line_last,
                reverses_transfer_id=transfer_id,
            )
        ],
        principal.subject,
    )
    return reversal


async def expire_pending(
    session: AsyncSession, actor: str, limit: int = 1000, region: str | None = None
) -> list[uuid.UUID]:
    """Void pending transfers whose deadline has passed (TigerBeetle's timeout); a caller limited to a
    region voids only the transfers of the ledgers it covers (the background sweep: all)."""
    ids = await LedgerRepository(session).expired_pending_ids(datetime.now(UTC), limit, region)
    voided = await _resolve_changed(session, ids, actor, "voided", "pending deadline passed")
    return [t.id for t in voided]


async def _existing(session: AsyncSession, transfer_id: uuid.UUID, principal: Principal) -> Transfer:
    transfer = await LedgerRepository(session).transfer(transfer_id)
    if transfer is None:
        raise NotFound(f"no transfer {transfer_id}")
    principal.ensure_covers(transfer.city_code)
    return transfer


async def transfers_of_run(session: AsyncSession, run_id: uuid.UUID) -> list[Transfer]:
    return await LedgerRepository(session).transfers_of_run(run_id)


async def transfers_of_batch(
    session: AsyncSession, batch_id: uuid.UUID, state: str | None = None
) -> list[Transfer]:
    return await LedgerRepository(session).list_transfers(
        city=None, region=None, batch_id=batch_id, state=state, after=None, limit=10_000
    )
