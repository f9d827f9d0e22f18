"""HTTP routes: reconciliation and the fiscal-subsidy report read by premium for R1."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from huimin_settlement.deps import ReaderDep
from huimin_settlement.reconciliation import service
from huimin_settlement.reconciliation.schemas import FiscalSubsidyOut, ReconciliationOut
from huimin_shared import areas
from huimin_shared.app import SessionDep
from huimin_shared.errors import FieldProblem, ValidationFailed, problem_responses

router = APIRouter(prefix="/v1", tags=["reconciliation"])


@router.get(
    "/reconciliation",
    operation_id="getReconciliation",
    summary="Reconcile a city's year: due against moved, and the ledger's proofs (对账)",
    description="What the latest version of every assessment read for the city and year says is due, against what "
    "posted batch transfers moved (net), per flow, region, category and paying level; every difference is listed. "
    "Proofs: all entries sum to zero, each transfer's entries balance, each stored balance equals its entries.",
    response_model=ReconciliationOut,
    responses=problem_responses(401, 403, 422),
)
async def reconcile(
    session: SessionDep,
    principal: ReaderDep,
    city: Annotated[str, Query(pattern=r"^[1-9]\d{3}00$", description="City code, e.g. 210500.")],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> ReconciliationOut:
    principal.ensure_covers(city)
    return ReconciliationOut.model_validate(await service.reconcile(session, city, year))


@router.get(
    "/reports/fiscal-subsidy",
    summary="Fiscal subsidy actually in place, for R1 (财政补助资金到位情况)",
    description="R1: what the ledger actually moved from 城市医疗救助基金专账 (`medical_assistance_fund`) to "
    "城镇居民基本医疗保险基金专账 (`resident_insurance_fund`) for the cover year, net of money sent back, per paying "
    "level, for a city or one district/county. Read by the premium service for the province report.",
    response_model=FiscalSubsidyOut,
    responses=problem_responses(401, 403, 422),
)
async def fiscal_subsidy(
    session: SessionDep,
    principal: ReaderDep,
    region: Annotated[str, Query(pattern=r"^[1-9]\d{5}$", description="City or district/county code.")],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> FiscalSubsidyOut:
    if areas.level_of(region) is areas.AreaLevel.province:
        raise ValidationFailed(
            "the report is per city or district/county",
            errors=[
                FieldProblem(field="query.region", reason="a province code; give a city or district/county")
            ],
        )
    principal.ensure_covers(region)
    return FiscalSubsidyOut.model_validate(await service.fiscal_subsidy(session, region, year))
