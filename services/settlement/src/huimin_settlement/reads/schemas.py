"""Read-log bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ReadEntryOut(BaseModel):
    at: datetime
    reader: str = Field(
        description="Who read: the end user (a service acting for a user is logged as the user)."
    )
    role: str = Field(description="The reader's role(s), `… via service:x` when a service acted for them.")
    purpose: str = Field(description="What was read: batch_lines, trace …")


class ReadLogOut(BaseModel):
    id_number: str
    reads: list[ReadEntryOut]
