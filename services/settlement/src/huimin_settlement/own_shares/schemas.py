"""Own-share request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from huimin_shared import areas
from huimin_shared.idnumber import ResidentIdNumber
from huimin_shared.money import Money

EXAMPLE: dict[str, Any] = {
    "id_number": "210503194502020137",
    "region_code": "210503",
    "cover_year": 2010,
    "amount": "27.00",
    "paid_on": "2009-12-20",
    "reference": "SB2009122000013",
}


def _district_or_county(code: str) -> str:
    if not areas.is_area_code(code) or areas.level_of(code) not in (
        areas.AreaLevel.district,
        areas.AreaLevel.county,
    ):
        raise ValueError(f"{code} is not a known district or county")
    return code


def _positive(amount: Decimal) -> Decimal:
    if amount <= 0:
        raise ValueError("an own-share payment is above zero")
    return amount


class OwnSharePaymentIn(BaseModel):
    """One individual payment as the social-insurance system recorded it (个人缴费记录)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})
    id_number: ResidentIdNumber
    region_code: Annotated[
        str,
        Field(pattern=r"^[1-9]\d{5}$", description="District or county where the person is insured."),
        AfterValidator(_district_or_county),
    ]
    cover_year: int = Field(ge=2000, le=2100, description="The year of cover the payment is for.")
    amount: Annotated[Money, AfterValidator(_positive)]
    paid_on: date = Field(description="The day the person paid (缴费日期).")
    reference: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="The social-insurance receipt number.",
    )


class OwnSharePaymentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"payments": [EXAMPLE]}]})
    payments: list[OwnSharePaymentIn] = Field(min_length=1, max_length=10_000)


class RecordedOut(BaseModel):
    received: int = Field(description="Payments in the request or file.")
    recorded: int = Field(description="New payments stored.")
    duplicates: int = Field(
        description="Payments already stored (same person, cover year, amount and paid date): not stored twice."
    )


class CarryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"batch_id": "0b7e2f8a-3c1d-4e5f-9a6b-7c8d9e0f1a2b", "paid_by": "2010-03-05"}]
        },
    )
    batch_id: uuid.UUID = Field(
        description="The regular marginal instalment batch, or an adjustment batch of one, whose withheld "
        "people are carried."
    )
    paid_by: date | None = Field(
        default=None, description="Own shares recorded as paid on or before this day are paid; default today."
    )


class CarryOut(BaseModel):
    batch_id: uuid.UUID = Field(
        description="The new batch (prepared): approve and execute it like any other."
    )
    carries_batch_id: uuid.UUID
    carry_no: int
    line_count: int
    total: Money


class WaitingItem(BaseModel):
    id_number: str = Field(description="Masked: first 6 and last 4 characters.")
    region_code: str
    category: str
    instalment: int
    batch_id: uuid.UUID = Field(description="The regular instalment batch that left the line out.")
    line_no: int
    amount: Money
    waiting_since: date = Field(description="The instalment's due date (B§四(二)).")
    days_waiting: int
    own_share_paid_on: date | None = Field(
        description="The earliest own-share payment recorded for the cover year, if it arrived since: the "
        "person waits for the next carry batch."
    )


class WaitingOut(BaseModel):
    city: str
    year: int
    on: date
    items: list[WaitingItem]
    next_after: str | None = Field(description="Pass as `after` for the next page; null at the end.")


def row_problems(errors: list[dict[str, Any]], where: str) -> list[tuple[str, str]]:
    """pydantic errors of one payment as (field, reason), the field prefixed with where it sits."""
    return [(".".join([where, *(str(p) for p in error["loc"])]), error["msg"]) for error in errors]
