"""The transfers a batch makes (S3, S4): planned when it is prepared — one per region, category and paying
level, each covering its block of lines (``batch_transfers``) — and written pending when it is executed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.batches import rules
from huimin_settlement.batches.models import Batch, BatchTransfer
from huimin_settlement.batches.repository import BatchRepository, Block
from huimin_settlement.batches.rules import PAYERS
from huimin_settlement.ledger import rules as ledger_rules
from huimin_settlement.ledger import service as ledger
from huimin_settlement.ledger.service import NewTransfer

BANK_TIMEOUT = timedelta(days=30)


async def plan(
    session: AsyncSession,
    batch_id: uuid.UUID,
    city: str,
    pays_kind: str,
    blocks: list[Block],
) -> None:
    """The transfers the batch will make: one per region, category and paying level (MAF → RIF, or →
    payee for refunds; a negative net goes back to the fund), each covering its block of lines."""
    accounts = await ledger.chart(session, city)
    fund = accounts[ledger_rules.account_code(ledger_rules.AccountType.medical_assistance_fund, city)]
    payee_type = (
        ledger_rules.AccountType.external_payee
        if pays_kind == rules.BatchKind.refunds.value
        else ledger_rules.AccountType.resident_insurance_fund
    )
    payee = accounts[ledger_rules.account_code(payee_type, city)]
    rows = []
    for block in blocks:
        for payer, amount in zip(PAYERS, block.totals.by_payer.yuan(), strict=True):
            if amount == 0:
                continue
            forward = amount > 0
            rows.append(
                {
                    "batch_id": batch_id,
                    "region_code": block.region_code,
                    "category": block.category,
                    "payer_level": payer,
                    "transfer_id": ledger_rules.derived_transfer_id(
                        "batch", batch_id, block.region_code, block.category, payer
                    ),
                    "debit_account_id": fund.id if forward else payee.id,
                    "credit_account_id": payee.id if forward else fund.id,
                    "amount": abs(amount),
                    "line_first": block.line_first,
                    "line_last": block.line_last,
                }
            )
    await BatchRepository(session).insert_planned(rows)


def to_write(batch: Batch, planned: list[BatchTransfer], value_date: date) -> list[NewTransfer]:
    """The planned transfers as the ledger writes them on execution: pending until posted or confirmed."""
    timeout_at = datetime.now(UTC) + BANK_TIMEOUT
    kind = rules.BatchKind(batch.kind)
    return [
        NewTransfer(
            id=p.transfer_id,
            debit_account_id=p.debit_account_id,
            credit_account_id=p.credit_account_id,
            amount=p.amount,
            code=_code(kind),
            value_date=value_date,
            pending=True,
            timeout_at=timeout_at,
            citation=rules.CLAUSE[kind],
            memo=f"batch {batch.kind} {batch.year}"
            + (f" instalment {batch.instalment}" if batch.instalment else ""),
            cover_year=batch.year,
            region_code=p.region_code,
            category=p.category,
            payer_level=p.payer_level,
            batch_id=batch.id,
            batch_line_first=p.line_first,
            batch_line_last=p.line_last,
        )
        for p in planned
    ]


def _code(kind: rules.BatchKind) -> str:
    if kind is rules.BatchKind.adjustment:
        return ledger_rules.TransferCode.adjustment.value
    if kind is rules.BatchKind.refunds:
        return ledger_rules.TransferCode.refund.value
    return ledger_rules.TransferCode.assistance_payment.value
