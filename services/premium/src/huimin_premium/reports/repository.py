"""SQL for the R1 report: head counts and amounts from the latest version of each assessment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_shared import areas


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enrolment(self, region: str, year: int) -> Sequence[Any]:
        """Per city and age group: residents in the latest versions' statements (every kind, each person once)."""
        return (
            await self.session.execute(
                text(
                    """
                    SELECT substr(a.region, 1, 4) || '00' AS city, r.age_group, count(DISTINCT r.id_number) AS residents
                    FROM assessments a
                    JOIN assessment_versions v ON v.assessment_id = a.id AND v.version = a.latest_version
                    JOIN assessment_results r ON r.run_id = v.run_id
                    WHERE a.year = :year AND a.region LIKE :prefix
                    GROUP BY 1, 2
                    """
                ),
                {"year": year, "prefix": areas.prefix_of(region) + "%"},
            )
        ).all()

    async def assessed(self, region: str, year: int) -> Sequence[Any]:
        """Per city: the latest versions' totals by payer (from the stored totals, themselves sums of lines)."""
        return (
            await self.session.execute(
                text(
                    """
                    SELECT substr(a.region, 1, 4) || '00' AS city, min(a.pack_id) AS pack_id,
                        min(a.pack_version) AS pack_version,
                        sum(t.central) AS central, sum(t.province) AS province, sum(t.city) AS city_amount,
                        sum(t.district_or_county) AS district_or_county, sum(t.assistance_subsidy) AS total
                    FROM assessments a
                    JOIN assessment_versions v ON v.assessment_id = a.id AND v.version = a.latest_version
                    JOIN assessment_totals t ON t.version_id = v.id AND t.dimension = 'all'
                    WHERE a.year = :year AND a.region LIKE :prefix
                    GROUP BY 1
                    """
                ),
                {"year": year, "prefix": areas.prefix_of(region) + "%"},
            )
        ).all()
