"""Writing events: ``emit`` puts one row in the outbox inside the caller's transaction, so the event exists
if and only if the change it describes commits; ``INSERT_SELECT`` does the same for a set of rows in SQL.

A subject is a masked or opaque reference (a batch id, ``residents/210502********1234``), never an ID
number: subjects appear in log lines. ``data`` may carry what the receiving system needs (an ID number for
the social-insurance system, whose integration this is); it is sent, never logged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_shared.events.tables import OUTBOX

# Set-based emission (a bulk import): ``INSERT_SELECT + "SELECT type, subject, data FROM …"``, in the
# transaction that wrote the rows, one statement for all of them.
INSERT_SELECT = f"INSERT INTO {OUTBOX} (type, subject, data) "


def event_type(service: str, name: str, version: int = 1) -> str:
    """``cn.huimin.<service>.<name>.v<version>``: reverse-DNS, versioned, as CloudEvents recommends."""
    return f"cn.huimin.{service}.{name}.v{version}"


def masked_sql(column: str) -> str:
    """SQL masking an ID-number column as ``idnumber.mask`` does (first 6 and last 4 visible, R2)."""
    return f"left({column}, 6) || repeat('*', length({column}) - 10) || right({column}, 4)"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # money travels as a string "130.00", never a float
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot go into an event's data")


def dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, default=_plain, ensure_ascii=False, sort_keys=True)


async def emit(session: AsyncSession, type: str, subject: str, data: Mapping[str, Any]) -> None:
    """Add one event to the outbox in ``session``'s transaction (rolled back with it)."""
    await session.execute(
        text(f"INSERT INTO {OUTBOX} (type, subject, data) VALUES (:type, :subject, CAST(:data AS jsonb))"),
        {"type": type, "subject": subject, "data": dumps(data)},
    )
