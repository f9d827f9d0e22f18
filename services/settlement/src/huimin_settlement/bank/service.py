"""Bank side: a payment instruction file per batch and the import of the bank's confirmations."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy import codes
from huimin_settlement.bank import rules
from huimin_settlement.batches import service as batches
from huimin_settlement.ledger import service as ledger
from huimin_settlement.ledger.repository import LedgerRepository
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, FieldProblem, ValidationFailed

PAYER_NAMES = {"central": "中央", "province": "省级", "city": "市级", "district_or_county": "县（区）级"}
CATEGORY_NAMES = {"dibao": "城市低保对象", "marginal": "低保边缘对象"}


async def instructions(
    session: AsyncSession, batch_id: uuid.UUID, principal: Principal, encoding: str
) -> tuple[str, bytes]:
    batch = await batches.get(session, batch_id, principal)
    accounts = {a.id: a for a in (await ledger.chart(session, batch.city_code)).values()}
    rows = []
    for transfer in sorted(
        await batches.transfers_of(session, batch_id), key=lambda t: (t.region_code or "", t.id)
    ):
        debit, credit = accounts[transfer.debit_account_id], accounts[transfer.credit_account_id]
        rows.append(
            (
                str(transfer.id),
                str(batch.id),
                debit.code,
                debit.name,
                credit.code,
                credit.name,
                str(transfer.amount),
                "CNY",
                transfer.region_code or "",
                CATEGORY_NAMES.get(transfer.category or "", transfer.category or ""),
                PAYER_NAMES.get(transfer.payer_level or "", ""),
                transfer.citation or "",
                transfer.state,
                codes.INSUTYPE,
                codes.assistance_psn_type(transfer.category) or "",
                codes.fund_code(debit.type) or "",
                codes.fund_code(credit.type) or "",
            )
        )
    name = f"payment-instructions-{batch.kind}-{batch.year}-{batch.id}.csv"
    return name, rules.instruction_csv(rows, encoding)


async def confirm(session: AsyncSession, raw: bytes, principal: Principal) -> dict[str, Any]:
    """Post or void the pending transfers a confirmation file names; all rows or none (a savepoint
    around the whole, whatever the caller's transaction does)."""
    async with session.begin_nested():
        return await _confirm(session, raw, principal)


async def _confirm(session: AsyncSession, raw: bytes, principal: Principal) -> dict[str, Any]:
    text = rules.decode(raw)
    if text is None:
        raise ValidationFailed(
            "file: the bytes are neither UTF-8 nor GB18030 text",
            errors=[FieldProblem(field="file", reason="the bytes are neither UTF-8 nor GB18030 text")],
        )
    confirmations, problems = rules.read_confirmations(text)
    if problems:
        raise ValidationFailed(
            "; ".join(f"{f}: {r}" for f, r in problems),
            errors=[FieldProblem(field=f, reason=r) for f, r in problems],
        )
    transfers = {
        t.id: t for t in await LedgerRepository(session).transfers([c.transfer_id for c in confirmations])
    }
    unknown = [c for c in confirmations if c.transfer_id not in transfers]
    if unknown:
        raise ValidationFailed(
            "instructions not found",
            errors=[
                FieldProblem(field=f"file.row{c.row}.指令编号", reason=f"no transfer {c.transfer_id}")
                for c in unknown
            ],
        )
    for transfer in transfers.values():
        principal.ensure_covers(transfer.city_code)
    contradicted = [
        c
        for c in confirmations
        if (transfers[c.transfer_id].state == "posted" and not c.succeeded)
        or (transfers[c.transfer_id].state == "voided" and c.succeeded)
    ]
    if contradicted:
        raise Conflict(
            "the file contradicts transfers already resolved: "
            + "; ".join(
                f"row {c.row}: {c.transfer_id} is {transfers[c.transfer_id].state}" for c in contradicted
            )
        )
    # a transfer listed twice with the same result is resolved once
    to_post = list(
        dict.fromkeys(
            c.transfer_id
            for c in confirmations
            if c.succeeded and transfers[c.transfer_id].state == "pending"
        )
    )
    to_void = list(
        dict.fromkeys(
            c.transfer_id
            for c in confirmations
            if not c.succeeded and transfers[c.transfer_id].state == "pending"
        )
    )
    await ledger.post(session, to_post, principal.subject, "bank confirmed")
    await ledger.void(session, to_void, principal.subject, "bank refused")
    after = {t.id: t for t in await LedgerRepository(session).transfers(list(transfers))}
    not_posted = [i for i in to_post if after[i].state != "posted"]
    if not_posted:
        raise Conflict(
            f"transfers past their pending deadline cannot be posted: {', '.join(map(str, not_posted))}"
        )
    batch_ids = [t.batch_id for t in after.values() if t.batch_id is not None]
    await batches.settle_if_done(session, batch_ids, principal.subject)
    return {
        "rows": [
            {
                "row": c.row,
                "transfer_id": c.transfer_id,
                "bank_reference": c.bank_reference,
                "outcome": (
                    "posted"
                    if c.transfer_id in to_post
                    else "voided"
                    if c.transfer_id in to_void
                    else "unchanged"
                ),
                "state": after[c.transfer_id].state,
            }
            for c in confirmations
        ],
        "posted": len(to_post),
        "voided": len(to_void),
        "unchanged": len(confirmations) - len(to_post) - len(to_void),
    }
