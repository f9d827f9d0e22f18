"""Import job bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class ImportMode(StrEnum):
    partial = "partial"  # good rows apply, bad rows are reported
    all_or_nothing = "all_or_nothing"  # nothing applies if any row is bad


class ImportJobOut(BaseModel):
    id: uuid.UUID
    filename: str
    file_format: str
    sha256: str
    mode: ImportMode
    status: str = Field(
        description="running, complete, failed, or rolled_back (all_or_nothing with a bad row)."
    )
    total_rows: int
    processed_rows: int = Field(description="Progress: rows read and committed so far.")
    accepted: int = Field(description="Rows that changed the register.")
    rejected: int
    unchanged: int = Field(
        description="Rows the register already held (importing a file twice changes nothing)."
    )
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    error: str | None


class ImportRowOut(BaseModel):
    row_number: int = Field(description="Line in the file (the header is line 1).")
    outcome: str = Field(description="accepted, rejected or unchanged.")
    id_number_masked: str | None
    reason: str | None = Field(
        description="Why a row was rejected; for an accepted or unchanged row, a `warning: …` that it can "
        "never be assessed (ends before the place's pack begins, or begins after employee insurance)."
    )


class ImportRowsPage(BaseModel):
    items: list[ImportRowOut]
    next_after: int | None
