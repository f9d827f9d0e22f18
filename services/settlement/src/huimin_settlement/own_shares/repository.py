"""Every SQL statement of own shares: set-based writes (unnest, INSERT … SELECT), keyset reads."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_LINE_COLUMNS = (
    "line_no, id_number, region_code, category, age_group, line_kind, adjusts_version, amount, central, "
    "province, city, district_or_county, citation, odd_fen"
)


# A person still waiting in batch :adjusted — a line of theirs withheld from it, or from an adjustment of it
# made from an assessment version before :version, not paid yet by a reserved or executed carry: an
# adjustment of that batch must not pay them their change either (S3).
_STILL_WAITING_IN_ADJUSTED = """
    EXISTS (SELECT 1 FROM own_share_withheld a JOIN batches s ON s.id = a.batch_id
            WHERE a.id_number = {person}.id_number
              AND (s.id = :adjusted OR (s.adjusts_batch_id = :adjusted AND s.assessment_version < :version
                                        AND s.state <> 'cancelled'))
              AND NOT EXISTS (SELECT 1 FROM batches c
                              WHERE c.id = a.carried_by_batch_id AND c.state IN ('reserved', 'executed')))
"""


class OwnShareRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_payments(self, rows: list[dict[str, Any]], actor: str) -> int:
        """One statement for every row (arrays unnested); a row already stored (natural key) is skipped."""
        result = await self.session.execute(
            text(
                """
                INSERT INTO own_share_payments
                    (id_number, region_code, city_code, cover_year, amount, paid_on, reference, recorded_by)
                SELECT i, r, substr(r, 1, 4) || '00', y, a, p, f, :actor
                FROM unnest(CAST(:ids AS text[]), CAST(:regions AS text[]), CAST(:years AS int[]),
                            CAST(:amounts AS numeric[]), CAST(:paid AS date[]), CAST(:refs AS text[]))
                     AS t(i, r, y, a, p, f)
                ON CONFLICT ON CONSTRAINT uq_own_share_payments_natural DO NOTHING
                RETURNING id
                """
            ),
            {
                "ids": [r["id_number"] for r in rows],
                "regions": [r["region_code"] for r in rows],
                "years": [r["cover_year"] for r in rows],
                "amounts": [r["amount"] for r in rows],
                "paid": [r["paid_on"] for r in rows],
                "refs": [r["reference"] for r in rows],
                "actor": actor,
            },
        )
        return len(result.all())

    async def withhold(self, batch_id: uuid.UUID, year: int, paid_by: date) -> int:
        """Move the batch's lines of people with no own-share payment for ``year`` on or before ``paid_by``
        out of the batch into ``own_share_withheld``, in one statement (S3; mirrors rules.own_share_paid)."""
        result = await self.session.execute(
            text(
                f"""
                WITH moved AS (
                    DELETE FROM batch_lines l
                    WHERE l.batch_id = :batch AND NOT EXISTS (
                        SELECT 1 FROM own_share_payments p
                        WHERE p.id_number = l.id_number AND p.cover_year = :year AND p.paid_on <= :paid_by)
                    RETURNING l.*
                )
                INSERT INTO own_share_withheld (batch_id, {_LINE_COLUMNS}, paid_by)
                SELECT batch_id, {_LINE_COLUMNS}, :paid_by FROM moved
                """
            ),
            {"batch": batch_id, "year": year, "paid_by": paid_by},
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def withhold_adjustment(
        self, batch_id: uuid.UUID, adjusted: uuid.UUID, version: int, year: int, paid_by: date
    ) -> int:
        """An adjustment of a marginal instalment batch: as ``withhold``, and also the lines of people whose
        line of the adjusted batch is still withheld (the adjusted batch never paid them). How many left."""
        result = await self.session.execute(
            text(
                f"""
                WITH moved AS (
                    DELETE FROM batch_lines l
                    WHERE l.batch_id = :batch AND (NOT EXISTS (
                        SELECT 1 FROM own_share_payments p
                        WHERE p.id_number = l.id_number AND p.cover_year = :year AND p.paid_on <= :paid_by)
                        OR {_STILL_WAITING_IN_ADJUSTED.format(person="l")})
                    RETURNING l.*
                )
                INSERT INTO own_share_withheld (batch_id, {_LINE_COLUMNS}, paid_by)
                SELECT batch_id, {_LINE_COLUMNS}, :paid_by FROM moved
                """
            ),
            {"batch": batch_id, "adjusted": adjusted, "version": version, "year": year, "paid_by": paid_by},
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def any_withheld(self, batch_id: uuid.UUID) -> bool:
        return bool(
            await self.session.scalar(
                text("SELECT EXISTS (SELECT 1 FROM own_share_withheld WHERE batch_id = :b)"), {"b": batch_id}
            )
        )

    async def next_carry_no(self, batch: Any) -> int:
        return int(
            await self.session.scalar(
                text(
                    """
                    SELECT coalesce(max(carry_no), 0) + 1 FROM batches
                    WHERE city_code = :city AND year = :year AND kind = :kind AND instalment = :instalment
                      AND assessment_id = :assessment AND assessment_version = :version
                    """
                ),
                {
                    "city": batch.city_code,
                    "year": batch.year,
                    "kind": batch.kind,
                    "instalment": batch.instalment,
                    "assessment": batch.assessment_id,
                    "version": batch.assessment_version,
                },
            )
            or 1
        )

    async def carry(
        self, source: Any, batch_id: uuid.UUID, paid_by: date, adjusted: uuid.UUID | None
    ) -> None:
        """Copy the withheld lines of ``source`` whose person has now paid into batch ``batch_id`` (their line
        numbers kept) and mark them carried — two statements, whatever the number of people. For an
        adjustment ``source``, only people no longer waiting in the ``adjusted`` batch it adjusts."""
        waiting = f"AND NOT {_STILL_WAITING_IN_ADJUSTED.format(person='w')}" if adjusted is not None else ""
        await self.session.execute(
            text(
                f"""
                WITH carried AS (
                    UPDATE own_share_withheld w SET carried_by_batch_id = :batch
                    WHERE w.batch_id = :source AND w.carried_by_batch_id IS NULL AND EXISTS (
                        SELECT 1 FROM own_share_payments p
                        WHERE p.id_number = w.id_number AND p.cover_year = :year AND p.paid_on <= :paid_by)
                        {waiting}
                    RETURNING w.*
                )
                INSERT INTO batch_lines (batch_id, {_LINE_COLUMNS})
                SELECT :batch, {_LINE_COLUMNS} FROM carried
                """
            ),
            {
                "batch": batch_id,
                "source": source.id,
                "year": source.year,
                "paid_by": paid_by,
                "adjusted": adjusted,
                "version": source.assessment_version,
            },
        )

    async def set_control(self, batch_id: uuid.UUID, count: int, *amounts: Decimal) -> None:
        """A carry batch's control totals, from its lines (approval checks them again)."""
        await self.session.execute(
            text(
                """
                UPDATE batches SET line_count = :count, control_total = :total, control_central = :central,
                    control_province = :province, control_city = :city, control_district_or_county = :district
                WHERE id = :batch
                """
            ),
            dict(
                zip(("total", "central", "province", "city", "district"), amounts, strict=True),
                batch=batch_id,
                count=count,
            ),
        )

    async def waiting(
        self,
        city: str,
        year: int,
        prefix: str,
        instalment: int | None,
        after: tuple[str, int] | None,
        limit: int,
    ) -> list[Any]:
        """Withheld lines of live batches not yet carried, in (batch, line) order, with the person's first
        payment for the year if one has arrived since."""
        result = await self.session.execute(
            text(
                """
                SELECT w.id_number, w.region_code, w.category, b.instalment, w.batch_id, w.line_no, w.amount,
                       b.due_on,
                       (SELECT min(p.paid_on) FROM own_share_payments p
                         WHERE p.id_number = w.id_number AND p.cover_year = b.year) AS paid_on
                FROM own_share_withheld w JOIN batches b ON b.id = w.batch_id
                WHERE b.city_code = :city AND b.year = :year AND b.state <> 'cancelled'
                  AND w.carried_by_batch_id IS NULL AND w.region_code LIKE :prefix
                  AND (CAST(:instalment AS int) IS NULL OR b.instalment = :instalment)
                  AND (CAST(:after_batch AS text) IS NULL
                       OR (CAST(w.batch_id AS text), w.line_no) > (CAST(:after_batch AS text), :after_line))
                ORDER BY CAST(w.batch_id AS text), w.line_no
                LIMIT :limit
                """
            ),
            {
                "city": city,
                "year": year,
                "prefix": prefix + "%",
                "instalment": instalment,
                "after_batch": after[0] if after else None,
                "after_line": after[1] if after else 0,
                "limit": limit,
            },
        )
        return list(result.all())
