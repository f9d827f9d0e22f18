"""Assessments (资助参保资金核定): versions, one result per resident, lines and totals computed from lines."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from huimin_policy.money import MONEY_PRECISION, MONEY_SCALE
from huimin_premium.db import Base

MONEY = Numeric(MONEY_PRECISION, MONEY_SCALE)


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("region", "year", "kind"),
        CheckConstraint("kind IN ('annual', 'new_entrants', 'refunds')", name="kind"),
        ForeignKeyConstraint(["pack_id", "pack_version"], ["packs.pack_id", "packs.version"]),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    region: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    pack_id: Mapped[str] = mapped_column(String(48))
    pack_version: Mapped[int] = mapped_column(Integer)
    national_pack_version: Mapped[int] = mapped_column(Integer)
    latest_version: Mapped[int] = mapped_column(Integer, server_default="0")
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AssessmentRun(Base):
    """One pass over the roster; its row is the progress record of a long run (committed per chunk).

    A run that gives the same results as the latest version ends ``unchanged`` and creates no version.
    """

    __tablename__ = "assessment_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'complete', 'unchanged', 'failed')", name="status"),
        # One running run per assessment: two would race to make the same version (S4).
        Index(
            "uq_assessment_runs_one_running",
            "assessment_id",
            unique=True,
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    paid_listed: Mapped[int] = mapped_column(Integer, server_default="0")
    paid_hash: Mapped[str] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(Integer, server_default="0")
    rows_assessed: Mapped[int] = mapped_column(Integer, server_default="0")
    paid_unmatched: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    progress_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AssessmentVersion(Base):
    """A completed, distinct result of an assessment; its lines are never rewritten."""

    __tablename__ = "assessment_versions"
    __table_args__ = (UniqueConstraint("assessment_id", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id", ondelete="CASCADE"), unique=True)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    previous_version: Mapped[int | None] = mapped_column(Integer)
    line_count: Mapped[int] = mapped_column(Integer)
    resident_count: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PaidResident(Base):
    """Residents the social insurance system says had already paid (B§四(四)), as given to a run."""

    __tablename__ = "assessment_paid"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_runs.id", ondelete="CASCADE"), primary_key=True
    )
    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)


class AssessmentResult(Base):
    """What each resident on the roster comes to in a run (written by COPY): the version's statement."""

    __tablename__ = "assessment_results"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_runs.id", ondelete="CASCADE"), primary_key=True
    )
    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)
    birth_date: Mapped[date] = mapped_column(Date)
    region_code: Mapped[str] = mapped_column(String(6))
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(24)))
    category: Mapped[str | None] = mapped_column(String(24))
    age_group: Mapped[str] = mapped_column(String(8))
    individual_contribution: Mapped[Decimal] = mapped_column(MONEY)
    assistance_subsidy: Mapped[Decimal] = mapped_column(MONEY)
    resident_pays: Mapped[Decimal] = mapped_column(MONEY)
    central: Mapped[Decimal] = mapped_column(MONEY)
    province: Mapped[Decimal] = mapped_column(MONEY)
    city: Mapped[Decimal] = mapped_column(MONEY)
    district_or_county: Mapped[Decimal] = mapped_column(MONEY)
    citation: Mapped[str] = mapped_column(Text)


class AssessmentLine(Base):
    """A line of a version: regular (first assessed) or an adjustment of an earlier version, never rewritten."""

    __tablename__ = "assessment_lines"
    __table_args__ = (
        CheckConstraint("line_kind IN ('regular', 'adjustment')", name="line_kind"),
        CheckConstraint(
            "change IS NULL OR change IN ('new', 'exited', 'reversal', 'replacement')", name="change"
        ),
        CheckConstraint(
            "central + province + city + district_or_county = assistance_subsidy", name="payers_add_up"
        ),
        Index("ix_assessment_lines_version_id_id_number", "version_id", "id_number"),
        Index("ix_assessment_lines_version_id_id", "version_id", "id"),
        Index("ix_assessment_lines_id_number", "id_number"),  # a person's own view (reads/)
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("assessment_versions.id", ondelete="CASCADE"))
    id_number: Mapped[str] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6))
    category: Mapped[str | None] = mapped_column(String(24))
    age_group: Mapped[str] = mapped_column(String(8))
    line_kind: Mapped[str] = mapped_column(String(16))
    adjusts_version: Mapped[int | None] = mapped_column(Integer)
    change: Mapped[str | None] = mapped_column(String(16))
    individual_contribution: Mapped[Decimal] = mapped_column(MONEY)
    assistance_subsidy: Mapped[Decimal] = mapped_column(MONEY)
    resident_pays: Mapped[Decimal] = mapped_column(MONEY)
    central: Mapped[Decimal] = mapped_column(MONEY)
    province: Mapped[Decimal] = mapped_column(MONEY)
    city: Mapped[Decimal] = mapped_column(MONEY)
    district_or_county: Mapped[Decimal] = mapped_column(MONEY)
    citation: Mapped[str] = mapped_column(Text)


class AssessmentTotal(Base):
    """Totals of a version's lines, computed in SQL from the lines (so they equal their sum to the fen)."""

    __tablename__ = "assessment_totals"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_versions.id", ondelete="CASCADE"), primary_key=True
    )
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(24), primary_key=True)
    line_count: Mapped[int] = mapped_column(Integer)
    residents: Mapped[int] = mapped_column(Integer)
    individual_contribution: Mapped[Decimal] = mapped_column(MONEY)
    assistance_subsidy: Mapped[Decimal] = mapped_column(MONEY)
    resident_pays: Mapped[Decimal] = mapped_column(MONEY)
    central: Mapped[Decimal] = mapped_column(MONEY)
    province: Mapped[Decimal] = mapped_column(MONEY)
    city: Mapped[Decimal] = mapped_column(MONEY)
    district_or_county: Mapped[Decimal] = mapped_column(MONEY)


# The roster as eligibility sent it to a running run: its NDJSON lines, COPY'd in committed chunks with the
# job's checkpoint, parsed once by PostgreSQL when the run ends (assessments/writer.py) and deleted then.
# UNLOGGED (no WAL for a staging copy): a PostgreSQL crash empties it, which the run notices — the rows it
# holds must number the rows the checkpoints counted — and fails instead of assessing part of the roster.
# No foreign key: a million checks per run for rows that live only while the run does.
roster_lines = Table(
    "assessment_roster",
    Base.metadata,
    Column("run_id", BigInteger, nullable=False),
    Column("line", Text, nullable=False),
    prefixes=["UNLOGGED"],
)
