"""The R1 report (困难居民参保情况报表, N§一): enrolment, standards and fiscal subsidy in place."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from huimin_policy.enums import AgeGroup, Category
from huimin_premium.packs.schemas import PackRef
from huimin_shared.money import Money


class Enrolled(BaseModel):
    minors: int = Field(description="未成年人: under 18 on 1 January.")
    adults: int = Field(description="成年人: 18 and over (the elderly included).")
    of_which_elderly: int
    total: int


class Standard(BaseModel):
    category: Category
    age_group: AgeGroup
    individual_contribution: Money
    assistance_subsidy: Money = Field(description="补助标准 per person per year.")
    citation: str


class Amounts(BaseModel):
    central: Money
    province: Money
    city: Money
    district_or_county: Money
    total: Money


class CityReport(BaseModel):
    city: str
    name: str
    pack: PackRef
    enrolled: Enrolled
    standards: list[Standard]
    assessed: Amounts = Field(
        description="What the latest assessment versions (all kinds) come to, by payer."
    )
    local_fiscal_subsidy_assessed: Money = Field(
        description="Province + city + district/county of `assessed`."
    )
    moved: Amounts = Field(
        description="地方财政补助资金到位情况: what settlement's ledger actually moved (S1)."
    )
    local_fiscal_subsidy_moved: Money = Field(description="Province + city + district/county of `moved`.")


class R1Report(BaseModel):
    region: str
    year: int
    generated_at: datetime
    cities: list[CityReport]
    enrolled: Enrolled
    assessed: Amounts
    moved: Amounts
