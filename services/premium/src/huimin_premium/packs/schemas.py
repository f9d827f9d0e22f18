"""The pack API's request and response models (publishing, validation reports); the pack itself, its
dated values and its enumerations are the policy package's (huimin_policy.packs.model, huimin_policy.enums).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from huimin_policy.enums import AgeGroup, Category
from huimin_policy.packs.model import INT32_MAX as INT32_MAX  # re-exported for the API's path bounds
from huimin_shared.money import Money

INT64_MAX = 2**63 - 1  # the largest value of a `bigint` column (run and line ids)


class PackRef(BaseModel):
    id: str = Field(max_length=48)
    version: int = Field(ge=1, le=INT32_MAX)


class PackState(StrEnum):
    draft = "draft"  # proposed through the API, not yet validated (or it fell short of a floor)
    validated = "validated"  # meets the national floors in every cover year it states values for
    approved = "approved"  # in force from effective_from: prices quotes and assessments


class PackSummary(BaseModel):
    id: str
    version: int
    title: str
    document: str
    region: str | None
    effective_from: date
    cover_years: list[int] = Field(
        description="The cover years the pack states values for; a quote or assessment for a year no pack "
        "covers is refused (a city publishes a new version with each year's figures)."
    )
    illustrative: bool = Field(description="Some values are not in the notices and were chosen for the demo.")
    content_hash: str
    loaded_at: datetime
    source: str = Field(description="`shipped` with the service, or `api`: published through this API.")
    state: PackState = Field(description="Only an `approved` version prices anything.")
    proposed_by: str
    approved_by: str | None = Field(description="The second person, who approved it (maker-checker).")
    approved_at: datetime | None


class PackList(BaseModel):
    items: list[PackSummary]


class Shortfall(BaseModel):
    rule: str = Field(
        description="The national rule not met: national_floor.N-minor, general_subsidy_minimum …"
    )
    category: Category | None
    age_group: AgeGroup
    required: Money = Field(description="The floor, capped at the individual contribution (P4).")
    provided: Money = Field(description="What the pack's own rule gives.")
    short_by: Money
    citation: str


class Uncovered(BaseModel):
    category: Category
    age_group: AgeGroup
    floor: str
    note: str


class ValidationReport(BaseModel):
    """P4–P5: a local pack may be more generous than the national floors, never less."""

    pack: PackRef
    national_pack: PackRef
    year: int
    valid: bool = Field(description="True when no shortfall was found.")
    general_subsidy_minimum: Money
    shortfalls: list[Shortfall]
    uncovered: list[Uncovered] = Field(
        description="National categories the pack does not subsidise whose definition N§一 leaves to local "
        "government (low_income_elderly, severely_disabled); a pack that leaves out dibao falls short instead."
    )


class PackValidation(BaseModel):
    """The national floors checked in every cover year a proposed pack version states values for."""

    pack: PackRef
    state: PackState = Field(description="`validated` when every year meets the floors, else still `draft`.")
    valid: bool
    years: list[ValidationReport]
