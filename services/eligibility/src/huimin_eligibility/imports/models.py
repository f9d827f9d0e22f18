"""Import jobs: an uploaded civil-affairs roster and its row-by-row report."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from huimin_eligibility.db import Base


class ImportJob(Base):
    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'complete', 'failed', 'rolled_back')", name="status"),
        CheckConstraint("mode IN ('partial', 'all_or_nothing')", name="mode"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    file_format: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    total_rows: Mapped[int] = mapped_column(Integer)
    processed_rows: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(1000))
    # The region of the token that started the job (None: a city-wide token); a region-limited token sees
    # the jobs of its own region only.
    region: Mapped[str | None] = mapped_column(String(6))


class ImportRow(Base):
    """One row's outcome; only rejected and changed rows are stored when the file is large."""

    __tablename__ = "import_rows"
    __table_args__ = (CheckConstraint("outcome IN ('accepted', 'rejected', 'unchanged')", name="outcome"),)

    # The job's id, without a foreign key (migration 0006_import_fk): only the import writes these rows,
    # for the job it holds locked, and a key checked per row doubled the cost of a million of them.
    job_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    reason: Mapped[str | None] = mapped_column(String(1000))


class StagedRow(Base):
    """A row of an uploaded file, validated and typed at upload (or rejected with its reason), waiting to
    be applied: the upload is durable, and ``service.run_import`` applies the rows chunk by chunk from any
    process, deleting each chunk's rows in the transaction that applies them (so a restart resumes)."""

    __tablename__ = "import_staged_rows"

    job_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # no foreign key, as ImportRow
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str | None] = mapped_column(String(18))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(6))
    name: Mapped[str | None] = mapped_column(String(100))
    region_code: Mapped[str | None] = mapped_column(String(6))
    community: Mapped[str | None] = mapped_column(String(100))
    household: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(32))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    employee_insurance_since: Mapped[date | None] = mapped_column(Date)
    authority: Mapped[str | None] = mapped_column(String(200))
    evidence_ref: Mapped[str | None] = mapped_column(String(200))
    # A rejected row: no values, its masked ID number (when valid) and the reason.
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    reason: Mapped[str | None] = mapped_column(String(1000))
    # An accepted row that can never be assessed: reported with this warning (divisions.never_assessed_warning).
    warning: Mapped[str | None] = mapped_column(String(1000))
