"""Quote request and response (保费测算): every figure with its rule, parameters and citation."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from huimin_policy import codes
from huimin_policy.enums import AgeGroup, Category, RegionClass
from huimin_premium.packs.schemas import PackRef
from huimin_shared import areas
from huimin_shared.idnumber import ResidentIdNumber
from huimin_shared.money import Money


class Facts(BaseModel):
    birth_date: date
    region_code: str = Field(description="Six-digit area code of the district or county of residence.")
    categories: list[Category] = Field(default_factory=list, description="Certified categories held.")

    @field_validator("region_code")
    @classmethod
    def _area_code(cls, value: str) -> str:
        if not areas.is_area_code(value):
            raise ValueError("a region code is a six-digit area code such as 210502")
        if areas.level_of(value) not in (areas.AreaLevel.district, areas.AreaLevel.county):
            raise ValueError(
                "give the district or county code (the cost sharing depends on it), not a city or province"
            )
        return value

    @field_validator("birth_date")
    @classmethod
    def _plausible(cls, value: date) -> date:
        if value.year < 1880:
            raise ValueError("birth date before 1880")
        return value


class QuoteRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"year": 2010, "id_number": "210502198001011234"},
                {
                    "year": 2010,
                    "facts": {"birth_date": "1952-07-18", "region_code": "210521", "categories": ["dibao"]},
                },
            ]
        }
    )

    year: int = Field(ge=2007, le=2100, description="Cover year (参保年度).")
    id_number: ResidentIdNumber | None = Field(
        default=None, description="Quote a resident known to eligibility (status read on the reference date)."
    )
    facts: Facts | None = Field(default=None, description="Or quote explicit facts.")
    on: date | None = Field(
        default=None, description="Day the status is read; 1 January of `year` by default."
    )
    supplementary: bool = Field(
        default=False, description="Add the 大额医疗补充保险 premium (never subsidised, B§一(二)2)."
    )
    pack: PackRef | None = Field(default=None, description="Pin a pack version; by default the one in force.")

    @model_validator(mode="after")
    def _one_subject(self) -> QuoteRequest:
        if (self.id_number is None) == (self.facts is None):
            raise ValueError("give either id_number or facts, not both and not neither")
        if self.on is not None and self.on.year != self.year:
            raise ValueError("`on` must fall in the cover year")
        return self


class Working(BaseModel):
    """How a figure was produced."""

    amount: Money
    rule: str
    parameters: dict[str, Any]
    citation: str
    illustrative: bool = False


class Considered(BaseModel):
    category: Category
    rule: str
    amount: Money
    citation: str
    parameters: dict[str, Any]


class PayerAmounts(BaseModel):
    central: Money
    province: Money
    city: Money
    district_or_county: Money


class QuotedResident(BaseModel):
    id_number: str | None
    birth_date: date
    region_code: str
    region_class: RegionClass
    categories: list[Category]
    age_group: AgeGroup
    eligible: bool | None = Field(
        description="From eligibility when quoted by ID number; null for explicit facts."
    )
    excluded_reason: str | None = None


class Quote(BaseModel):
    year: int
    reference_date: date
    pack: PackRef
    national_pack: PackRef
    resident: QuotedResident
    category: Category | None = Field(
        description="The category whose rule was applied (most favourable, once)."
    )
    financing_standard: Money = Field(
        description="筹资标准 = general subsidy + individual contribution (P1)."
    )
    general_subsidy: Money = Field(description="政府普遍补助.")
    individual_contribution: Money = Field(description="个人缴费 (the family's share).")
    assistance_subsidy: Money = Field(
        description="资助参保: what the government pays of the individual contribution."
    )
    resident_pays: Money = Field(
        description="What the resident pays of the individual contribution (may be 0.00)."
    )
    by_payer: PayerAmounts = Field(description="The assistance subsidy split by paying level; adds up to it.")
    supplementary_premium: Money | None = Field(description="大额医疗补充保险, if taken: never subsidised.")
    total_resident_pays: Money
    citation: str = Field(description="The clause that produced the assistance subsidy.")
    working: dict[str, Working] = Field(
        description="For every figure above: its rule, parameters and citation."
    )
    considered: list[Considered] = Field(
        description="Every rule that applied before the most favourable was chosen."
    )
    illustrative: bool = Field(description="True when some amount comes from illustrative pack values.")

    # Platform codes, derived from the category and age group when the answer is rendered (never stored).
    @computed_field(description=codes.INSUTYPE_DESCRIPTION, examples=["391"])  # type: ignore[prop-decorator]
    @property
    def insutype(self) -> str:
        return codes.INSUTYPE

    @computed_field(description=codes.PSN_TYPE_DESCRIPTION, examples=["15"])  # type: ignore[prop-decorator]
    @property
    def psn_type(self) -> str:
        return codes.psn_type(self.resident.age_group.value)

    @computed_field(description=codes.ASSISTANCE_PSN_TYPE_DESCRIPTION, examples=["1"])  # type: ignore[prop-decorator]
    @property
    def assistance_psn_type(self) -> str | None:
        return codes.assistance_psn_type(self.category.value if self.category else None)
