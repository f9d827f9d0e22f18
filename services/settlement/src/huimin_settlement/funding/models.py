"""Funding runs: one pre-allocation and one year-end settlement per city and year (B§三), and the
supplementary allocations that top the fund up in between."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Index, String, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from huimin_settlement.db import Base


class FundingRun(Base):
    __tablename__ = "funding_runs"
    __table_args__ = (
        # One pre-allocation and one year-end settlement per city and year; top-ups as often as needed.
        Index(
            "uq_funding_runs_once_a_year",
            "city_code",
            "year",
            "kind",
            unique=True,
            postgresql_where=text("kind IN ('pre_allocation', 'year_end_settlement')"),
        ),
        CheckConstraint(
            "kind IN ('pre_allocation', 'supplementary_allocation', 'year_end_settlement')", name="known_kind"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    city_code: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(30))
    value_date: Mapped[date] = mapped_column(Date)
    basis: Mapped[dict[str, object]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
