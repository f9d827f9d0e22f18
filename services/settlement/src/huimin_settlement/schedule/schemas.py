"""Schedule bodies."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from huimin_settlement.ledger.schemas import AreaCode


class DeadlineOut(BaseModel):
    obligation: str
    month: int | None = Field(description="For monthly change reports and marginal instalments.")
    due_on: date
    clause: str
    description: str
    status: Literal["done", "due", "overdue"]
    late: bool = Field(description="Done, but after the deadline.")
    done_on: date | None
    evidence: str | None = Field(description="The batch, funding run or filed report that did it.")


class ScheduleOut(BaseModel):
    city: str
    year: int
    on: date = Field(description="The day statuses are judged on.")
    items: list[DeadlineOut]


class SubmissionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "city": "210500",
                    "year": 2010,
                    "obligation": "monthly_change_report",
                    "month": 3,
                    "submitted_on": "2010-04-08",
                    "reference": "本民报〔2010〕3号",
                }
            ]
        },
    )
    city: AreaCode
    year: int = Field(ge=2000, le=2100, description="Cover year the report belongs to.")
    obligation: Literal["monthly_change_report", "december_enrolment", "province_report"]
    month: int = Field(default=0, ge=0, le=12, description="1–12 for monthly change reports, else 0.")
    submitted_on: date
    reference: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _month_matches(self) -> SubmissionIn:
        if (self.obligation == "monthly_change_report") != (self.month != 0):
            raise ValueError("month is 1–12 for monthly_change_report and 0 otherwise")
        return self
