"""One payment instruction per person of a refunds batch, and its bank outcome (B§四(四))."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
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


class RefundInstruction(Base):
    """Attempt n of paying one person's refund line. ``sent``: in the bank file; ``paid``: the bank
    confirmed; ``returned``: the bank sent it back (money in the suspense account); ``awaiting_account``:
    the person had no active payee account (money in suspense). A returned or awaiting instruction is
    retried as attempt n + 1 once the person's account is (re)approved."""

    __tablename__ = "refund_instructions"
    __table_args__ = (
        UniqueConstraint("batch_id", "line_no", "attempt", name="uq_refund_instructions_attempt"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("central + province + city + district_or_county = amount", name="by_payer_adds_up"),
        CheckConstraint("state IN ('sent', 'paid', 'returned', 'awaiting_account')", name="known_state"),
        Index("ix_refund_instructions_batch_state", "batch_id", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("batches.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(SmallInteger)
    city_code: Mapped[str] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(6))
    category: Mapped[str] = mapped_column(String(30))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    central: Mapped[Decimal] = mapped_column(MONEY)
    province: Mapped[Decimal] = mapped_column(MONEY)
    city: Mapped[Decimal] = mapped_column(MONEY)
    district_or_county: Mapped[Decimal] = mapped_column(MONEY)
    payee_account_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("payee_accounts.id"))
    state: Mapped[str] = mapped_column(String(20))
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
