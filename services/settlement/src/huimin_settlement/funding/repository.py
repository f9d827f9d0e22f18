"""SQL of the funding flows."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.funding.models import FundingRun

FUNDING_CODES = (
    "pre_allocation",
    "local_share",
    "fund_deposit",
    "central_transfer",
    "province_transfer",
    "year_end_settlement",
)


class FundingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def run(self, city: str, year: int, kind: str) -> FundingRun | None:
        statement = select(FundingRun).where(
            FundingRun.city_code == city, FundingRun.year == year, FundingRun.kind == kind
        )
        return (await self.session.scalars(statement)).first()

    async def runs(self, city: str, year: int) -> list[FundingRun]:
        statement = (
            select(FundingRun)
            .where(FundingRun.city_code == city, FundingRun.year == year)
            .order_by(FundingRun.created_at)
        )
        return list(await self.session.scalars(statement))

    async def lock_funding(self, city: str, year: int) -> None:
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"funding:{city}:{year}"}
        )

    async def count_runs(self, city: str, year: int, kind: str) -> int:
        result = await self.session.scalar(
            select(func.count())
            .select_from(FundingRun)
            .where(FundingRun.city_code == city, FundingRun.year == year, FundingRun.kind == kind)
        )
        return int(result or 0)

    async def get_run(self, run_id: uuid.UUID) -> FundingRun:
        run = await self.session.get(FundingRun, run_id)
        if run is None:
            raise RuntimeError("run is missing")
        return run

    async def insert_run(self, values: dict[str, Any]) -> bool:
        result = await self.session.execute(
            insert(FundingRun)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=["city_code", "year", "kind"],
                index_where=text("kind IN ('pre_allocation', 'year_end_settlement')"),
            )
            .returning(FundingRun.id)
        )
        return result.first() is not None

    async def funded_into_fund(self, city: str, year: int) -> dict[tuple[str, str], Decimal]:
        """Net money paid into the medical assistance fund for the cover year, per region and paying level."""
        result = await self.session.execute(
            text(
                """
                SELECT t.region_code, t.payer_level,
                       sum(CASE WHEN c.type = 'medical_assistance_fund' THEN t.amount ELSE -t.amount END)
                FROM transfers t
                JOIN accounts c ON c.id = t.credit_account_id
                JOIN accounts d ON d.id = t.debit_account_id
                WHERE t.city_code = :city AND t.cover_year = :year AND t.state = 'posted'
                  AND t.batch_id IS NULL AND t.payer_level IS NOT NULL
                  AND (c.type = 'medical_assistance_fund' OR d.type = 'medical_assistance_fund')
                GROUP BY t.region_code, t.payer_level
                """
            ),
            {"city": city, "year": year},
        )
        return {(row[0], row[1]): Decimal(row[2]) for row in result.all()}
