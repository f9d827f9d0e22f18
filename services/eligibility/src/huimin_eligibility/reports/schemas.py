"""Monthly change report (E6) and the community disclosure list (R2)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from huimin_eligibility.rules import MonthlyChange
from huimin_policy.enums import AgeGroup, Category
from huimin_shared.idnumber import Sex


class MonthlyChangeRow(BaseModel):
    change: MonthlyChange = Field(description="new 新增, exited 退出, changed 变更.")
    effective_on: date
    id_number: str
    name: str
    sex: Sex
    birth_date: date
    age_group: AgeGroup
    region_code: str
    community: str
    household: str
    categories: list[Category] = Field(
        description="Subsidised categories after the change (before it, for an exit)."
    )


class MonthlyChanges(BaseModel):
    region: str
    month: str = Field(description="YYYY-MM")
    as_of: datetime
    items: list[MonthlyChangeRow]


class DisclosureRow(BaseModel):
    name: str = Field(description="Surname shown, given name masked (张**).")
    id_number: str = Field(description="First 6 and last 4 characters shown.")
    category: Category


class Disclosure(BaseModel):
    region: str
    community: str
    year: int
    items: list[DisclosureRow]
