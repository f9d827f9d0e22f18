"""Request and response bodies for residents."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from huimin_eligibility.common import DistrictCode
from huimin_shared.idnumber import ResidentIdNumber, Sex


class ResidentFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Name (姓名).")
    region_code: DistrictCode
    community: str = Field(min_length=1, max_length=100, description="Community (社区).")
    household: str = Field(min_length=1, max_length=100, description="Household number (户号).")
    employee_insurance_since: date | None = Field(
        default=None,
        description="Since when the person is covered by employee insurance (城镇职工基本医疗保险); "
        "such people are excluded (E3, B§一(一)).",
    )


class ResidentCreate(ResidentFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id_number": "210502198001011234",
                    "name": "王秀英",
                    "region_code": "210502",
                    "community": "东明社区",
                    "household": "0012",
                }
            ]
        }
    )

    id_number: ResidentIdNumber


class ResidentUpdate(ResidentFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "王秀英",
                    "region_code": "210503",
                    "community": "河西社区",
                    "household": "0031",
                    "reason": "迁居溪湖区 (moved to Xihu district)",
                }
            ]
        }
    )

    reason: str | None = Field(
        default=None, max_length=500, description="Why the record changes (kept in the audit)."
    )


class ResidentOut(BaseModel):
    id_number: str
    name: str
    birth_date: date = Field(description="From the ID number (E1).")
    sex: Sex = Field(description="From the ID number (E1).")
    region_code: str
    community: str
    household: str
    employee_insurance_since: date | None
    registered_at: datetime = Field(description="When the resident was first recorded.")
    recorded_at: datetime = Field(description="When this version of the record was recorded.")
    as_of: datetime = Field(description="The record as known at this time.")


class ResidentVersionOut(BaseModel):
    name: str
    region_code: str
    community: str
    household: str
    employee_insurance_since: date | None
    recorded_at: datetime
    superseded_at: datetime | None
    recorded_by: str


class ReadEntryOut(BaseModel):
    at: datetime
    reader: str
    role: str = Field(description="The reader's role(s): why they were allowed to look.")
    purpose: str = Field(description="What was read: resident, status, status_bulk …")


class ReadLogOut(BaseModel):
    id_number: str
    reads: list[ReadEntryOut]
