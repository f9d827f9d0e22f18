"""Every SQL statement for batches, their lines and assessment snapshots."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from huimin_settlement.batches.models import (
    AssessmentGroup,
    AssessmentSnapshot,
    Batch,
    BatchEvent,
    BatchLine,
    BatchTransfer,
)
from huimin_settlement.batches.rules import ByPayer, LineTotals
from huimin_settlement.ledger.models import Transfer
from huimin_settlement.ledger.repository import readable_by

# Instalment 2 of a marginal batch from instalment 1's lines of the same assessment version (B§四(二)):
# each payer's part is instalment 1's less the odd fen it carried (odd_fen bit 0 central … bit 3
# district/county), lines whose parts are all zero are left out, and each region × category block keeps
# instalment 1's block number, numbered again from 1 in instalment 1's order.
SECOND_INSTALMENT = """
INSERT INTO batch_lines (batch_id, line_no, id_number, region_code, category, age_group, line_kind,
    adjusts_version, amount, central, province, city, district_or_county, citation, odd_fen)
SELECT :batch_id,
    (line_no / :block) * :block + row_number() OVER (PARTITION BY line_no / :block ORDER BY line_no),
    id_number, region_code, category, age_group, line_kind, adjusts_version,
    c + p + ci + d, c, p, ci, d, citation, NULL
