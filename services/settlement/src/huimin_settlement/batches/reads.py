"""What the batch routes read: a batch with the transfers it makes and its history, lists, pages of lines
(read-logged) and the variance against the previous batch of its kind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.batches.models import Batch, BatchEvent, BatchLine, BatchTransfer
from huimin_settlement.batches.repository import BatchRepository
from huimin_settlement.batches.rules import ByPayer, LineTotals
from huimin_settlement.reads.service import log_reads
from huimin_shared.auth import Principal
from huimin_shared.errors import NotFound


@dataclass(frozen=True, slots=True)
class PlannedTransfer:
    transfer: BatchTransfer
    state: str | None  # None until the batch is executed


@dataclass(frozen=True, slots=True)
class BatchView:
    batch: Batch
    transfers: list[PlannedTransfer]
    history: list[BatchEvent]


@dataclass(frozen=True, slots=True)
class Variance:
    batch: Batch
    previous: Batch | None
    counts: dict[str, int]
    items: list[tuple[str, str, Decimal | None, Decimal | None]]


def control_of(batch: Batch) -> LineTotals:
    """A batch's stored control totals."""
    by_payer = ByPayer.of_yuan(
        batch.control_central, batch.control_province, batch.control_city, batch.control_district_or_county
    )
    return LineTotals(batch.line_count, by_payer)


async def get(session: AsyncSession, batch_id: uuid.UUID, principal: Principal | None = None) -> Batch:
    batch = await BatchRepository(session).batch(batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    if principal is not None:
        principal.ensure_covers(batch.city_code)
    return batch


async def view(session: AsyncSession, batch_id: uuid.UUID, principal: Principal | None = None) -> BatchView:
    """The batch, the transfers it makes (with their ledger state) and its history."""
    batch = await get(session, batch_id, principal)
    planned = [PlannedTransfer(t, state) for t, state in await BatchRepository(session).planned(batch_id)]
    return BatchView(batch, planned, await BatchRepository(session).events(batch_id))


async def list_batches(
    session: AsyncSession, principal: Principal, city: str | None, year: int | None, kind: str | None
) -> list[Batch]:
    if city is not None:
        principal.ensure_covers(city)
    return await BatchRepository(session).list_batches(city, principal.region, year, kind)


async def lines(
    session: AsyncSession, batch_id: uuid.UUID, principal: Principal, after: int | None, limit: int
) -> list[BatchLine]:
    """A page of the batch's lines; each person shown is written to the read log (DRS-8)."""
    await get(session, batch_id, principal)
    lines = await BatchRepository(session).lines(batch_id, after, limit)
    await log_reads(session, [line.id_number for line in lines], principal, "batch_lines")
    return lines


async def variance(
    session: AsyncSession, batch_id: uuid.UUID, principal: Principal, after: str | None, limit: int
) -> Variance:
    batch = await get(session, batch_id, principal)
    previous = (
        await BatchRepository(session).batch(batch.previous_batch_id) if batch.previous_batch_id else None
    )
    counts, items = await BatchRepository(session).variance(
        batch_id, previous.id if previous else None, after, limit
    )
    return Variance(batch, previous, counts, items)
