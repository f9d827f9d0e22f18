"""Per-person refund bodies: ID numbers and accounts masked."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from huimin_settlement.ledger.schemas import ValueDate
from huimin_shared.money import Money


class WriteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"value_date": "2010-12-20"}]})
    value_date: ValueDate = Field(
        default=None, description="Booking date of moving the money of people without an account to suspense."
    )


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"value_date": "2010-12-28"}]})
    value_date: ValueDate = Field(
        default=None, description="Booking date of taking the money out of suspense."
    )


class Counts(BaseModel):
    sent: int = Field(description="In the bank file, waiting for the bank's answer.")
    paid: int
    returned: int = Field(description="Returned by the bank; money in the refund suspense account.")
    awaiting_account: int = Field(
        description="No approved payee account; money in the refund suspense account."
    )


class InstructionsOut(BaseModel):
    batch_id: uuid.UUID
    counts: Counts = Field(description="Instructions by state, every attempt counted.")
    retried: int | None = Field(default=None, description="New attempts written by this retry.")


class InstructionOut(BaseModel):
    id: uuid.UUID = Field(description="The 指令编号 the bank confirms.")
    line_no: int
    attempt: int
    id_number: str = Field(description="Masked.")
    region_code: str
    category: str
    amount: Money
    account: str | None = Field(description="The payee account, masked (last four digits).")
    state: str
    bank_reference: str | None
    note: str | None


class InstructionPage(BaseModel):
    items: list[InstructionOut]
    next_after: uuid.UUID | None


class ConfirmedOut(BaseModel):
    paid: int
    returned: int
    unchanged: int


class SuspenseItem(BaseModel):
    instruction_id: uuid.UUID
    batch_id: uuid.UUID
    id_number: str = Field(description="Masked.")
    region_code: str
    category: str
    amount: Money
    state: str
    note: str | None
