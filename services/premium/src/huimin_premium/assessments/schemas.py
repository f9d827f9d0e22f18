"""Assessment requests and responses (资助参保资金核定)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field, field_validator

from huimin_policy import codes
from huimin_premium.packs.schemas import PackRef
from huimin_shared import areas
from huimin_shared.idnumber import ResidentIdNumber
from huimin_shared.money import Money


class Kind(StrEnum):
    annual = "annual"  # certified at year start: dibao collective enrolment, marginal (B§四(一)(二))
    new_entrants = "new_entrants"  # certified during the year, assessed at year end (B§四(三))
    refunds = "refunds"  # had already paid their own contribution: refunded once at year end (B§四(四))


MAX_PAID = 200_000


class RunRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"as_of": "2010-12-31T17:00:00+08:00", "paid": ["210503196503122046"]}]
        }
    )

    as_of: AwareDatetime = Field(
        description="Pin the roster as eligibility knew it at this moment (ISO 8601)."
    )
    paid: list[ResidentIdNumber] = Field(
        default_factory=list,
        max_length=MAX_PAID,
        description="From the social insurance system: residents who had already paid their own contribution "
        "(B§四(四)). For `refunds` these are the people assessed; for the other kinds they are left out "
        "(they are refunded instead, so nobody is paid for twice).",
    )


class AssessmentRequest(RunRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "region": "210500",
                    "year": 2010,
                    "kind": "annual",
                    "as_of": "2010-01-05T09:00:00+08:00",
                    "paid": ["210503196503122046"],
                }
            ]
        }
    )

    region: str = Field(description="Area code: a city (210500) or one district or county.")
    year: int = Field(ge=2007, le=2100, description="Cover year (参保年度).")
    kind: Kind
    pack: PackRef | None = Field(default=None, description="Pin a pack version; by default the one in force.")

    @field_validator("region")
    @classmethod
    def _area(cls, value: str) -> str:
        if not areas.is_area_code(value):
            raise ValueError("a region is a six-digit area code such as 210500")
        if areas.level_of(value) is areas.AreaLevel.province:
            raise ValueError("assess a city, district or county; a province has several packs")
        return value


class PayerAmounts(BaseModel):
    central: Money
    province: Money
    city: Money
    district_or_county: Money


class TotalsGroup(BaseModel):
    line_count: int
    residents: int = Field(
        description="Residents in the version's statement (exited people are not counted)."
    )
    individual_contribution: Money
    assistance_subsidy: Money
    resident_pays: Money
    by_payer: PayerAmounts


class Totals(TotalsGroup):
    by_category: dict[str, TotalsGroup]
    by_age_group: dict[str, TotalsGroup]
    by_region: dict[str, TotalsGroup]


class RunStatus(StrEnum):
    running = "running"
    complete = "complete"
    unchanged = "unchanged"
    failed = "failed"


class Run(BaseModel):
    """A pass over the roster; its progress while it runs and the version it produced."""

    id: int
    assessment_id: uuid.UUID
    status: RunStatus
    as_of: datetime
    rows_read: int = Field(description="Roster rows read so far (progress).")
    rows_assessed: int = Field(
        description="Residents assessed (the rest are other kinds): 0 until the whole roster has been read."
    )
    paid_listed: int
    paid_unmatched: int | None = Field(description="Listed as paid but not on the roster (not refunded).")
    version: int | None = Field(
        description="The version made (or, if unchanged, the identical latest version)."
    )
    started_at: datetime
    progress_at: datetime | None
    finished_at: datetime | None
    error: str | None


class AssessmentOut(BaseModel):
    id: uuid.UUID
    region: str
    year: int
    kind: Kind
    latest_version: int = Field(description="0 until the first run completes.")
    pack: PackRef
    national_pack: PackRef
    created_by: str
    created_at: datetime
    versions: list[int]


class AssessmentList(BaseModel):
    items: list[AssessmentOut]


class Accepted(BaseModel):
    assessment: AssessmentOut
    run: Run


class VersionOut(BaseModel):
    id: uuid.UUID = Field(description="The assessment id.")
    version: int
    region: str
    year: int
    kind: Kind
    as_of: datetime
    pack: PackRef
    national_pack: PackRef
    previous_version: int | None
    line_count: int
    resident_count: int
    content_hash: str
    status: RunStatus
    totals: Totals
    created_at: datetime


class VersionList(BaseModel):
    items: list[VersionOut]


class LineKind(StrEnum):
    regular = "regular"
    adjustment = "adjustment"


class Line(BaseModel):
    id: int = Field(description="Line id: the keyset for `after`.")
    id_number: str
    region_code: str
    category: str | None
    age_group: str
    line_kind: LineKind
    adjusts_version: int | None
    change: str | None = Field(description="For adjustments: new, exited, reversal or replacement.")
    individual_contribution: Money
    assistance_subsidy: Money
    resident_pays: Money
    by_payer: PayerAmounts
    citation: str

    # Platform codes, derived from the category and age group when the line is rendered (never stored).
    @computed_field(description=codes.INSUTYPE_DESCRIPTION, examples=["391"])  # type: ignore[prop-decorator]
    @property
    def insutype(self) -> str:
        return codes.INSUTYPE

    @computed_field(description=codes.PSN_TYPE_DESCRIPTION, examples=["15"])  # type: ignore[prop-decorator]
    @property
    def psn_type(self) -> str:
        return codes.psn_type(self.age_group)

    @computed_field(description=codes.ASSISTANCE_PSN_TYPE_DESCRIPTION, examples=["1"])  # type: ignore[prop-decorator]
    @property
    def assistance_psn_type(self) -> str | None:
        return codes.assistance_psn_type(self.category)


class PersonLine(BaseModel):
    """One of a person's lines, with the assessment and version it belongs to (their own view)."""

    assessment_id: uuid.UUID
    year: int
    kind: Kind
    version: int
    line: Line


class PersonLines(BaseModel):
    id_number: str
    items: list[PersonLine]


class LinePage(BaseModel):
    items: list[Line]
    next_after: str | None


class LineCategory(StrEnum):
    """The `category` filter of a version's lines: a subsidised category, or `none` for lines without one."""

    dibao = "dibao"
    marginal = "marginal"
    low_income_elderly = "low_income_elderly"
    severely_disabled = "severely_disabled"
    none = "none"


class LineGroup(BaseModel):
    region_code: str
    category: str | None
    age_group: str
    line_kind: LineKind
    count: int = Field(description="Lines in the group.")
    individual_contribution: Money
    assistance_subsidy: Money
    resident_pays: Money
    by_payer: PayerAmounts = Field(description="Adds up to `assistance_subsidy` to the fen.")


class GroupList(BaseModel):
    items: list[LineGroup]


class DiffSide(BaseModel):
    category: str | None
    age_group: str
    region_code: str
    assistance_subsidy: Money


class DiffItem(BaseModel):
    id_number: str
    change: str = Field(description="new, exited or changed.")
    before: DiffSide | None
    after: DiffSide | None
    difference: Money
    difference_by_payer: PayerAmounts


class DiffCounts(BaseModel):
    new: int
    exited: int
    changed: int


class PayerTotals(PayerAmounts):
    total: Money


class Diff(BaseModel):
    id: uuid.UUID
    from_version: int
    to_version: int
    counts: DiffCounts
    before: PayerTotals
    after: PayerTotals
    difference: PayerTotals
    items: list[DiffItem]
    next_after: str | None
