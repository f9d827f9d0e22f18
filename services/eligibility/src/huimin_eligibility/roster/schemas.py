"""The roster and head-count answers (contract with premium and settlement)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from huimin_eligibility.rules import AgeGroup, Category
from huimin_shared.idnumber import Sex


class RosterCategory(BaseModel):
    category: Category
    valid_from: date
    valid_to: date | None


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
