"""Search, household and duplicate-check bodies."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from huimin_eligibility.rules import ExclusionReason
from huimin_policy.enums import AgeGroup, Category
from huimin_shared.idnumber import Sex

ID_NUMBER_SHOWN = (
    "Resident ID number — masked (first 6 and last 4, R2) for roles that see masked numbers (auditor)."
)


class ResidentMatch(BaseModel):
    id_number: str = Field(description=ID_NUMBER_SHOWN)
    name: str
    birth_date: date
    sex: Sex
    region_code: str
    community: str
    household: str
    categories_on_date: list[Category] = Field(
        description="Categories certified on `on` (as known now), whatever the scope of the place."
    )


class ResidentSearchPage(BaseModel):
    on: date
    items: list[ResidentMatch]
    next_after: int | None = Field(
        description="Pass as `after` for the next page (an opaque position); null on the last page."
    )


class HouseholdMember(ResidentMatch):
    eligible: bool = Field(description="Subsidised on `on` (as the status look-up answers, E3–E5).")
    categories: list[Category] = Field(description="The subsidised categories the cover rests on (E5).")
    age_group: AgeGroup
    excluded_reason: ExclusionReason | None


class HouseholdOut(BaseModel):
    household: str
    region: str | None = Field(description="The area the household number was looked up in, if given.")
    on: date
    members: list[HouseholdMember]


class DuplicateKind(StrEnum):
    same_name_and_birth_date = "same_name_and_birth_date"
    same_15_digit_form = "same_15_digit_form"


class DuplicateGroup(BaseModel):
    kind: DuplicateKind = Field(
        description="same_name_and_birth_date: one name and birth date under different ID numbers; "
        "same_15_digit_form: numbers that agree on area code, two-digit year, month, day and sequence (the "
        "legacy 15-digit form) but not the century."
    )
    key: str = Field(description="What the group shares (name and birth date, or the masked 15-digit form).")
    members: list[ResidentMatch]


class DuplicatePage(BaseModel):
    items: list[DuplicateGroup]
    next_after: str | None = Field(description="Pass as `after` for the next page; null on the last page.")
