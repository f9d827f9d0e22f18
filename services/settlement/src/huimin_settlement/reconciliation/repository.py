"""SQL of reconciliation and the fiscal-subsidy report."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class ReconciliationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def moved_by_batches(self, city: str, year: int) -> dict[tuple[str, str, str, str], Decimal]:
        """Net posted batch money per flow, region, category and payer. Into the insurance fund: out of the
        medical assistance fund counts +, back −. Refunds: what reached the refund payee account counts +,
        what left it (back to the fund, or returned by the bank into the suspense account) − (B§四(四))."""
        result = await self.session.execute(
            text(
                """
                SELECT CASE WHEN c.type = 'external_payee' OR d.type = 'external_payee' THEN 'refund'
                            ELSE 'resident_insurance_fund' END AS flow,
                       t.region_code, t.category, t.payer_level,
                       sum(CASE WHEN c.type = 'external_payee' THEN t.amount
                                WHEN d.type = 'external_payee' THEN -t.amount
                                WHEN d.type = 'medical_assistance_fund' THEN t.amount ELSE -t.amount END)
                FROM transfers t
                JOIN accounts d ON d.id = t.debit_account_id
                JOIN accounts c ON c.id = t.credit_account_id
                WHERE t.city_code = :city AND t.cover_year = :year AND t.state = 'posted' AND t.batch_id IS NOT NULL
                GROUP BY 1, 2, 3, 4
                """
            ),
            {"city": city, "year": year},
        )
        return {(row[0], row[1], row[2], row[3]): Decimal(row[4]) for row in result.all()}

    async def refunded(self, city: str, region: str, year: int) -> dict[str, Decimal]:
        """R1: net money that reached residents as refunds (B§四(四)), per payer — into the refund payee account
        +, out of it (back to the fund, or returned into the suspense account) −."""
        result = await self.session.execute(
            text(
                """
                SELECT t.payer_level,
                       sum(CASE WHEN c.type = 'external_payee' THEN t.amount ELSE -t.amount END)
                FROM transfers t
                JOIN accounts d ON d.id = t.debit_account_id
                JOIN accounts c ON c.id = t.credit_account_id
                WHERE t.city_code = :city AND t.cover_year = :year AND t.state = 'posted'
                  AND t.payer_level IS NOT NULL AND t.region_code LIKE :prefix
                  AND (c.type = 'external_payee' OR d.type = 'external_payee')
                GROUP BY t.payer_level
                """
            ),
            {"city": city, "year": year, "prefix": region + "%"},
        )
        return {row[0]: Decimal(row[1]) for row in result.all()}

    async def moved_to_insurance_fund(self, city: str, region: str, year: int) -> dict[str, Decimal]:
        """R1: net money moved from the medical assistance fund to the resident insurance fund, per payer."""
        result = await self.session.execute(
            text(
                """
                SELECT t.payer_level,
                       sum(CASE WHEN d.type = 'medical_assistance_fund' THEN t.amount ELSE -t.amount END)
                FROM transfers t
                JOIN accounts d ON d.id = t.debit_account_id
                JOIN accounts c ON c.id = t.credit_account_id
                WHERE t.city_code = :city AND t.cover_year = :year AND t.state = 'posted'
                  AND t.payer_level IS NOT NULL AND t.region_code LIKE :prefix
                  AND ((d.type = 'medical_assistance_fund' AND c.type = 'resident_insurance_fund')
                    OR (d.type = 'resident_insurance_fund' AND c.type = 'medical_assistance_fund'))
                GROUP BY t.payer_level
                """
            ),
            {"city": city, "year": year, "prefix": region + "%"},
        )
        return {row[0]: Decimal(row[1]) for row in result.all()}
