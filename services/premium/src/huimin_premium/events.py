"""Premium's events for the other systems (docs/events.md): an assessment version completed (``assessed``).
Subject ``assessments/<id>``; the lines are read from the API (no ID number in the event)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_premium.assessments.models import Assessment, AssessmentVersion
from huimin_shared.events import emit, event_type

ASSESSED = event_type("premium", "assessed")
EVENT_TYPES = (ASSESSED,)


async def assessed(session: AsyncSession, assessment: Assessment, version: AssessmentVersion) -> None:
    """The event of a new assessment version, in the transaction that completes it."""
    await emit(
        session,
        ASSESSED,
        f"assessments/{assessment.id}",
        {
            "assessment": assessment.id,
            "version": version.version,
            "previous_version": version.previous_version,
            "kind": assessment.kind,
            "year": assessment.year,
            "region": assessment.region,
            "as_of": version.as_of,
            "resident_count": version.resident_count,
            "line_count": version.line_count,
            "content_hash": version.content_hash,
        },
    )
