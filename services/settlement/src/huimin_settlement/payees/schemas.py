"""Payee account bodies: the number goes in, only its masked form comes out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from huimin_settlement.payees.rules import account_problem


def _account(number: str) -> str:
    problem = account_problem(number)
    if problem is not None:
        raise ValueError(problem)
    return number


class PayeeProposalIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "region_code": "210505",
                    "kind": "social_security_card",
                    "account_number": "6217000012345678901",
                    "bank_name": "中国建设银行本溪分行",
                    "holder_name": "居民F",
                    "reason": "首次登记",
                }
            ]
        },
    )
    region_code: str = Field(
        pattern=r"^[1-9]\d{5}$", description="District or county where the person lives."
    )
    kind: Literal["bank_account", "social_security_card"] = Field(
        description="A bank account, or the financial account of the social-security card (社会保障卡金融账户)."
    )
    account_number: Annotated[str, AfterValidator(_account)] = Field(
        description="8 to 30 digits; never shown again except its last four."
    )
    bank_name: str = Field(min_length=1, max_length=100)
    holder_name: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=500)


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "核对社保卡复印件"}]}
    )
    reason: str | None = Field(default=None, max_length=500)


class PayeeAccountOut(BaseModel):
    id: int
    id_number: str = Field(description="Masked.")
    region_code: str
    kind: str
    account: str = Field(description="The account number masked: its last four digits only.")
    bank_name: str
    holder_name: str
    state: Literal["proposed", "active", "superseded", "rejected"]
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class PayeeEventOut(BaseModel):
    payee_account_id: int
    action: str
    actor: str
    detail: str | None
    at: datetime


class PayeeOut(BaseModel):
    id_number: str = Field(description="Masked.")
    active: PayeeAccountOut | None
    proposed: PayeeAccountOut | None
    history: list[PayeeEventOut] = Field(description="Every proposal, approval, rejection and supersession.")
