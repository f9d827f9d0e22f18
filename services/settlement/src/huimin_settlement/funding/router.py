"""HTTP routes of the funding flows: pre-allocation, supplementary allocations and year-end settlement (B§三)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from huimin_settlement.deps import EligibilityDep, FinanceDep, IdempotencyKeyHeader, PremiumDep, ReaderDep
from huimin_settlement.funding import service
from huimin_settlement.funding.models import FundingRun
from huimin_settlement.funding.schemas import (
    FundingRunList,
    FundingRunOut,
    PreAllocationIn,
    SupplementIn,
    YearEndIn,
)
from huimin_settlement.idempotency.service import run_idempotent
from huimin_settlement.ledger.models import Transfer
from huimin_settlement.ledger.schemas import TransferOut
from huimin_settlement.ledger.service import today_in_shanghai
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/funding", tags=["funding"])


def run_out(run: FundingRun, transfers: list[Transfer]) -> FundingRunOut:
    return FundingRunOut(
        id=run.id,
        city=run.city_code,
        year=run.year,
        kind=run.kind,
        value_date=run.value_date,
        basis=run.basis,
        created_by=run.created_by,
        created_at=run.created_at,
        transfers=[TransferOut.model_validate(t) for t in transfers],
    )


@router.post(
    "/pre-allocations",
    operation_id="createPreAllocation",
    summary="City pre-allocation to districts and counties (市财政预拨)",
    description="B§三: the head count of eligible people on the base date (default 31 October before the year, "
    "from eligibility) times the per-head subsidy of the annual assessment, per district/county and paying level. "
    "City money goes 市财政 → 县（区）财政 → 民政 → 城市医疗救助基金专账; the district/county share 县（区）财政 → "
    "民政 → fund; central and province shares straight into the fund. Once per city and year; requires an "
    "`Idempotency-Key`.",
    response_model=FundingRunOut,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def pre_allocate(
    body: PreAllocationIn,
    request: Request,
    session: SessionDep,
    principal: FinanceDep,
    premium: PremiumDep,
    eligibility: EligibilityDep,
    idempotency_key: IdempotencyKeyHeader,
) -> JSONResponse:
    async def effect() -> tuple[int, Any]:
        run, transfers = await service.pre_allocate(
            session,
            premium,
            eligibility,
            principal,
            city=body.city,
            year=body.year,
            assessment_id=body.assessment_id,
            assessment_version=body.assessment_version,
            head_count_on=body.head_count_on,
            value_date=body.value_date or today_in_shanghai(),
        )
        return 201, run_out(run, transfers).model_dump(mode="json")

    return await run_idempotent(
        session, request, principal, idempotency_key, body.model_dump(mode="json"), effect
    )


@router.post(
    "/supplementary-allocations",
    operation_id="createSupplementaryAllocation",
    summary="Top the fund up when more is due than was pre-allocated (追加拨款)",
    description="B§三: the pre-allocation is an advance on the head count of the base date. When the assessments "
    "read since (people certified after the base date, refunds) say more is due to the fund for a district/county "
    "and paying level than has been paid in, this pays the shortfall along the pre-allocation's path, so the "
    "payments of B§四 are not held up until the year end. Only shortfalls are paid; surpluses are returned by the "
    "year-end settlement. 409 with `nothing_owed: true` when nothing is short. Requires an `Idempotency-Key`.",
    response_model=FundingRunOut,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def supplement(
    body: SupplementIn,
    request: Request,
    session: SessionDep,
    principal: FinanceDep,
    idempotency_key: IdempotencyKeyHeader,
) -> JSONResponse:
    async def effect() -> tuple[int, Any]:
        run, transfers = await service.supplement(
            session,
            principal,
            city=body.city,
            year=body.year,
            value_date=body.value_date or today_in_shanghai(),
        )
        return 201, run_out(run, transfers).model_dump(mode="json")

    return await run_idempotent(
        session, request, principal, idempotency_key, body.model_dump(mode="json"), effect
    )


@router.post(
    "/year-end-settlements",
    operation_id="createYearEndSettlement",
    summary="Year-end settlement between city and district/county finance (年底结算)",
    description="B§三 每年底市与县（区）财政统一结算: what the latest assessments of the year say is due (annual, "
    "new entrants, refunds) against what was paid into the medical assistance fund, per district/county and paying "
    "level; the transfers that true it up, then the year's period is closed (back-dated entries refused). Requires "
    "an `Idempotency-Key`.",
    response_model=FundingRunOut,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def settle_year(
    body: YearEndIn,
    request: Request,
    session: SessionDep,
    principal: FinanceDep,
    idempotency_key: IdempotencyKeyHeader,
) -> JSONResponse:
    async def effect() -> tuple[int, Any]:
        run, transfers = await service.settle_year(
            session,
            principal,
            city=body.city,
            year=body.year,
            value_date=body.value_date or date(body.year, 12, 31),
        )
        return 201, run_out(run, transfers).model_dump(mode="json")

    return await run_idempotent(
        session, request, principal, idempotency_key, body.model_dump(mode="json"), effect
    )


@router.get(
    "/runs",
    operation_id="listFundingRuns",
    summary="Funding runs of a city and year (资金筹集记录)",
    description="The pre-allocation, supplementary allocations and year-end settlement with their basis and transfers.",
    response_model=FundingRunList,
    responses=problem_responses(401, 403, 422),
)
async def list_runs(
    session: SessionDep,
    principal: ReaderDep,
    city: Annotated[str, Query(pattern=r"^[1-9]\d{3}00$")],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> FundingRunList:
    runs = await service.runs(session, principal, city, year)
    return FundingRunList(items=[run_out(run, transfers) for run, transfers in runs])
