"""Every SQL statement of per-person refund instructions: written and resolved as sets."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PAYER_SUMS = (
    "sum(central) AS central, sum(province) AS province, sum(city) AS city, "
    "sum(district_or_county) AS district_or_county"
)


class RefundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def write_first(self, batch_id: uuid.UUID, city: str, actor: str) -> None:
        """Attempt 1 for every positive line of the batch, in one INSERT … SELECT: ``sent`` to the person's
        active payee account, ``awaiting_account`` when there is none. Written once (a rerun adds nothing)."""
        await self.session.execute(
            text(
                """
                INSERT INTO refund_instructions
                    (id, batch_id, line_no, attempt, city_code, region_code, category, id_number, amount, central,
                     province, city, district_or_county, payee_account_id, state, created_by)
                SELECT gen_random_uuid(), l.batch_id, l.line_no, 1, :city, l.region_code, l.category, l.id_number,
                       l.amount, l.central, l.province, l.city, l.district_or_county, p.id,
                       CASE WHEN p.id IS NULL THEN 'awaiting_account' ELSE 'sent' END, :actor
                FROM batch_lines l
                LEFT JOIN payee_accounts p ON p.id_number = l.id_number AND p.state = 'active'
                WHERE l.batch_id = :batch AND l.amount > 0
                ON CONFLICT ON CONSTRAINT uq_refund_instructions_attempt DO NOTHING
                """
            ),
            {"batch": batch_id, "city": city, "actor": actor},
        )

    async def any_written(self, batch_id: uuid.UUID) -> bool:
        return bool(
            await self.session.scalar(
                text("SELECT EXISTS (SELECT 1 FROM refund_instructions WHERE batch_id = :b)"), {"b": batch_id}
            )
        )

    async def sums(self, ids: list[uuid.UUID]) -> list[Any]:
        """Per region, category and payer, what the instructions ``ids`` hold (the suspense transfers)."""
        result = await self.session.execute(
            text(
                f"""
                SELECT region_code, category, {PAYER_SUMS} FROM refund_instructions
                WHERE id = ANY(:ids) GROUP BY region_code, category ORDER BY region_code, category
                """
            ),
            {"ids": ids},
        )
        return list(result.all())

    async def with_state(self, batch_id: uuid.UUID, state: str) -> list[uuid.UUID]:
        result = await self.session.execute(
            text("SELECT id FROM refund_instructions WHERE batch_id = :b AND state = :s ORDER BY id"),
            {"b": batch_id, "s": state},
        )
        return [row[0] for row in result.all()]

    async def by_ids(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
        result = await self.session.execute(
            text("SELECT * FROM refund_instructions WHERE id = ANY(:ids) FOR UPDATE"), {"ids": ids}
        )
        return {row.id: row for row in result.all()}

    async def resolve(self, rows: list[tuple[uuid.UUID, str, str, str]], actor: str) -> None:
        """(id, new state, bank reference, note) for instructions still ``sent`` — one statement."""
        await self.session.execute(
            text(
                """
                UPDATE refund_instructions r SET state = t.s, bank_reference = t.b, note = t.n,
                    resolved_by = :actor, resolved_at = now()
                FROM unnest(CAST(:ids AS uuid[]), CAST(:states AS text[]), CAST(:refs AS text[]),
                            CAST(:notes AS text[])) AS t(i, s, b, n)
                WHERE r.id = t.i AND r.state = 'sent'
                """
            ),
            {
                "ids": [r[0] for r in rows],
                "states": [r[1] for r in rows],
                "refs": [r[2] for r in rows],
                "notes": [r[3] for r in rows],
                "actor": actor,
            },
        )

    async def retry(self, batch_id: uuid.UUID, actor: str) -> list[uuid.UUID]:
        """Attempt n + 1, ``sent``, for every latest attempt that was returned (the person's active account
        is now another one) or awaited an account (there is one now) — one INSERT … SELECT."""
        result = await self.session.execute(
            text(
                """
                INSERT INTO refund_instructions
                    (id, batch_id, line_no, attempt, city_code, region_code, category, id_number, amount, central,
                     province, city, district_or_county, payee_account_id, state, created_by)
                SELECT gen_random_uuid(), r.batch_id, r.line_no, r.attempt + 1, r.city_code, r.region_code,
                       r.category, r.id_number, r.amount, r.central, r.province, r.city, r.district_or_county,
                       p.id, 'sent', :actor
                FROM refund_instructions r
                JOIN payee_accounts p ON p.id_number = r.id_number AND p.state = 'active'
                WHERE r.batch_id = :batch AND r.state IN ('returned', 'awaiting_account')
                  AND p.id IS DISTINCT FROM r.payee_account_id
                  AND NOT EXISTS (SELECT 1 FROM refund_instructions n
                                  WHERE n.batch_id = r.batch_id AND n.line_no = r.line_no AND n.attempt > r.attempt)
                RETURNING id
                """
            ),
            {"batch": batch_id, "actor": actor},
        )
        return [row[0] for row in result.all()]

    async def page(
        self, batch_id: uuid.UUID, prefix: str, state: str | None, after: uuid.UUID | None, limit: int
    ) -> list[Any]:
        result = await self.session.execute(
            text(
                """
                SELECT r.*, p.account_number, p.kind, p.bank_name, p.holder_name
                FROM refund_instructions r LEFT JOIN payee_accounts p ON p.id = r.payee_account_id
                WHERE r.batch_id = :batch AND r.region_code LIKE :prefix
                  AND (CAST(:state AS text) IS NULL OR r.state = :state)
                  AND (CAST(:after AS uuid) IS NULL OR r.id > :after)
                ORDER BY r.id LIMIT :limit
                """
            ),
            {"batch": batch_id, "prefix": prefix + "%", "state": state, "after": after, "limit": limit},
        )
        return list(result.all())

    async def in_suspense(self, city: str, year: int) -> list[Any]:
        """Latest attempts whose money sits in the suspense account (returned or awaiting an account)."""
        result = await self.session.execute(
            text(
                """
                SELECT r.id, r.batch_id, r.id_number, r.region_code, r.category, r.amount, r.state, r.note
                FROM refund_instructions r JOIN batches b ON b.id = r.batch_id
                WHERE r.city_code = :city AND b.year = :year AND r.state IN ('returned', 'awaiting_account')
                  AND NOT EXISTS (SELECT 1 FROM refund_instructions n
                                  WHERE n.batch_id = r.batch_id AND n.line_no = r.line_no AND n.attempt > r.attempt)
                ORDER BY r.region_code, r.id_number
                """
            ),
            {"city": city, "year": year},
        )
        return list(result.all())
