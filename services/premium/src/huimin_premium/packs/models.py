"""Policy packs as stored: the validated content of each (id, version), never changed once loaded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from huimin_premium.db import Base


class PackVersion(Base):
    """A pack version: shipped with the service (approved on loading), or published through the API as a
    draft, validated against the national floors and approved by another person (migration 0003_packs)."""

    __tablename__ = "packs"
    __table_args__ = (
        CheckConstraint("source IN ('shipped', 'api')", name="source"),
        CheckConstraint("state IN ('draft', 'validated', 'approved')", name="state"),
        CheckConstraint(
            "source = 'shipped' OR state <> 'approved' "
            "OR (approved_by IS NOT NULL AND approved_by <> proposed_by AND validated_at IS NOT NULL)",
            name="approved_by_another",
        ),
    )

    pack_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(6))
    effective_from: Mapped[date] = mapped_column(Date)
    illustrative: Mapped[bool] = mapped_column(Boolean)
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    source: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12))
    proposed_by: Mapped[str] = mapped_column(String(128))
    validation: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
