"""Appeals (复核): a refused applicant or an exited person asks for a review of that decision."""

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from huimin_eligibility.db import Base


class Appeal(Base):
    __tablename__ = "appeals"
    __table_args__ = (
        CheckConstraint("kind IN ('refusal', 'exit')", name="kind"),
        CheckConstraint("status IN ('filed', 'upheld', 'dismissed')", name="status"),
        # The answer comes from someone other than the one who decided (and who filed).
        CheckConstraint("answered_by IS NULL OR answered_by <> decided_by", name="other_than_decider"),
        Index("ix_appeals_status_due_on", "status", "due_on"),
        Index("ix_appeals_id_number", "id_number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(16))  # refusal (an application) | exit (a certification)
    application_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("applications.id"))
    lineage: Mapped[int | None] = mapped_column(BigInteger)
    decided_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(1000))
    evidence_ref: Mapped[str] = mapped_column(String(200))
    filed_by: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    answered_by: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer: Mapped[str | None] = mapped_column(String(1000))
    certification_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("certifications.id"))
