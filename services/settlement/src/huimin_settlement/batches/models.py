"""Settlement batches, their lines (one per resident and assessment line), state history, and the
snapshots of premium assessments they were built from (S3, S4)."""

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


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('dibao_collective', 'marginal_instalment', 'new_entrants', 'refunds', 'adjustment')",
            name="known_kind",
        ),
        CheckConstraint(
            "state IN ('prepared', 'approved', 'reserved', 'executed', 'cancelled')", name="known_state"
        ),
        CheckConstraint(
            "control_central + control_province + control_city + control_district_or_county = control_total",
            name="control_by_payer_adds_up",
        ),
        # One live batch per kind, instalment and assessment version (and adjusted batch, for an
        # adjustment; and carry number, for own-share carries): a second would pay twice (S4). 0003, 0008.
        Index(
            "uq_batches_live_kind",
            "city_code",
            "year",
            "kind",
            "instalment",
            "assessment_id",
            "assessment_version",
            "adjusts_batch_id",
            "carry_no",
            unique=True,
            postgresql_where=text("state <> 'cancelled'"),
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    city_code: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    instalment: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # A later batch of the same marginal instalment paying people whose own share arrived after it (S3;
    # own_shares/, migration 0008): 1, 2, …; 0 for every other batch.
    carry_no: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    assessment_id: Mapped[str] = mapped_column(String(64))
    assessment_version: Mapped[int] = mapped_column(Integer)
    adjusts_batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("batches.id"))
    previous_batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("batches.id"))
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12))
    line_count: Mapped[int] = mapped_column(Integer)
    control_total: Mapped[Decimal] = mapped_column(MONEY)
    control_central: Mapped[Decimal] = mapped_column(MONEY)
    control_province: Mapped[Decimal] = mapped_column(MONEY)
    control_city: Mapped[Decimal] = mapped_column(MONEY)
    control_district_or_county: Mapped[Decimal] = mapped_column(MONEY)
    prepared_by: Mapped[str] = mapped_column(String(200))
    prepared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    value_date: Mapped[date | None] = mapped_column(Date)


class LineColumns:
    """What a batch line holds, shared by the lines own-share checks withhold (own_shares.models)."""

    id_number: Mapped[str] = mapped_column(String(18), index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    category: Mapped[str] = mapped_column(String(30))
    age_group: Mapped[str] = mapped_column(String(10))
    line_kind: Mapped[str] = mapped_column(String(12))
    adjusts_version: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    central: Mapped[Decimal] = mapped_column(MONEY)
    province: Mapped[Decimal] = mapped_column(MONEY)
    city: Mapped[Decimal] = mapped_column(MONEY)
    district_or_county: Mapped[Decimal] = mapped_column(MONEY)
    citation: Mapped[str] = mapped_column(String(200))
    # Marginal instalment 1 only: bit i set when payer i's assessed part had an odd fen (migration 0004).
    odd_fen: Mapped[int | None] = mapped_column(SmallInteger)


class BatchLine(LineColumns, Base):
    __tablename__ = "batch_lines"
    __table_args__ = (
        CheckConstraint("central + province + city + district_or_county = amount", name="by_payer_adds_up"),
    )

    # No foreign key: a per-row RI check would double the COPY of a million lines; lines are written in
    # the transaction that writes their batch, and batches are never deleted.
    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Lines of one region and category share a block of numbers (block × 10,000,000 + n), so each
    # transfer covers one contiguous range without sorting a million lines.
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)


class BatchEvent(Base):
    __tablename__ = "batch_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("batches.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class AssessmentSnapshot(Base):
    """What one version of a premium assessment said, summed per group, as read when it was used."""

    __tablename__ = "assessment_snapshots"
    __table_args__ = (UniqueConstraint("assessment_id", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    assessment_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    city_code: Mapped[str] = mapped_column(String(6))
    region: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    line_count: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(MONEY)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class AssessmentGroup(Base):
    __tablename__ = "assessment_groups"

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    age_group: Mapped[str] = mapped_column(String(10), primary_key=True)
    line_kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    line_count: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    central: Mapped[Decimal] = mapped_column(MONEY)
    province: Mapped[Decimal] = mapped_column(MONEY)
    city: Mapped[Decimal] = mapped_column(MONEY)
    district_or_county: Mapped[Decimal] = mapped_column(MONEY)


class BatchTransfer(Base):
    """The transfers a batch makes — one per region, category and paying level — planned when it is
    prepared (migration 0008): the line range each covers, its accounts and amount, and the id it is
    written under. A person's line finds its transfers here by key, never by re-summing the batch."""

    __tablename__ = "batch_transfers"

    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    payer_level: Mapped[str] = mapped_column(String(20), primary_key=True)
    transfer_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    line_first: Mapped[int] = mapped_column(Integer)
    line_last: Mapped[int] = mapped_column(Integer)
