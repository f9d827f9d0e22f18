"""The applicant's detail sheet (资助对象明细表) and the decision."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from huimin_eligibility.common import DistrictCode
from huimin_policy.enums import Category
from huimin_shared.idnumber import ResidentIdNumber

# Some character that is not a space: a blank reference is no evidence (unanchored, as JSON Schema reads it).
EvidenceRef = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
EVIDENCE_DESCRIPTION = (
    "证明材料编号: the reference of the evidence the application rests on (e.g. the 低保证 number or the "
    "street office's certificate number), as the community officer submits it. At approval it is the "
    "certification's 证明文号 unless the reviewer records another (the decision's own document number)."
)


class ApplicationStatus(StrEnum):
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id_number": "210504200504091128",
                    "name": "李娜",
                    "region_code": "210504",
                    "community": "高峪社区",
                    "household": "0207",
                    "household_size": 3,
                    "category": "marginal",
                    "requested_from": "2010-03-01",
                    "reason": "父亲病退，家庭人均收入低于低保边缘标准 (income below the marginal line)",
                    "evidence_ref": "明民边字〔2010〕031号",
                }
            ]
        },
    )

    id_number: ResidentIdNumber
    name: str = Field(min_length=1, max_length=100, description="姓名")
    region_code: DistrictCode
    community: str = Field(min_length=1, max_length=100, description="社区")
    household: str = Field(min_length=1, max_length=100, description="户号")
    household_size: int = Field(ge=1, le=30, description="家庭人口")
    category: Category = Field(description="类别 applied for.")
    requested_from: date = Field(description="申请资助起始日期: the first day asked for.")
    employee_insurance_since: date | None = Field(default=None, description="职工医保参保日期, if any (E3).")
    reason: str = Field(min_length=1, max_length=1000, description="困难情况说明")
    evidence_ref: EvidenceRef = Field(description=EVIDENCE_DESCRIPTION)


class ApplicationApprove(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "authority": "明山区民政局",
                    "evidence_ref": "明民边字〔2010〕031号",
                    "valid_from": "2010-03-01",
                },
                {"authority": "明山区民政局"},
            ]
        },
    )

    authority: str = Field(min_length=1, max_length=200, description="认定机关")
    evidence_ref: EvidenceRef | None = Field(
        default=None,
        description="证明文号 the certification records: the reviewer's when given, otherwise the application's "
        "evidence reference (the portal prefills it). 422 when neither exists (an application submitted before "
        "evidence was asked for).",
    )
    valid_from: date | None = Field(default=None, description="Defaults to the requested date.")


class ApplicationReject(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "家庭人均收入高于低保边缘标准 (income above the marginal line)"}]
        },
    )

    reason: str = Field(min_length=1, max_length=1000, description="不予认定理由")


class ApplicationOut(BaseModel):
    id: uuid.UUID
    id_number: str
    name: str
    region_code: str
    community: str
    household: str
    household_size: int
    category: Category
    requested_from: date
    employee_insurance_since: date | None
    reason: str
    evidence_ref: str | None = Field(
        description=EVIDENCE_DESCRIPTION + " Null only on applications submitted before it was asked for."
    )
    status: ApplicationStatus
    submitted_by: str
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    certification_id: int | None = Field(description="The certification record the approval created.")


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
