"""Reconciliation and report bodies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from huimin_settlement.refunds.schemas import SuspenseItem
from huimin_shared.money import Money


class AssessmentRead(BaseModel):
    id: str
    version: int
    kind: str
    line_count: int
    total: Money


class ReconciliationRow(BaseModel):
    flow: Literal["resident_insurance_fund", "refund"] = Field(
        description="`resident_insurance_fund`: 医疗救助基金 → 居民医保基金; `refund`: → residents (B§四(四))."
    )
    region_code: str
    category: str
    payer_level: str
    due: Money = Field(description="What the latest assessment versions say.")
    moved: Money = Field(description="What posted ledger transfers moved, net of money sent back.")
    difference: Money = Field(description="moved − due.")


class Totals(BaseModel):
    due: Money
    moved: Money
    difference: Money


class UnbalancedTransfer(BaseModel):
    transfer_id: str
    sum: Money


class Proofs(BaseModel):
    entries_total: Money = Field(description="Sum of every entry of the city's ledger: zero.")
    entries_sum_to_zero: bool
    unbalanced_transfers: list[UnbalancedTransfer]
    balances_equal_entries: bool = Field(
        description="Every stored balance equals the one rebuilt from entries."
    )
    mismatched_accounts: list[dict[str, Any]]


class ReconciliationOut(BaseModel):
    city: str
    year: int
    assessments: list[AssessmentRead] = Field(
        description="The latest version read of each assessment of the year."
    )
    rows: list[ReconciliationRow]
    differences: list[ReconciliationRow] = Field(description="The rows whose difference is not zero.")
    refunds_in_suspense: list[SuspenseItem] = Field(
        default_factory=list,
        description="Line by line, the refunds the bank returned or that wait for a payee account: their money "
        "sits in the refund suspense account, so each explains part of a refund row's difference (B§四(四)).",
    )
    totals: Totals
    proofs: Proofs
    balanced: bool = Field(description="No differences and both proofs hold.")


class MovedByPayer(BaseModel):
    central: Money
    province: Money
    city: Money
    district_or_county: Money
    total: Money


class FiscalSubsidyOut(BaseModel):
    region: str
    year: int
    moved: MovedByPayer = Field(
        description="Net money the ledger moved for the year's subsidy: into resident_insurance_fund plus the "
        "refunds that reached residents (R1: compare with the assessed subsidy)."
    )
    to_insurance_fund: MovedByPayer = Field(
        description="Of which: net from medical_assistance_fund to resident_insurance_fund (N§二)."
    )
    refunded: MovedByPayer = Field(
        description="Of which: refunds that reached residents (B§四(四)); a returned refund in the suspense "
        "account is not counted until it is paid again."
    )
