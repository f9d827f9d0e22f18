"""Import jobs: an uploaded civil-affairs roster and its row-by-row report."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Uuid
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

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("import_jobs.id"), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    reason: Mapped[str | None] = mapped_column(String(1000))


class ImportUploadPart(Base):
    """A large upload kept in the database until its import job is done, so whichever replica runs (or
    resumes) the job reads the same file; removed when the job ends."""

    __tablename__ = "import_upload_parts"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
