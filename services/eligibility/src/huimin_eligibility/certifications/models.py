"""Certifications of a hardship category (E2), bitemporal: valid time and transaction time."""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from huimin_eligibility.db import Base

CATEGORY_CHECK = "category IN ('dibao', 'marginal', 'low_income_elderly', 'severely_disabled')"


class Certification(Base):
    """A category for a resident from ``valid_from`` to ``valid_to`` (inclusive, NULL = open),
    as recorded from ``recorded_at`` until ``superseded_at``.

    ``lineage`` is the id of the first record of this certification: its corrections and its exit
    carry the same lineage, so the history of one certification reads as one chain.
    """

    __tablename__ = "certifications"
    __table_args__ = (
        CheckConstraint(CATEGORY_CHECK, name="category"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
        # The status look-up: one resident, then filter by times (see docs / test_status_uses_an_index).
        Index("ix_certifications_id_number_recorded_at", "id_number", "recorded_at"),
        # No two current records of one certification chain.
        Index(
            "uq_certifications_current_lineage",
            "lineage",
            unique=True,
            postgresql_where=text("superseded_at IS NULL"),
        ),
        Index("ix_certifications_recorded_at", "recorded_at"),
        # The monthly report's candidates (rules_sql.MONTH_MOVERS, E6): certifications beginning or ending
        # in a month. Most are open, so the valid_to index holds the ended ones only.
        Index("ix_certifications_valid_from", "valid_from"),
        Index("ix_certifications_valid_to", "valid_to", postgresql_where=text("valid_to IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    lineage: Mapped[int] = mapped_column(BigInteger)
    id_number: Mapped[str] = mapped_column(ForeignKey("residents.id_number"))
    category: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    authority: Mapped[str] = mapped_column(String(200))
    evidence_ref: Mapped[str] = mapped_column(String(200))
    change: Mapped[str] = mapped_column(String(16))  # certified | corrected | exited
    reason: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(200))
