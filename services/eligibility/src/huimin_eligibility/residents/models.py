"""Residents: the identity (from the ID number, never changes) and its versions (transaction time)."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from huimin_eligibility.db import Base


class Resident(Base):
    """One person, by ID number (E1). Birth date and sex come from the number."""

    __tablename__ = "residents"

    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_by: Mapped[str] = mapped_column(String(200))


class ResidentVersion(Base):
    """What the register says about a resident, as recorded at ``recorded_at`` until ``superseded_at``.

    A change supersedes the current version and inserts a new one; nothing else is updated.
    """

    __tablename__ = "resident_versions"
    __table_args__ = (
        Index(
            "uq_resident_versions_current",
            "id_number",
            unique=True,
            postgresql_where=text("superseded_at IS NULL"),
        ),
        Index("ix_resident_versions_id_number_recorded_at", "id_number", "recorded_at"),
        Index("ix_resident_versions_region_code_community", "region_code", "community"),
        # The monthly report's candidates (rules_sql.MONTH_MOVERS, E6): employee insurance beginning in a
        # month; a few per cent of residents have a date at all.
        # Case workers' search (search/): name exact and prefix (LIKE 'x%' needs text_pattern_ops), household.
        Index(
            "ix_resident_versions_current_name",
            "name",
            postgresql_where=text("superseded_at IS NULL"),
            postgresql_ops={"name": "text_pattern_ops"},
        ),
        Index(
            "ix_resident_versions_current_household",
            "household",
            postgresql_where=text("superseded_at IS NULL"),
        ),
        Index(
            "ix_resident_versions_employee_insurance_since",
            "employee_insurance_since",
            postgresql_where=text("employee_insurance_since IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    id_number: Mapped[str] = mapped_column(ForeignKey("residents.id_number"))
    name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(6))
    community: Mapped[str] = mapped_column(String(100))
    household: Mapped[str] = mapped_column(String(100))
    employee_insurance_since: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(200))
