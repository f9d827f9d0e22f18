"""Eligibility's events for the other systems (docs/events.md): a certification made, ended or corrected.

The subject is the resident masked (``residents/210502********1234``), so per-subject order is per person
(a few people may share a masked form; their events then share an order, which costs nothing). ``data``
carries the full ID number: the social-insurance system enrols people by it — it is sent to subscribers
over the signed webhook, never logged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.certifications.models import Certification
from huimin_shared import idnumber
from huimin_shared.events import INSERT_SELECT, emit, event_type, masked_sql

CERTIFIED = event_type("eligibility", "certified")
EXITED = event_type("eligibility", "exited")
CORRECTED = event_type("eligibility", "corrected")
EVENT_TYPES = (CERTIFIED, EXITED, CORRECTED)
_BY_CHANGE = {"certified": CERTIFIED, "exited": EXITED, "corrected": CORRECTED}


def subject_of(id_number: str) -> str:
    return f"residents/{idnumber.mask(id_number)}"


async def certification_changed(session: AsyncSession, record: Certification) -> None:
    """The event of a certification record just written (its ``change`` says which), in its transaction."""
    data: dict[str, Any] = {
        "id_number": record.id_number,
        "certification": record.lineage,
        "record": record.id,
        "category": record.category,
        "valid_from": record.valid_from,
        "valid_to": record.valid_to,
        "change": record.change,
        "reason": record.reason,
        "recorded_at": record.recorded_at,
    }
    await emit(session, _BY_CHANGE[record.change], subject_of(record.id_number), data)


# An import's chunk: the events of every certification record it wrote ($1 the chunk's transaction time,
# $2 the import id), in one INSERT … SELECT in the chunk's transaction.
IMPORTED = (
    INSERT_SELECT
    + f"""
SELECT 'cn.huimin.eligibility.' || c.change || '.v1', 'residents/' || {masked_sql("c.id_number")},
       jsonb_build_object('id_number', c.id_number, 'certification', c.lineage, 'record', c.id,
                          'category', c.category, 'valid_from', c.valid_from, 'valid_to', c.valid_to,
                          'change', c.change, 'reason', c.reason, 'recorded_at', c.recorded_at)
FROM certifications c
WHERE c.recorded_at = $1::timestamptz AND c.reason LIKE 'import ' || $2::text || ' row %'
ORDER BY c.id"""
)


async def certifications_imported(raw: Any, at: Any, import_id: str) -> None:
    """``raw``: the chunk's asyncpg connection (its transaction)."""
    await raw.execute(IMPORTED, at, import_id)
