"""The schedule of a city's year, derived from what actually happened: executed batches, funding runs
and filed reports."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.batches.models import Batch
from huimin_settlement.funding.models import FundingRun
from huimin_settlement.schedule import rules
from huimin_settlement.schedule.models import Submission
from huimin_shared.auth import Principal, Role
from huimin_shared.errors import Conflict, Forbidden

REPORTING_ROLE = {
    "monthly_change_report": Role.civil_affairs,  # 县（区）民政局 (B§四(三))
    "december_enrolment": Role.social_insurance,  # 劳动和社会保障部门 (B§五(三))
    "province_report": Role.finance,
}


async def schedule(session: AsyncSession, city: str, year: int, today: date) -> list[dict[str, Any]]:
    done: dict[tuple[str, int], tuple[date, str]] = {}
    batches = await session.scalars(
        select(Batch).where(
            Batch.city_code == city,
            Batch.year == year,
            Batch.state == "executed",
            Batch.kind != "adjustment",
        )
    )
    for batch in batches:
        key = (batch.kind, batch.instalment)
        on = batch.value_date or (batch.executed_at.date() if batch.executed_at else today)
        if key not in done or on < done[key][0]:
            done[key] = (on, f"batch {batch.id}")
    runs = await session.scalars(
        select(FundingRun).where(FundingRun.city_code == city, FundingRun.year == year)
    )
    for run in runs:
        if run.kind == "year_end_settlement":
            done[("year_end_settlement", 0)] = (run.value_date, f"funding run {run.id}")
    submissions = await session.scalars(
        select(Submission).where(Submission.city_code == city, Submission.year == year)
    )
    for submission in submissions:
        done[(submission.obligation, submission.month)] = (
            submission.submitted_on,
            submission.reference or f"filed by {submission.submitted_by}",
        )
    items = []
    for deadline in rules.deadlines(year):
        found = done.get((deadline.obligation, deadline.month))
        status, late = rules.status_of(deadline.due_on, found[0] if found else None, today)
        items.append(
            {
                "obligation": deadline.obligation,
                "month": deadline.month or None,
                "due_on": deadline.due_on,
                "clause": deadline.clause,
                "description": deadline.description,
                "status": status.value,
                "late": late,
                "done_on": found[0] if found else None,
                "evidence": found[1] if found else None,
            }
        )
    return items


async def file(
    session: AsyncSession,
    principal: Principal,
    *,
    city: str,
    year: int,
    obligation: str,
    month: int,
    submitted_on: date,
    reference: str | None,
    today: date,
) -> list[dict[str, Any]]:
    """Record the filing once, then the city's schedule as it stands ``today``."""
    principal.ensure_covers(city)
    role = REPORTING_ROLE[obligation]
    if role not in principal.roles:
        raise Forbidden(f"{obligation} is filed by {role.value}")
    result = await session.execute(
        insert(Submission)
        .values(
            city_code=city,
            year=year,
            obligation=obligation,
            month=month,
            submitted_on=submitted_on,
            reference=reference,
            submitted_by=principal.subject,
        )
        .on_conflict_do_nothing(index_elements=["city_code", "year", "obligation", "month"])
        .returning(Submission.id)
    )
    if result.first() is None:
        raise Conflict(f"{obligation} {month or ''} of {city} {year} is already filed")
    return await schedule(session, city, year, today)
