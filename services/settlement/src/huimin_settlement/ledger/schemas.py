"""Ledger request and response bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field, field_validator

from huimin_policy import codes
from huimin_policy.enums import Payer as PayerLevel
from huimin_settlement.ledger.rules import (
    AccountType,
    TransferCode,
    value_date_problem,
)
from huimin_shared import areas
from huimin_shared.money import Money

AreaCode = Annotated[str, Field(pattern=r"^[1-9]\d{5}$", examples=["210500"])]
INT64_MAX = 2**63 - 1
AccountId = Annotated[
    int, Field(ge=1, le=INT64_MAX, description="An account id (a positive 64-bit integer).")
]
_SHANGHAI = ZoneInfo("Asia/Shanghai")


def _value_date_in_bounds(value: date | None) -> date | None:
    if value is not None:
        problem = value_date_problem(value, datetime.now(UTC).astimezone(_SHANGHAI).date())
        if problem is not None:
            raise ValueError(problem)
    return value


ValueDate = Annotated[
    date | None,
    AfterValidator(_value_date_in_bounds),
    Field(
        description="Booking date, 2000-01-01 to one year after today (Asia/Shanghai); its year is the period."
    ),
]
"""A booking date within bounds (a date like 0001-01-01 would book into a period nobody closes)."""


class ChartIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"city": "210500"}]})
    city: AreaCode = Field(description="City whose ledger to open, e.g. 210500 (本溪市).")
    districts: list[AreaCode] | None = Field(
        default=None,
        description="Districts and counties under the city; default: those the area table knows.",
    )

    @field_validator("city")
    @classmethod
    def _is_city(cls, value: str) -> str:
        if areas.level_of(value) is not areas.AreaLevel.city:
            raise ValueError(f"{value} is not a city code (NNNN00)")
        return value


class BalanceOut(BaseModel):
    posted: Money = Field(
        description="Credits less debits of posted transfers (sum of the account's entries)."
    )
    pending_debits: Money = Field(description="Reserved by pending transfers out of the account.")
    pending_credits: Money = Field(description="Promised by pending transfers into the account.")
    available: Money = Field(description="posted − pending_debits: what the account can still pay.")


class AccountOut(BaseModel):
    id: int
    city_code: str
    code: str = Field(examples=["medical_assistance_fund:210500"])
    type: AccountType
    department: str
    area_code: str
    name: str
    currency: str = Field(examples=["CNY"])
    guarded: bool = Field(description="The balance may never go below zero (enforced by a CHECK).")
    balance: BalanceOut

    @computed_field(description=codes.FUND_CODE_DESCRIPTION, examples=["610100"])  # type: ignore[prop-decorator]
    @property
    def fund_code(self) -> str | None:
        """Derived from the account type when rendered (huimin_policy.codes); not a stored column."""
        return codes.fund_code(self.type.value)


class AccountList(BaseModel):
    items: list[AccountOut]


class EntryOut(BaseModel):
    id: int
    transfer_id: uuid.UUID
    account_id: int
    amount: Money = Field(description="Signed: negative on the debit side, positive on the credit side.")
    created_at: datetime


class EntryPage(BaseModel):
    items: list[EntryOut]
    next_after: int | None


class AccountDetail(AccountOut):
    entries_total: Money = Field(description="The balance rebuilt from the entries; equals balance.posted.")


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID | None = Field(default=None, description="Client-chosen transfer id; made when absent.")
    debit_account_id: AccountId = Field(description="Account the money leaves.")
    credit_account_id: AccountId = Field(description="Account the money enters.")
    amount: Money = Field(description='Positive yuan amount, at most 999999999999.99, e.g. "130.00".')
    pending: bool = Field(default=False, description="Reserve now, post or void later (two-phase).")
    timeout_seconds: int | None = Field(
        default=None,
        ge=1,
        le=366 * 86400,
        description="Pending only: voided if not posted by then (default 7 days).",
    )
    code: TransferCode = Field(default=TransferCode.manual, description="What the transfer is for.")
    citation: str | None = Field(default=None, max_length=200, description="Clause that makes it happen.")
    memo: str | None = Field(default=None, max_length=1000)
    value_date: ValueDate = Field(
        default=None,
        description="Booking date, 2000-01-01 to one year after today; its year is the period. Default today.",
    )
    cover_year: int | None = Field(default=None, ge=2000, le=2100, description="Cover year the money is for.")
    region_code: AreaCode | None = None
    category: str | None = Field(default=None, max_length=30)
    payer_level: PayerLevel | None = None
    corrects_transfer_id: uuid.UUID | None = Field(
        default=None, description="For an adjustment in the open period: the transfer it corrects."
    )

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Money) -> Money:
        if value <= 0:
            raise ValueError("must be above zero")
        return value

    @field_validator("code")
    @classmethod
    def _not_reserved(cls, value: TransferCode) -> TransferCode:
        if value is TransferCode.reversal:
            raise ValueError("reversals are made with POST /v1/transfers/{id}/reverse")
        return value


class TransfersIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "transfers": [
                        {
                            "debit_account_id": 1,
                            "credit_account_id": 7,
                            "amount": "1300.00",
                            "code": "manual",
                            "memo": "手工调账 (a manual correction)",
                            "value_date": "2010-02-01",
                            "cover_year": 2010,
                            "region_code": "210502",
                        }
                    ]
                }
            ]
        },
    )
    transfers: list[TransferIn] = Field(min_length=1, max_length=500, description="Succeed or fail together.")


class TransferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    city_code: str
    debit_account_id: int
    credit_account_id: int
    amount: Money
    state: str = Field(description="pending, posted or voided.")
    code: str
    citation: str | None
    memo: str | None
    value_date: date
    period: int
    cover_year: int | None
    region_code: str | None
    category: str | None
    payer_level: str | None
    batch_id: uuid.UUID | None
    batch_line_first: int | None = Field(description="First batch line (line_no) this transfer covers.")
    batch_line_last: int | None = Field(
        description="Last batch line it covers (lines are ordered by region)."
    )
    funding_run_id: uuid.UUID | None
    reverses_transfer_id: uuid.UUID | None
    corrects_transfer_id: uuid.UUID | None
    timeout_at: datetime | None
    created_by: str
    created_at: datetime | None
    posted_at: datetime | None
    voided_at: datetime | None


class TransfersOut(BaseModel):
    transfers: list[TransferOut]


class TransferPage(BaseModel):
    items: list[TransferOut]
    next_after: uuid.UUID | None


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    from_state: str | None
    to_state: str
    actor: str
    reason: str | None
    at: datetime


class TransferDetail(TransferOut):
    entries: list[EntryOut]
    history: list[EventOut]


class VoidIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "重复录入 (entered twice)"}]}
    )
    reason: str | None = Field(default=None, max_length=500)


class ReverseIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"value_date": "2010-02-01", "memo": "冲正错账 (reverses a wrong posting)"}]
        },
    )
    value_date: ValueDate = Field(default=None, description="Booking date of the reversal (open period).")
    memo: str | None = Field(default=None, max_length=1000)


class ExpiredOut(BaseModel):
    voided: list[uuid.UUID]
