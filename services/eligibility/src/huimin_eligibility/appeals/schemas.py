"""Appeal bodies (复核)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from huimin_policy.enums import Category


class AppealKind(StrEnum):
    refusal = "refusal"  # a rejected application
    exit = "exit"  # an exited certification


class AppealStatus(StrEnum):
    filed = "filed"
    upheld = "upheld"
    dismissed = "dismissed"


class AppealCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "application_id": "3f2b6c1e-8a47-4d2b-9c1e-5b7a0d9e4f21",
                    "reason": "申请人家庭人均收入低于本溪市最低生活保障标准，认定时漏算一名家庭成员",
                    "evidence_ref": "平复〔2010〕3号",
                }
            ]
        },
    )

    application_id: uuid.UUID | None = Field(default=None, description="The rejected application appealed.")
    lineage: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="The exited certification appealed (its lineage)."
    )
    reason: str = Field(min_length=1, max_length=1000, description="复核理由: why the decision is wrong.")
    evidence_ref: str = Field(min_length=1, max_length=200, description="证明材料编号: the evidence filed.")

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if (self.application_id is None) == (self.lineage is None):
            raise ValueError("name exactly one of application_id (a refusal) or lineage (an exit)")
        return self


class AppealUphold(BaseModel):
    """Upholding corrects the certification, back-dated: a refusal certifies from `valid_from` (default the
    date applied for); an exit is corrected to end on `valid_to` (null: the person never left)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "answer": "复核认定：家庭人均收入低于标准，原不予认定决定撤销",
                    "authority": "平山区民政局",
                    "evidence_ref": "平民复〔2010〕3号",
                    "valid_from": "2010-03-01",
                }
            ]
        },
    )

    answer: str = Field(min_length=1, max_length=1000, description="复核决定: why the appeal is upheld.")
    authority: str = Field(min_length=1, max_length=200, description="认定机关")
    evidence_ref: str = Field(min_length=1, max_length=200, description="证明文号 of the review decision.")
    valid_from: date | None = Field(
        default=None, description="Refusal: first day certified; default requested."
    )
    valid_to: date | None = Field(default=None, description="Exit: the corrected last day; null reinstates.")


class AppealDismiss(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"answer": "复核认定：家庭人均收入高于标准，维持原决定"}]},
    )

    answer: str = Field(min_length=1, max_length=1000, description="复核决定: why the decision stands.")


class AppealOut(BaseModel):
    id: uuid.UUID
    id_number: str
    region_code: str
    kind: AppealKind
    application_id: uuid.UUID | None
    lineage: int | None
    category: Category | None = Field(description="The category the decision was about.")
    decided_by: str = Field(description="Who made the decision appealed; may not answer the appeal.")
    reason: str
    evidence_ref: str
    filed_by: str
    filed_at: datetime
    due_on: date = Field(description="The answer is due by this day (filed + the deadline, see `deadline`).")
    deadline: str = Field(description="Where the deadline comes from (data/policy_calendar.toml).")
    overdue: bool = Field(description="Still unanswered after `due_on` (in Beijing time).")
    status: AppealStatus
    answered_by: str | None
    answered_at: datetime | None
    answer: str | None
    certification_id: int | None = Field(description="The certification record an upheld appeal wrote.")


class AppealPage(BaseModel):
    items: list[AppealOut]
    next_after: datetime | None = Field(description="Pass as `after` (filed_at) for the next page.")
