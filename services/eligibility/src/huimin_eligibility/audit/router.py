"""HTTP route for the audit log (审计日志)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.common import NO_CONTROL_CHARACTERS
from huimin_eligibility.deps import Auditor
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    roles: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_after: int | None


@router.get(
    "",
    response_model=AuditPage,
    summary="Who did what to which record",
    description="审计日志: every change (registration, update, certification, exit, correction, application "
    "decision, import, roster read) with who made it and when (E2). Keyset pages by entry id.",
    responses=problem_responses(401, 403, 422),
)
async def audit_log(
    session: SessionDep,
    principal: Auditor,
    entity: str | None = Query(
        default=None,
        max_length=32,
        pattern=NO_CONTROL_CHARACTERS,
        description="resident, certification, application, import, roster",
    ),
    entity_id: str | None = Query(
        default=None,
        max_length=64,
        pattern=NO_CONTROL_CHARACTERS,
        description="ID number, certification lineage, uuid …",
    ),
    after: int | None = Query(default=None, ge=0, le=2**63 - 1),  # a bigint key
    limit: int = Query(default=100, ge=1, le=1000),
) -> AuditPage:
    entries = await AuditRepository(session).list_entries(
        entity=entity, entity_id=entity_id, after_id=after, limit=limit, principal=principal
    )
    items = [AuditEntryOut.model_validate(e, from_attributes=True) for e in entries]
    return AuditPage(items=items, next_after=items[-1].id if len(items) == limit else None)