FROM (
    SELECT line_no, id_number, region_code, category, age_group, line_kind, adjusts_version, citation,
        central - sign(central) * 0.01 * (odd_fen & 1) AS c,
        province - sign(province) * 0.01 * ((odd_fen >> 1) & 1) AS p,
        city - sign(city) * 0.01 * ((odd_fen >> 2) & 1) AS ci,
        district_or_county - sign(district_or_county) * 0.01 * ((odd_fen >> 3) & 1) AS d
    FROM batch_lines WHERE batch_id = :source
) AS first
WHERE c + p + ci + d <> 0
"""


@dataclass(frozen=True, slots=True)
class Block:
    """The lines of one region and category of a batch: their range and totals."""

    region_code: str
    category: str
    line_first: int
    line_last: int
    totals: LineTotals


# the payers in PAYERS order, in SQL
PAYER_ORDER = func.array_position(
    text("ARRAY['central', 'province', 'city', 'district_or_county']::varchar[]"), BatchTransfer.payer_level
)


class BatchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_batch(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(Batch).values(**values))

    async def batch(self, batch_id: uuid.UUID, *, for_update: bool = False) -> Batch | None:
        statement = select(Batch).where(Batch.id == batch_id).execution_options(populate_existing=True)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def list_batches(
        self, city: str | None, region: str | None, year: int | None, kind: str | None
    ) -> list[Batch]:
        statement = select(Batch).order_by(Batch.prepared_at, Batch.id)
        if city is not None:
            statement = statement.where(Batch.city_code == city)
        if region is not None:
            statement = statement.where(readable_by(Batch.city_code, region))
        if year is not None:
            statement = statement.where(Batch.year == year)
        if kind is not None:
            statement = statement.where(Batch.kind == kind)
        return list(await self.session.scalars(statement))

    async def live_batch_of_assessment(
        self, city: str, kind: str, instalment: int, assessment_id: str
    ) -> Batch | None:
        statement = select(Batch).where(
            Batch.city_code == city,
            Batch.kind == kind,
            Batch.instalment == instalment,
            Batch.assessment_id == assessment_id,
            Batch.state != "cancelled",
        )
        return (await self.session.scalars(statement)).first()

    async def first_instalment_of(self, city: str, assessment_id: str, version: int) -> Batch | None:
        """The live marginal instalment-1 batch of this assessment version whose every line records its odd
        fen (written since migration 0004): instalment 2 can be computed from it."""
        statement = select(Batch).where(
            Batch.city_code == city,
            Batch.kind == "marginal_instalment",
            Batch.instalment == 1,
            Batch.assessment_id == assessment_id,
            Batch.assessment_version == version,
            Batch.state != "cancelled",
            ~select(BatchLine.line_no)
            .where(BatchLine.batch_id == Batch.id, BatchLine.odd_fen.is_(None))
            .exists(),
        )
        return (await self.session.scalars(statement)).first()

    async def copy_second_instalment(self, source: uuid.UUID, batch_id: uuid.UUID, block: int) -> None:
        await self.session.execute(
            text(SECOND_INSTALMENT), {"batch_id": batch_id, "source": source, "block": block}
        )

    async def adjustments_of(self, batch_id: uuid.UUID) -> list[Batch]:
        """The adjustment batches of a batch, oldest version first."""
        statement = (
            select(Batch)
            .where(Batch.adjusts_batch_id == batch_id)
            .order_by(Batch.assessment_version, Batch.prepared_at)
        )
        return list(await self.session.scalars(statement))

    async def previous_of_kind(
        self, city: str, kind: str, instalment: int, adjusted: Batch | None, exclude: uuid.UUID
    ) -> Batch | None:
        """The batch a new one is compared with: the latest earlier batch of the same kind and instalment;
        for an adjustment batch, the latest adjustment of a batch of the same kind and instalment (a
        marginal adjustment is never compared with a dibao one)."""
        statement = select(Batch).where(
            Batch.city_code == city,
            Batch.kind == kind,
            Batch.instalment == instalment,
            Batch.state != "cancelled",
            Batch.id != exclude,
        )
        if adjusted is not None:
            original = aliased(Batch)
            statement = statement.join(original, Batch.adjusts_batch_id == original.id).where(
                original.kind == adjusted.kind, original.instalment == adjusted.instalment
            )
        statement = statement.order_by(Batch.prepared_at.desc(), Batch.year.desc()).limit(1)
        return (await self.session.scalars(statement)).first()

    async def compare_and_set(
        self,
        batch_id: uuid.UUID,
        expected: str,
        new: str,
        actor: str,
        reason: str | None = None,
        **values: Any,
    ) -> bool:
        """``UPDATE batches … WHERE state = :expected``, with a history row when it wins."""
        result = await self.session.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.state == expected)
            .values(state=new, **values)
            .returning(Batch.id)
            .execution_options(synchronize_session=False)
        )
        if result.first() is None:
            return False
        await self.session.execute(
            insert(BatchEvent).values(
                batch_id=batch_id, from_state=expected, to_state=new, actor=actor, reason=reason
            )
        )
        return True

    async def add_event(self, batch_id: uuid.UUID, new: str, actor: str, reason: str) -> None:
        await self.session.execute(
            insert(BatchEvent).values(
                batch_id=batch_id, from_state=None, to_state=new, actor=actor, reason=reason
            )
        )

    async def events(self, batch_id: uuid.UUID) -> list[BatchEvent]:
        return list(
            await self.session.scalars(
                select(BatchEvent).where(BatchEvent.batch_id == batch_id).order_by(BatchEvent.id)
            )
        )

    async def line_totals(
        self, batch_id: uuid.UUID
    ) -> tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]:
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(BatchLine.amount), 0),
                    func.coalesce(func.sum(BatchLine.central), 0),
                    func.coalesce(func.sum(BatchLine.province), 0),
                    func.coalesce(func.sum(BatchLine.city), 0),
                    func.coalesce(func.sum(BatchLine.district_or_county), 0),
                ).where(BatchLine.batch_id == batch_id)
            )
        ).one()
        return (
            int(row[0]),
            Decimal(row[1]),
            Decimal(row[2]),
            Decimal(row[3]),
            Decimal(row[4]),
            Decimal(row[5]),
        )

    async def blocks(self, batch_id: uuid.UUID) -> list[Block]:
        """Per region and category: line count, first and last line, and what each payer owes."""
        result = await self.session.execute(
            text(
                "SELECT region_code, category, count(*), min(line_no), max(line_no), sum(central), sum(province), "
                "sum(city), sum(district_or_county) FROM batch_lines WHERE batch_id = :b "
                "GROUP BY region_code, category ORDER BY region_code, category"
            ),
            {"b": batch_id},
        )
        return [
            Block(region, category, first, last, LineTotals(count, ByPayer.of_yuan(*payers)))
            for region, category, count, first, last, *payers in result.all()
        ]

    async def insert_planned(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(BatchTransfer), list(rows))

    async def planned(self, batch_id: uuid.UUID) -> list[tuple[BatchTransfer, str | None]]:
        """The batch's transfers as planned, region, category and payer order, with the ledger state of
        those already written."""
        statement = (
            select(BatchTransfer, Transfer.state)
            .outerjoin(Transfer, Transfer.id == BatchTransfer.transfer_id)
            .where(BatchTransfer.batch_id == batch_id)
            .order_by(BatchTransfer.region_code, BatchTransfer.category, PAYER_ORDER)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(statement)).all()]

    async def lines(self, batch_id: uuid.UUID, after: int | None, limit: int) -> list[BatchLine]:
        statement = (
            select(BatchLine).where(BatchLine.batch_id == batch_id).order_by(BatchLine.line_no).limit(limit)
        )
        if after is not None:
            statement = statement.where(BatchLine.line_no > after)
        return list(await self.session.scalars(statement))

    async def variance(
        self, current: uuid.UUID, previous: uuid.UUID | None, after: str | None, limit: int
    ) -> tuple[dict[str, int], list[tuple[str, str, Decimal | None, Decimal | None]]]:
        """Residents new, exited or changed against the previous batch of the kind."""
        base = """
            WITH c AS (SELECT id_number, sum(amount) AS amount FROM batch_lines WHERE batch_id = :c GROUP BY id_number),
                 p AS (SELECT id_number, sum(amount) AS amount FROM batch_lines WHERE batch_id = :p GROUP BY id_number),
                 v AS (SELECT coalesce(c.id_number, p.id_number) AS id_number,
                              CASE WHEN p.id_number IS NULL THEN 'new' WHEN c.id_number IS NULL THEN 'exited'
                                   ELSE 'changed' END AS change,
                              c.amount AS current_amount, p.amount AS previous_amount
                       FROM c FULL JOIN p ON c.id_number = p.id_number
                       WHERE c.amount IS DISTINCT FROM p.amount)
        """
        params = {"c": current, "p": previous}
        counts_rows = (
            await self.session.execute(text(base + "SELECT change, count(*) FROM v GROUP BY change"), params)
        ).all()
        counts = {"new": 0, "exited": 0, "changed": 0}
        counts.update({row[0]: int(row[1]) for row in counts_rows})
        items = (
            await self.session.execute(
                text(
                    base
                    + "SELECT * FROM v WHERE id_number > coalesce(CAST(:after AS varchar), '') ORDER BY id_number LIMIT :limit"
                ),
                {**params, "after": after, "limit": limit},
            )
        ).all()
        return counts, [(row[0], row[1], row[2], row[3]) for row in items]

    # assessment snapshots -----------------------------------------------------------------------
    async def snapshot(self, assessment_id: str, version: int) -> AssessmentSnapshot | None:
        statement = select(AssessmentSnapshot).where(
            AssessmentSnapshot.assessment_id == assessment_id, AssessmentSnapshot.version == version
        )
        return (await self.session.scalars(statement)).first()

    async def insert_snapshot(self, values: dict[str, Any], groups: Sequence[dict[str, Any]]) -> int | None:
        result = await self.session.execute(
            insert(AssessmentSnapshot)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["assessment_id", "version"])
            .returning(AssessmentSnapshot.id)
        )
        snapshot_id = result.scalar()
        if snapshot_id is not None and groups:
            await self.session.execute(
                insert(AssessmentGroup).values([{**group, "snapshot_id": snapshot_id} for group in groups])
            )
        return snapshot_id

    async def groups(self, snapshot_id: int) -> list[AssessmentGroup]:
        return list(
            await self.session.scalars(
                select(AssessmentGroup).where(AssessmentGroup.snapshot_id == snapshot_id)
            )
        )

    async def latest_snapshots(self, city: str, year: int) -> list[AssessmentSnapshot]:
        """The newest version read of every assessment of the city and year."""
        statement = (
            select(AssessmentSnapshot)
            .where(AssessmentSnapshot.city_code == city, AssessmentSnapshot.year == year)
            .ext(distinct_on(AssessmentSnapshot.assessment_id))
            .order_by(AssessmentSnapshot.assessment_id, AssessmentSnapshot.version.desc())
        )
        return list(await self.session.scalars(statement))
