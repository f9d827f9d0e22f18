"""The roster and head-count answers (contract with premium and settlement)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from huimin_eligibility.common import AreaCode, Instant, PolicyDate
from huimin_policy import codes
from huimin_policy.enums import AgeGroup, Category
from huimin_shared.idnumber import ResidentIdNumber, Sex

MAX_SELECTION = 200_000  # premium's paid list is bounded the same (huimin_premium MAX_PAID)


class RosterCategory(BaseModel):
    category: Category
    valid_from: date
    valid_to: date | None
    assistance_psn_type: str | None = Field(description=codes.ASSISTANCE_PSN_TYPE_DESCRIPTION, examples=["1"])


class RosterRow(BaseModel):
    id_number: str
    birth_date: date
    sex: Sex
    region_code: str
    categories: list[RosterCategory] = Field(
        description="The subsidised certifications overlapping the cover year (as known at as_of)."
    )
    first_eligible_on: date = Field(description="First day in the year the person is eligible.")
    certified_at_year_start: bool = Field(description="Eligible on 1 January of the year.")
    insutype: str = Field(description=codes.INSUTYPE_DESCRIPTION, examples=["391"])
    psn_type: str = Field(description=codes.PSN_TYPE_DESCRIPTION, examples=["15"])


class RosterPage(BaseModel):
    year: int
    region: str
    as_of: datetime = Field(description="Pass it back with `after` to page through the same roster.")
    items: list[RosterRow]
    next_after: str | None = Field(description="The `after` of the next page; null on the last page.")


class HeadCount(BaseModel):
    region_code: str
    category: Category = Field(description="A person in two categories counts once, under dibao first.")
    age_group: AgeGroup
    count: int


class HeadCounts(BaseModel):
    region: str
    on: date
    as_of: datetime
    counts: list[HeadCount]
    total: int


class RosterSelection(BaseModel):
    """The roster rows of the residents named (premium's refund assessment: its paid list, B§四(四))."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "year": 2010,
                    "region": "210500",
                    "id_numbers": ["210502198001011234", "210521194001010013"],
                }
            ]
        },
    )

    year: int = Field(ge=2007, le=2100, description="Cover year.")
    region: AreaCode
    as_of: Instant | None = Field(default=None, description="Transaction time; default now (pinned).")
    id_numbers: list[ResidentIdNumber] = Field(
        min_length=1, max_length=MAX_SELECTION, description=f"Up to {MAX_SELECTION:,} ID numbers."
    )
    first_eligible_after: PolicyDate | None = Field(
        default=None, description="Only people whose first eligible day in the year comes after this date."
    )
