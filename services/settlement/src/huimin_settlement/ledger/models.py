"""Ledger tables: accounts, balances, transfers, append-only entries, state history, periods.

The database enforces what it can (see the first migration for the triggers): positive amounts,
guarded balances never below zero, entries that cannot be changed, and each posted transfer's
entries summing to zero.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from huimin_policy.money import MONEY_PRECISION, MONEY_SCALE
from huimin_settlement.db import Base

MONEY = Numeric(MONEY_PRECISION, MONEY_SCALE)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("city_code", "code"),
        CheckConstraint("currency = 'CNY'", name="currency_cny"),
        CheckConstraint(
            "type IN ('central_finance', 'province_finance', 'city_finance', 'district_finance', 'civil_affairs', "
            "'medical_assistance_fund', 'resident_insurance_fund', 'external_payee', 'refund_suspense')",
            name="known_type",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    city_code: Mapped[str] = mapped_column(String(6))
    code: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3), server_default=text("'CNY'"))
    guarded: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class Balance(Base):
    __tablename__ = "balances"
    __table_args__ = (
        CheckConstraint("pending_debits >= 0", name="pending_debits_not_negative"),
        CheckConstraint("pending_credits >= 0", name="pending_credits_not_negative"),
        CheckConstraint("NOT guarded OR posted - pending_debits >= 0", name="guarded_available_not_negative"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    guarded: Mapped[bool] = mapped_column(Boolean)
    posted: Mapped[Decimal] = mapped_column(MONEY, server_default=text("0"))
    pending_debits: Mapped[Decimal] = mapped_column(MONEY, server_default=text("0"))
    pending_credits: Mapped[Decimal] = mapped_column(MONEY, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class Period(Base):
    __tablename__ = "periods"
    __table_args__ = (CheckConstraint("state IN ('open', 'closed')", name="known_state"),)

    city_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(10), server_default=text("'open'"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(200))


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        CheckConstraint("state IN ('pending', 'posted', 'voided')", name="known_state"),
        CheckConstraint(
            "payer_level IS NULL OR payer_level IN ('central', 'province', 'city', 'district_or_county')",
            name="known_payer_level",
        ),
        Index("ix_transfers_city_code_cover_year", "city_code", "cover_year"),
        Index("ix_transfers_pending_timeout", "timeout_at", postgresql_where=text("state = 'pending'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    city_code: Mapped[str] = mapped_column(String(6))
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    state: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(40))
    citation: Mapped[str | None] = mapped_column(String(200))
    memo: Mapped[str | None] = mapped_column(Text)
    value_date: Mapped[date] = mapped_column(Date)
    period: Mapped[int] = mapped_column(Integer)
    cover_year: Mapped[int | None] = mapped_column(Integer)
    region_code: Mapped[str | None] = mapped_column(String(6))
    category: Mapped[str | None] = mapped_column(String(30))
    payer_level: Mapped[str | None] = mapped_column(String(20))
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("batches.id"), index=True)
    batch_line_first: Mapped[int | None] = mapped_column(Integer)
    batch_line_last: Mapped[int | None] = mapped_column(Integer)
    funding_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("funding_runs.id"), index=True)
    reverses_transfer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    corrects_transfer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("transfers.id"))
    timeout_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Entry(Base):
    """Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE."""

    __tablename__ = "entries"
    __table_args__ = (CheckConstraint("amount <> 0", name="amount_not_zero"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class TransferEvent(Base):
    __tablename__ = "transfer_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfers.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
