"""Settlement's events for the other systems (docs/events.md): a batch executed — ``batch-paid``, or
``refunded`` for the year-end refunds batch (B§四(四)). Subject ``batches/<id>``; no ID number."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_shared.events import emit, event_type

BATCH_PAID = event_type("settlement", "batch-paid")
REFUNDED = event_type("settlement", "refunded")
EVENT_TYPES = (BATCH_PAID, REFUNDED)

_BATCH = """
SELECT id, city_code, year, kind, instalment, assessment_id, assessment_version, due_on, value_date,
       executed_at, line_count, control_total, control_central, control_province, control_city,
       control_district_or_county
FROM batches WHERE id = :id"""


async def batch_executed(session: AsyncSession, batch_id: uuid.UUID) -> None:
    """The event of a batch that just became ``executed``, in that transaction."""
    row = (await session.execute(text(_BATCH), {"id": batch_id})).one()
    data = dict(row._mapping)
    data["voided"] = await session.scalar(
        text("SELECT count(*) FROM transfers WHERE batch_id = :id AND state = 'voided'"), {"id": batch_id}
    )
    await emit(session, REFUNDED if row.kind == "refunds" else BATCH_PAID, f"batches/{batch_id}", data)
