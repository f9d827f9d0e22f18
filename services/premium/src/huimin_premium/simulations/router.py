"""HTTP for simulations (政策模拟)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from huimin_premium.deps import READERS
from huimin_premium.simulations import service
from huimin_premium.simulations.schemas import Simulation, SimulationRequest
from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, require_roles
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/simulations", tags=["simulations"])
Reader = Annotated[Principal, Depends(require_roles(*READERS))]


@router.post(
    "",
    summary="Re-cost an assessment under changed parameters, storing nothing",
    description="政策模拟: the same assessment version (same residents, same categories) under changed "
    "parameters — a subsidy rate (marginal at 80 %), another city:district ratio, a higher national floor, "
    "other contributions or an eastern central share — and the cost difference per paying level and region. "
    "Nothing is stored.",
    response_model=Simulation,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_simulation(body: SimulationRequest, session: SessionDep, principal: Reader) -> Simulation:
    return await service.simulate(session, principal, body)
