"""Simulations: re-cost a stored assessment version under changed parameters, storing nothing."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy.enums import PAYERS, AgeGroup, Category, RegionClass
from huimin_premium import parameters, rules
from huimin_premium.assessments.models import AssessmentVersion
from huimin_premium.assessments.repository import AssessmentRepository
from huimin_premium.assessments.runner import parameters_for
from huimin_premium.simulations.schemas import (
    Changes,
    Comparison,
    PayerTotals,
    RegionComparison,
    Simulation,
    SimulationRequest,
)
from huimin_shared.auth import Principal
from huimin_shared.errors import NotFound, Unprocessable

SIMULATED = "simulation (not a policy)"


def _cited(value: object, name: str) -> parameters.Cited:  # type: ignore[type-arg]
    return parameters.Cited(value=value, rule=name, citation=SIMULATED, parameters={"simulated": True})


def apply(params: parameters.YearParameters, changes: Changes) -> parameters.YearParameters:
    """The year's parameters with the changes in place (pure)."""
    known_floors = {floor.id for floor in params.floors}
    unknown = (set(changes.floors) | set(changes.eastern_central_share)) - known_floors
    if unknown:
        raise Unprocessable(f"unknown floor ids {sorted(unknown)}; the floors are {sorted(known_floors)}")
    rates = dict(params.subsidy_rates)
    for category, rate in changes.subsidy_rates.items():
        rates[category] = _cited(rate, f"subsidy_rate.{category.value}")
    floors = []
    for floor in params.floors:
        central = dict(floor.central_share)
        if floor.id in changes.eastern_central_share:
            central[RegionClass.eastern] = _cited(
                changes.eastern_central_share[floor.id], f"central_share.{floor.id}"
            )
        floors.append(
            dataclasses.replace(
                floor,
                floor=_cited(changes.floors[floor.id], f"national_floor.{floor.id}")
                if floor.id in changes.floors
                else floor.floor,
                central_share=central,
            )
        )
    contributions = dict(params.individual_contribution)
    for group, amount in changes.individual_contribution.items():
        contributions[group] = _cited(amount, f"individual_contribution.{group.value}")
    return dataclasses.replace(
        params,
        categories=params.categories | frozenset(changes.subsidy_rates),
        subsidy_rates=rates,
        floors=tuple(floors),
        individual_contribution=contributions,
        district_shares=_cited(changes.cost_sharing["district"], "cost_sharing.district")
        if "district" in changes.cost_sharing
        else params.district_shares,
        county_shares=_cited(changes.cost_sharing["county"], "cost_sharing.county")
        if "county" in changes.cost_sharing
        else params.county_shares,
    )


def _totals(values: list[Decimal]) -> PayerTotals:
    return PayerTotals(
        central=values[0],
        province=values[1],
        city=values[2],
        district_or_county=values[3],
        total=sum(values, Decimal(0)),
    )


def _comparison(baseline: list[Decimal], simulated: list[Decimal]) -> Comparison:
    return Comparison(
        baseline=_totals(baseline),
        simulated=_totals(simulated),
        difference=_totals([s - b for s, b in zip(simulated, baseline, strict=True)]),
    )


async def simulate(session: AsyncSession, principal: Principal, request: SimulationRequest) -> Simulation:
    repository = AssessmentRepository(session)
    assessment = await repository.get_readable(principal, request.assessment_id)
    if assessment is None:
        raise NotFound(f"no assessment {request.assessment_id} readable with this token")
    number = request.version or assessment.latest_version
    version: AssessmentVersion | None = await repository.version(assessment.id, number) if number else None
    if version is None:
        raise NotFound(f"assessment {assessment.id} has no version {number}")
    params = apply(await parameters_for(session, assessment), request.changes)
    cache: dict[tuple[frozenset[Category], str, str], tuple[Decimal, ...]] = {}
    baseline: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    simulated: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    residents: dict[str, int] = defaultdict(int)
    async for page in repository.stream_results(version.run_id):
        for row in page:
            held = frozenset(Category(c) for c in row.categories)
            key = (held, row.age_group, row.region_code)
            amounts = cache.get(key)
            if amounts is None:
                outcome = rules.calculate(row.birth_date, row.region_code, held, params)
                if outcome.age_group is not AgeGroup(row.age_group):
                    raise RuntimeError("outcome.age_group is AgeGroup(row.age_group) does not hold")
                amounts = rules.payer_amounts(outcome)
                cache[key] = amounts
            base, sim = baseline[row.region_code], simulated[row.region_code]
            for index, stored in enumerate((row.central, row.province, row.city, row.district_or_county)):
                base[index] += stored
                sim[index] += amounts[index]
            residents[row.region_code] += 1
    regions = sorted(baseline)
    total_base = [sum((baseline[r][i] for r in regions), Decimal(0)) for i in range(len(PAYERS))]
    total_sim = [sum((simulated[r][i] for r in regions), Decimal(0)) for i in range(len(PAYERS))]
    overall = _comparison(total_base, total_sim)
    return Simulation(
        **overall.model_dump(),
        assessment_id=assessment.id,
        version=version.version,
        year=assessment.year,
        residents=sum(residents.values()),
        changes=request.changes,
        by_region=[
            RegionComparison(
                **_comparison(baseline[r], simulated[r]).model_dump(), region_code=r, residents=residents[r]
            )
            for r in regions
        ],
    )
