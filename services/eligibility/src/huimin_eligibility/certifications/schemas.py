"""Request and response bodies for certifications (E2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from huimin_policy.enums import Category


class CertificationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "category": "dibao",
                    "valid_from": "2009-06-01",
                    "authority": "平山区民政局",
                    "evidence_ref": "平民低字〔2009〕112号",
                }
            ]
        },
    )

    category: Category = Field(
        description="dibao 城市低保对象, marginal 低保边缘对象, low_income_elderly, severely_disabled."
    )
    valid_from: date = Field(description="First day the certification holds (认定日期).")
    valid_to: date | None = Field(default=None, description="Last day it holds (退出日期); empty while open.")
    authority: str = Field(min_length=1, max_length=200, description="The certifying authority (认定机关).")
    evidence_ref: str = Field(min_length=1, max_length=200, description="Evidence reference (证明文号).")

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class CertificationCorrection(CertificationCreate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category": "dibao",
                    "valid_from": "2009-05-01",
                    "authority": "平山区民政局",
                    "evidence_ref": "平民低字〔2009〕112号",
                    "reason": "认定日期录入错误 (the date was keyed wrong)",
                }
            ]
        }
    )

    reason: str = Field(min_length=1, max_length=500, description="Why the record is corrected (更正原因).")


class CertificationExit(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "valid_to": "2010-06-30",
                    "reason": "家庭收入超过低保标准 (household income above the dibao line)",
                }
            ]
        },
    )

    valid_to: date = Field(description="Last day the certification holds (退出日期). May be back-dated.")
    reason: str = Field(min_length=1, max_length=500, description="Why the person leaves (退出原因).")


class CertificationOut(BaseModel):
    id: int = Field(description="This record.")
    lineage: int = Field(
        description="The certification: the id of its first record; exits and corrections keep it."
    )
    id_number: str
    category: Category
    valid_from: date
    valid_to: date | None
    authority: str
    evidence_ref: str
    change: str = Field(description="certified, corrected or exited.")
    reason: str | None
    recorded_at: datetime
    superseded_at: datetime | None
    recorded_by: str


class CertificationList(BaseModel):
    id_number: str
    as_of: datetime | None = Field(description="The records known at this time; null with history=true.")
    items: list[CertificationOut]
