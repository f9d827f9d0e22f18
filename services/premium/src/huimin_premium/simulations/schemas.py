"""Simulation requests and results (政策模拟): an assessment re-costed under changed parameters."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from huimin_policy.enums import AgeGroup, Category
from huimin_policy.packs.model import NonNegativeMoney, Rate, Shares
from huimin_premium.packs.schemas import INT32_MAX
from huimin_shared.money import Money


class Changes(BaseModel):
    """Parameters to change for the assessment's cover year; everything else stays as pinned.

    Amounts are never negative (P1, P4): a negative contribution or floor is a 422, not a simulation."""

    subsidy_rates: dict[Category, Rate] = Field(
        default_factory=dict, description='e.g. {"marginal": "0.80"} (B§一(二)2 is 0.70).'
    )
    cost_sharing: dict[Literal["district", "county"], Shares] = Field(
        default_factory=dict,
        description='e.g. {"district": {"city": 6, "district_or_county": 4}} (B§三 is 7:3).',
    )
    floors: dict[str, NonNegativeMoney] = Field(
        default_factory=dict,
        description='National floors by id, e.g. {"N-minor": "20.00", "N-other": "80.00"} (N§二).',
    )
    individual_contribution: dict[AgeGroup, NonNegativeMoney] = Field(default_factory=dict)
    eastern_central_share: dict[str, NonNegativeMoney] = Field(
        default_factory=dict,
        description='Central share in eastern provinces by floor id, e.g. {"N-other": "10.00"}.',
    )


class SimulationRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "assessment_id": "6f1c2a9e-4b7d-4c3a-9e2f-8a1b5c7d9e01",
                    "changes": {"subsidy_rates": {"marginal": "0.80"}, "floors": {"N-other": "80.00"}},
                }
            ]
        }
    )

    assessment_id: uuid.UUID
    version: int | None = Field(
        default=None, ge=1, le=INT32_MAX, description="The version to re-cost; the latest by default."
    )
    changes: Changes


class PayerTotals(BaseModel):
    central: Money
    province: Money
    city: Money
    district_or_county: Money
    total: Money


class Comparison(BaseModel):
    baseline: PayerTotals
    simulated: PayerTotals
    difference: PayerTotals


class RegionComparison(Comparison):
    region_code: str
    residents: int


class Simulation(Comparison):
    assessment_id: uuid.UUID
    version: int
    year: int
    residents: int
    changes: Changes
    by_region: list[RegionComparison]
    stored: bool = Field(default=False, description="Always false: a simulation stores nothing.")
