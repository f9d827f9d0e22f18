"""Batch request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from huimin_policy import codes
from huimin_settlement.batches.rules import BatchKind
from huimin_settlement.ledger.schemas import AreaCode, ValueDate
from huimin_shared.money import Money


class BatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "city": "210500",
                    "year": 2010,
                    "kind": "marginal_instalment",
                    "instalment": 1,
                    "assessment_id": "6f1c2a9e-4b7d-4c3a-9e2f-8a1b5c7d9e01",
                    "assessment_version": 1,
                }
            ]
        },
    )
    city: AreaCode = Field(description="City whose ledger pays, e.g. 210500.")
    year: int = Field(ge=2000, le=2100, description="Cover year.")
    kind: BatchKind
    instalment: int = Field(
        default=0, ge=0, le=2, description="marginal_instalment only: 1 (15 January) or 2 (10 July)."
    )
    assessment_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    assessment_version: int = Field(ge=1, description="Pinned version; refused unless it is the latest.")
    adjusts_batch_id: uuid.UUID | None = Field(
        default=None, description="adjustment only: the executed batch it adjusts."
    )
    own_shares_paid_by: date | None = Field(
        default=None,
        description="marginal_instalment only: pay the people whose own share is recorded as paid on or before "
        "this day (S3); the others wait for a carry batch. Default: the instalment's due date.",
    )


class ByPayer(BaseModel):
    central: Money
    province: Money
    city: Money
    district_or_county: Money


class ControlTotals(BaseModel):
    line_count: int
    total: Money
    by_payer: ByPayer


class AssessmentRef(BaseModel):
    id: str
    version: int


class PlannedTransferOut(BaseModel):
    id: uuid.UUID = Field(
        description="Derived from the batch and line key (uuid5): a re-run finds it written."
    )
    debit_account_id: int
    credit_account_id: int
    amount: Money
    region_code: str
    category: str
    payer_level: str
    line_first: int
    line_last: int
    state: str | None = Field(description="null until executed; then pending, posted or voided.")


class BatchEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    from_state: str | None
    to_state: str
    actor: str
    reason: str | None
    at: datetime


class BatchOut(BaseModel):
    id: uuid.UUID
    city: str
    year: int
    kind: BatchKind
    instalment: int
    carry_no: int = Field(
        default=0,
        description="0 for a regular batch; n for the n-th carry batch of a marginal instalment (own shares paid late).",
    )
    assessment: AssessmentRef
    adjusts_batch_id: uuid.UUID | None
    previous_batch_id: uuid.UUID | None
    due_on: date
    state: str = Field(description="prepared → approved → reserved → executed, or cancelled.")
    control: ControlTotals
    prepared_by: str
    approved_by: str | None
    executed_at: datetime | None
    value_date: date | None


class BatchDetail(BatchOut):
    transfers: list[PlannedTransferOut]
    history: list[BatchEventOut]


class BatchList(BaseModel):
    items: list[BatchOut]


class BatchLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    line_no: int
    id_number: str
    region_code: str
    category: str
    age_group: str
    line_kind: str
    adjusts_version: int | None
    amount: Money
    central: Money
    province: Money
    city: Money
    district_or_county: Money
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


class BatchLinePage(BaseModel):
    items: list[BatchLineOut]
    next_after: int | None


class VarianceItem(BaseModel):
    id_number: str
    change: Literal["new", "exited", "changed"]
    current_amount: Money | None
    previous_amount: Money | None


class VarianceOut(BaseModel):
    batch_id: uuid.UUID
    previous_batch_id: uuid.UUID | None
    counts: dict[str, int] = Field(description="Residents new, exited and changed.")
    totals: dict[str, ByPayer] = Field(
        description="`current`, `previous` and `difference`, per paying level."
    )
    items: list[VarianceItem]
    next_after: str | None


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})


class CancelIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "评估已有新版本 (a newer assessment version)"}]},
    )
    reason: str | None = Field(default=None, max_length=500)


class ExecuteIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"value_date": "2010-01-14", "settle": "ledger"}]}
    )
    value_date: ValueDate = Field(default=None, description="Booking date of the transfers; default today.")
    settle: Literal["ledger", "bank"] = Field(
        default="ledger",
        description="`ledger`: reserve and post now. `bank`: reserve only; the bank's confirmations post or void.",
    )


class TraceLine(BaseModel):
    batch_id: uuid.UUID
    batch_kind: str
    year: int
    line: BatchLineOut
    transfers: list[PlannedTransferOut]


class TraceOut(BaseModel):
    id_number: str
    lines: list[TraceLine]
