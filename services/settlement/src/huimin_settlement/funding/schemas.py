"""Funding request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from huimin_settlement.ledger.schemas import AreaCode, TransferOut, ValueDate


class PreAllocationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "city": "210500",
                    "year": 2010,
                    "assessment_id": "6f1c2a9e-4b7d-4c3a-9e2f-8a1b5c7d9e01",
                    "assessment_version": 1,
                    "head_count_on": "2009-10-31",
                    "value_date": "2010-01-05",
                }
            ]
        },
    )
    city: AreaCode
    year: int = Field(ge=2000, le=2100, description="Cover year funded.")
    assessment_id: str = Field(
        min_length=1, max_length=64, description="The annual assessment that prices a head."
    )
    assessment_version: int = Field(ge=1)
    head_count_on: date | None = Field(
        default=None, description="Funding base date; default 31 October before the year (E7)."
    )
    value_date: ValueDate = Field(default=None, description="Booking date; default today.")


class YearEndIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"city": "210500", "year": 2010, "value_date": "2010-12-31"}]},
    )
    city: AreaCode
    year: int = Field(ge=2000, le=2100)
    value_date: ValueDate = Field(default=None, description="Booking date in the year; default 31 December.")


class SupplementIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"city": "210500", "year": 2010, "value_date": "2010-01-14"}]},
    )
    city: AreaCode
    year: int = Field(ge=2000, le=2100, description="Cover year the top-up is for.")
    value_date: ValueDate = Field(default=None, description="Booking date; default today (Asia/Shanghai).")


class FundingRunOut(BaseModel):
    id: uuid.UUID
    city: str
    year: int
    kind: str
    value_date: date
    basis: dict[str, Any] = Field(description="What the amounts were computed from, row by row.")
    created_by: str
    created_at: datetime | None
    transfers: list[TransferOut]


class FundingRunList(BaseModel):
    items: list[FundingRunOut]
