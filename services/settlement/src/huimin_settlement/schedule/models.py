"""Reports filed against statutory deadlines that are not money movements (E6, S3, R1)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Identity,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from huimin_settlement.db import Base


class Submission(Base):
    __tablename__ = "schedule_submissions"
    __table_args__ = (
        UniqueConstraint("city_code", "year", "obligation", "month"),
        CheckConstraint(
            "obligation IN ('monthly_change_report', 'december_enrolment', 'province_report')",
            name="known_obligation",
        ),
        CheckConstraint("month BETWEEN 0 AND 12", name="month_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    city_code: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    obligation: Mapped[str] = mapped_column(String(40))
    month: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    submitted_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(200))
    submitted_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
