"""A person's money, from their ID number to the ledger (S4), in one place: every batch line of the
person (index on ``batch_lines.id_number``), the transfers planned for the line's region and category
(``batch_transfers``' key, written when the batch was prepared) and those transfers as the ledger
holds them (``transfers``' key, whose entries hang off it) — one statement of index look-ups."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.batches.models import Batch, BatchLine, BatchTransfer
from huimin_settlement.batches.reads import PlannedTransfer
from huimin_settlement.batches.repository import PAYER_ORDER
from huimin_settlement.ledger.models import Transfer
from huimin_settlement.reads.service import ensure_own, log_reads
from huimin_shared.auth import Principal


@dataclass(slots=True)
class TracedLine:
    line: BatchLine
    batch: Batch
    transfers: list[PlannedTransfer] = field(default_factory=list)


def person_to_ledger(id_number: str, year: int | None) -> Select[BatchLine, Batch, BatchTransfer, str]:
    """Line → planned transfer (same batch, region and category; its line range holds the line) →
    the transfer in the ledger, if written yet."""
    covers = and_(
        BatchTransfer.batch_id == BatchLine.batch_id,
        BatchTransfer.region_code == BatchLine.region_code,
        BatchTransfer.category == BatchLine.category,
        BatchTransfer.line_first <= BatchLine.line_no,
        BatchTransfer.line_last >= BatchLine.line_no,
    )
    statement = (
        select(BatchLine, Batch, BatchTransfer, Transfer.state)
        .join(Batch, Batch.id == BatchLine.batch_id)
        .outerjoin(BatchTransfer, covers)
        .outerjoin(Transfer, Transfer.id == BatchTransfer.transfer_id)
        .where(BatchLine.id_number == id_number)
        .order_by(
            Batch.prepared_at, BatchLine.line_no, BatchLine.batch_id, BatchTransfer.region_code, PAYER_ORDER
        )
    )
    return statement.where(Batch.year == year) if year is not None else statement


async def trace(
    session: AsyncSession, principal: Principal, id_number: str, year: int | None
) -> list[TracedLine]:
    """Every line of the person in the ledgers the principal covers, each with the transfers that pay it.
    A resident reads only their own trace; a trace that shows the person is read-logged (DRS-8)."""
    ensure_own(principal, id_number)
    found: dict[tuple[object, int], TracedLine] = {}
    for line, batch, planned, state in (await session.execute(person_to_ledger(id_number, year))).all():
        if not principal.covers(batch.city_code):
            continue
        traced = found.setdefault((line.batch_id, line.line_no), TracedLine(line, batch))
        if planned is not None:
            traced.transfers.append(PlannedTransfer(planned, state))
    if found:
        await log_reads(session, [id_number], principal, "trace")
    return list(found.values())
