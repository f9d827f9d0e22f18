"""Refunds reach each person (B§四(四)): one payment instruction per person of an executed refunds batch,
the bank's per-person confirmations, returns into the refund suspense account and retries once the
person's payee account is corrected. Instructions are written and resolved as sets; the ledger moves
per region, category and paying level, as every batch does."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.bank import rules as bank_rules
from huimin_settlement.batches.models import Batch
from huimin_settlement.batches.repository import BatchRepository
from huimin_settlement.db import savepoint
from huimin_settlement.ledger import rules as ledger_rules
from huimin_settlement.ledger import service as ledger
from huimin_settlement.ledger.repository import LedgerRepository
from huimin_settlement.ledger.service import NewTransfer
from huimin_settlement.payees.rules import mask_account
from huimin_settlement.refunds import rules
from huimin_settlement.refunds.repository import RefundRepository
from huimin_shared import areas
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from huimin_shared.idnumber import mask

PAYERS = ("central", "province", "city", "district_or_county")
CLAUSE = "本政办发〔2009〕130号 B§四(四)"


async def _batch(
    session: AsyncSession, batch_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> Batch:
    """The refunds batch; ``lock`` serialises writing and retrying its instructions (S4: once each)."""
    batch = await BatchRepository(session).batch(batch_id, for_update=lock)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    principal.ensure_covers(batch.city_code)
    if batch.kind != "refunds":
        raise ValidationFailed(
            "not a refunds batch",
            errors=[FieldProblem(field="batch_id", reason=f"a {batch.kind} batch; refunds batches only")],
        )
    return batch


async def _accounts(session: AsyncSession, city: str) -> tuple[int, int]:
    """(external_payee, refund_suspense) of the city; the suspense account is opened when missing."""
    spec = next(
        s
        for s in ledger_rules.chart_of_accounts(city, ())
        if s.type is ledger_rules.AccountType.refund_suspense
    )
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
        ]
    )
    chart = await ledger.chart(session, city)
    payee = chart[ledger_rules.account_code(ledger_rules.AccountType.external_payee, city)]
    return payee.id, chart[spec.code].id


async def _move(
    session: AsyncSession,
    batch: Batch,
    ids: list[uuid.UUID],
    to_suspense: bool,
    value_date: date,
    actor: str,
    key: str,
) -> None:
    """One posted transfer per region, category and paying level of the instructions ``ids``: payee →
    suspense (returned, or no account) or suspense → payee (retried). Ids derive from ``key``."""
    if not ids:
        return
    payee, suspense = await _accounts(session, batch.city_code)
    transfers = []
    for row in await RefundRepository(session).sums(ids):
        for payer in PAYERS:
            amount = getattr(row, payer)
            if amount == 0:
                continue
            transfers.append(
                NewTransfer(
                    id=ledger_rules.derived_transfer_id(
                        "refund", key, batch.id, row.region_code, row.category, payer
                    ),
                    debit_account_id=payee if to_suspense else suspense,
                    credit_account_id=suspense if to_suspense else payee,
                    amount=amount,
                    code=ledger_rules.TransferCode.refund.value,
                    value_date=value_date,
                    citation=CLAUSE,
                    memo=("refund returned to suspense" if to_suspense else "refund retried from suspense")
                    + f" ({key})",
                    cover_year=batch.year,
                    region_code=row.region_code,
                    category=row.category,
                    payer_level=payer,
                    batch_id=batch.id,
                )
            )
    await ledger.create_transfers(session, transfers, actor)


# instructions -------------------------------------------------------------------------------
@savepoint
async def write(
    session: AsyncSession, batch_id: uuid.UUID, value_date: date, principal: Principal
) -> dict[str, Any]:
    batch = await _batch(session, batch_id, principal, lock=True)
    if batch.state != "executed":
        raise Conflict(
            f"batch {batch_id} is {batch.state}; per-person instructions are written once it is executed "
            "(settle=ledger): the money is then with the refund payee account"
        )
    first = not await RefundRepository(session).any_written(batch.id)
    await RefundRepository(session).write_first(batch.id, batch.city_code, principal.subject)
    if first:
        awaiting = await RefundRepository(session).with_state(batch.id, "awaiting_account")
        await _move(session, batch, awaiting, True, value_date, principal.subject, "no-account")
    return await summary(session, batch)


async def summary(session: AsyncSession, batch: Batch) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for state in rules.STATES:
        counts[state] = len(await RefundRepository(session).with_state(batch.id, state))
    return {"batch_id": batch.id, "counts": counts}


async def bank_file(
    session: AsyncSession, batch_id: uuid.UUID, encoding: str, principal: Principal
) -> tuple[str, bytes]:
    """The bank's file: one row per person to pay now (``sent``), with the full account number — the one
    place it leaves settlement, to finance only."""
    batch = await _batch(session, batch_id, principal)
    rows = []
    after: uuid.UUID | None = None
    while True:
        page = await RefundRepository(session).page(batch.id, "", "sent", after, 10_000)
        rows += [rules.file_row(row, batch) for row in page]
        if len(page) < 10_000:
            break
        after = page[-1].id
    name = f"refund-instructions-{batch.year}-{batch.id}.csv"
    return name, rules.instruction_csv(rows, encoding)


async def page(
    session: AsyncSession,
    batch_id: uuid.UUID,
    principal: Principal,
    state: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> dict[str, Any]:
    batch = await _batch(session, batch_id, principal)
    prefix = areas.prefix_of(principal.region) if principal.region else ""
    rows = await RefundRepository(session).page(batch.id, prefix, state, after, limit)
    return {
        "items": [
            {
                "id": row.id,
                "line_no": row.line_no,
                "attempt": row.attempt,
                "id_number": mask(row.id_number),
                "region_code": row.region_code,
                "category": row.category,
                "amount": row.amount,
                "account": mask_account(row.account_number) if row.account_number else None,
                "state": row.state,
                "bank_reference": row.bank_reference,
                "note": row.note,
            }
            for row in rows
        ],
        "next_after": rows[-1].id if len(rows) == limit else None,
    }


# the bank's answer --------------------------------------------------------------------------
@savepoint
async def confirm(
    session: AsyncSession, raw: bytes, value_date: date, principal: Principal
) -> dict[str, Any]:
    """Per person: 成功 → paid; 失败/退回 → returned, its money back into the suspense account. All rows or
    none; a row repeating what is already recorded changes nothing."""
    text = bank_rules.decode(raw)
    if text is None:
        raise ValidationFailed(
            "file: the bytes are neither UTF-8 nor GB18030 text",
            errors=[FieldProblem(field="file", reason="the bytes are neither UTF-8 nor GB18030 text")],
        )
    confirmations, problems = bank_rules.read_confirmations(text)
    if problems:
        raise ValidationFailed(
            "; ".join(f"{f}: {r}" for f, r in problems[:5]),
            errors=[FieldProblem(field=f, reason=r) for f, r in problems],
        )
    found = await RefundRepository(session).by_ids([c.transfer_id for c in confirmations])
    unknown = [c for c in confirmations if c.transfer_id not in found]
    if unknown:
        raise ValidationFailed(
            "instructions not found",
            errors=[
                FieldProblem(
                    field=f"file.row{c.row}.指令编号", reason=f"no refund instruction {c.transfer_id}"
                )
                for c in unknown
            ],
        )
    for row in found.values():
        principal.ensure_covers(row.city_code)
    contradicted = [
        c
        for c in confirmations
        if (found[c.transfer_id].state == "paid" and not c.succeeded)
        or (found[c.transfer_id].state == "returned" and c.succeeded)
        or found[c.transfer_id].state == "awaiting_account"
    ]
    if contradicted:
        raise Conflict(
            "the file contradicts instructions already resolved: "
            + "; ".join(f"row {c.row}: {c.transfer_id} is {found[c.transfer_id].state}" for c in contradicted)
        )
    fresh = {c.transfer_id: c for c in confirmations if found[c.transfer_id].state == "sent"}
    await RefundRepository(session).resolve(
        [
            (i, "paid" if c.succeeded else "returned", c.bank_reference[:100], c.note[:500])
            for i, c in fresh.items()
        ],
        principal.subject,
    )
    returned = sorted(i for i, c in fresh.items() if not c.succeeded)
    by_batch: dict[uuid.UUID, list[uuid.UUID]] = {}
    for i in returned:
        by_batch.setdefault(found[i].batch_id, []).append(i)
    for batch_id, ids in sorted(by_batch.items()):
        batch = await BatchRepository(session).batch(batch_id)
        if batch is None:
            raise RuntimeError("batch is missing")
        await _move(session, batch, ids, True, value_date, principal.subject, f"returned:{ids[0]}")
    return {
        "paid": sum(1 for c in fresh.values() if c.succeeded),
        "returned": len(returned),
        "unchanged": len(confirmations) - len(fresh),
    }


@savepoint
async def retry(
    session: AsyncSession, batch_id: uuid.UUID, value_date: date, principal: Principal
) -> dict[str, Any]:
    """Attempt n + 1 to the person's corrected account, out of the suspense account."""
    batch = await _batch(session, batch_id, principal, lock=True)
    ids = await RefundRepository(session).retry(batch.id, principal.subject)
    await _move(
        session,
        batch,
        sorted(ids),
        False,
        value_date,
        principal.subject,
        f"retried:{min(ids) if ids else ''}",
    )
    return {**(await summary(session, batch)), "retried": len(ids)}


async def suspense(session: AsyncSession, city: str, year: int) -> list[dict[str, Any]]:
    """Each person whose refund sits in the suspense account: the reconciliation's explanation."""
    return [
        {
            "instruction_id": row.id,
            "batch_id": row.batch_id,
            "id_number": mask(row.id_number),
            "region_code": row.region_code,
            "category": row.category,
            "amount": row.amount,
            "state": row.state,
            "note": row.note,
        }
        for row in await RefundRepository(session).in_suspense(city, year)
    ]
