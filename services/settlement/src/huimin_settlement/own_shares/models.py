"""Own-share payments as the social-insurance system records them, and the marginal instalment lines
withheld until the person has paid (S3, B§四(二))."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from huimin_policy.money import MONEY_PRECISION, MONEY_SCALE
from huimin_settlement.batches.models import LineColumns
from huimin_settlement.db import Base

MONEY = Numeric(MONEY_PRECISION, MONEY_SCALE)


class OwnSharePayment(Base):
    """One individual payment (个人缴费) of a resident's own share for a cover year. The natural key
    (person, cover year, amount, paid date) makes a record sent twice — by the route or a file — one row."""

    __tablename__ = "own_share_payments"
    __table_args__ = (
        UniqueConstraint(
            "id_number", "cover_year", "amount", "paid_on", name="uq_own_share_payments_natural"
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_own_share_payments_city_year", "city_code", "cover_year"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(6))
    cover_year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class WithheldLine(LineColumns, Base):
    """A marginal instalment line left out of its batch because the person's own share was not recorded as
    paid by the batch's date; carried to a later batch of the same instalment once it is."""

    __tablename__ = "own_share_withheld"
    __table_args__ = (
        CheckConstraint("central + province + city + district_or_county = amount", name="by_payer_adds_up"),
    )

    # No foreign key, like batch_lines: the lines leave their batch while it is being prepared, before its
    # row is written (in the same transaction); batches are never deleted.
    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    paid_by: Mapped[date] = mapped_column(Date)
    carried_by_batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("batches.id"), index=True)
