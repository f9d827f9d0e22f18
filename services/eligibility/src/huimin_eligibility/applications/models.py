"""Applications: a community officer submits a new applicant (detail sheet), civil affairs decides (E6)."""

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from huimin_eligibility.db import Base


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'approved', 'rejected')", name="status"),
        CheckConstraint("decided_by IS NULL OR decided_by <> submitted_by", name="four_eyes"),
        Index("ix_applications_status_region_code", "status", "region_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(6))
    community: Mapped[str] = mapped_column(String(100))
    household: Mapped[str] = mapped_column(String(100))
    household_size: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    requested_from: Mapped[date] = mapped_column(Date)
    employee_insurance_since: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(1000))
    # Null only on rows submitted before the evidence reference was asked for (migration 0008_evidence).
    evidence_ref: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str | None] = mapped_column(String(1000))
    certification_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("certifications.id"))
