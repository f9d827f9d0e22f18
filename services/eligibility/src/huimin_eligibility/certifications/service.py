"""Certifying, exiting and correcting (E2): every change supersedes a record and inserts a new one in the
same transaction, under a lock on the resident, so one category never overlaps itself."""

from __future__ import annotations

from datetime import date as date_type
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import events, rules
from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.audit.service import log_reads
from huimin_eligibility.certifications.models import Certification
from huimin_eligibility.certifications.repository import CertificationRepository
from huimin_eligibility.certifications.schemas import (
    CertificationCorrection,
    CertificationCreate,
    CertificationExit,
)
from huimin_eligibility.common import actor, now, roles_of, transaction_time
from huimin_eligibility.residents.models import Resident
from huimin_eligibility.residents.repository import ResidentRepository
from huimin_eligibility.residents.service import not_readable
from huimin_shared import idnumber
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, FieldProblem, NotFound, ValidationFailed


def period_of(record: Certification) -> rules.Period:
    return rules.Period(rules.Category(record.category), record.valid_from, record.valid_to)


async def _locked_readable_resident(session: AsyncSession, id_number: str, principal: Principal) -> Resident:
    repository = ResidentRepository(session)
    resident = await repository.lock(id_number)
    at = await transaction_time(session)
    if resident is None or await repository.version_at(id_number, at, principal) is None:
        raise await not_readable(session, id_number, principal, at)
    return resident


def _refuse_before_birth(resident: Resident, valid_from: date_type) -> None:
    if valid_from < resident.birth_date:
        reason = f"valid_from {valid_from.isoformat()} is before the resident was born"
        raise ValidationFailed(
            f"body.valid_from: {reason}", errors=[FieldProblem(field="body.valid_from", reason=reason)]
        )


async def _refuse_overlap(
    session: AsyncSession, id_number: str, new: rules.Period, at: datetime, except_lineage: int | None = None
) -> None:
    current = [
        r
        for r in await CertificationRepository(session).known_at(id_number, at)
        if r.lineage != except_lineage
    ]
    clashes = rules.overlapping([period_of(r) for r in current], new)
    if clashes:
        clash = clashes[0]
        until = clash.end.isoformat() if clash.end else "open"
        raise Conflict(
            f"{idnumber.mask(id_number)} is already certified {new.category.value} from {clash.start.isoformat()} "
            f"to {until}; overlapping certifications of one category are refused — exit or correct that one"
        )


async def _audit(
    session: AsyncSession, principal: Principal, at: datetime, action: str, record: Certification
) -> None:
    await AuditRepository(session).record(
        at=at,
        actor=actor(principal),
        roles=roles_of(principal),
        action=action,
        entity="certification",
        entity_id=str(record.lineage),
        details={
            "record": record.id,
            "id_number": idnumber.mask(record.id_number),
            "category": record.category,
            "valid_from": record.valid_from.isoformat(),
            "valid_to": record.valid_to.isoformat() if record.valid_to else None,
            "reason": record.reason,
        },
    )


async def certify(
    session: AsyncSession,
    id_number: str,
    body: CertificationCreate,
    principal: Principal,
    *,
    change: str = "certified",
    reason: str | None = None,
) -> Certification:
    resident = await _locked_readable_resident(session, id_number, principal)
    _refuse_before_birth(resident, body.valid_from)
    at = await transaction_time(session)
    await _refuse_overlap(session, id_number, rules.Period(body.category, body.valid_from, body.valid_to), at)
    record = await CertificationRepository(session).add(
        {
            "id_number": id_number,
            "category": body.category.value,
            "valid_from": body.valid_from,
            "valid_to": body.valid_to,
            "authority": body.authority,
            "evidence_ref": body.evidence_ref,
            "change": change,
            "reason": reason,
            "recorded_at": at,
            "superseded_at": None,
            "recorded_by": actor(principal),
        }
    )
    await _audit(session, principal, at, "certification.certified", record)
    await events.certification_changed(session, record)
    return record


async def _current(
    session: AsyncSession, lineage: int, principal: Principal
) -> tuple[Resident, Certification]:
    record = await CertificationRepository(session).current_of_lineage(lineage)
    if record is None:
        raise NotFound(f"no certification {lineage}")
    resident = await _locked_readable_resident(session, record.id_number, principal)
    record = await CertificationRepository(session).current_of_lineage(lineage)  # re-read under the lock
    if record is None:
        raise NotFound(f"no certification {lineage}")
    return resident, record


async def exit_certification(
    session: AsyncSession, lineage: int, body: CertificationExit, principal: Principal
) -> Certification:
    """An exit sets valid_to (E2); E5 keeps the year's cover, which the rules apply on reading."""
    _, record = await _current(session, lineage, principal)
    if record.valid_to is not None:
        raise Conflict(
            f"certification {lineage} already ends on {record.valid_to.isoformat()}; send a correction to change it"
        )
    if body.valid_to < record.valid_from:
        reason = f"valid_to {body.valid_to.isoformat()} is before the certification began ({record.valid_from.isoformat()})"
        raise ValidationFailed(
            f"body.valid_to: {reason}", errors=[FieldProblem(field="body.valid_to", reason=reason)]
        )
    at = await transaction_time(session)
    repository = CertificationRepository(session)
    await repository.supersede(record.id, at)
    new = await repository.add(
        {
            "lineage": record.lineage,
            "id_number": record.id_number,
            "category": record.category,
            "valid_from": record.valid_from,
            "valid_to": body.valid_to,
            "authority": record.authority,
            "evidence_ref": record.evidence_ref,
            "change": "exited",
            "reason": body.reason,
            "recorded_at": at,
            "superseded_at": None,
            "recorded_by": actor(principal),
        }
    )
    await _audit(session, principal, at, "certification.exited", new)
    await events.certification_changed(session, new)
    return new


async def correct(
    session: AsyncSession, lineage: int, body: CertificationCorrection, principal: Principal
) -> Certification:
    """A correction is a new record of the same certification; the old one stays, superseded."""
    resident, record = await _current(session, lineage, principal)
    _refuse_before_birth(resident, body.valid_from)
    at = await transaction_time(session)
    await _refuse_overlap(
        session, record.id_number, rules.Period(body.category, body.valid_from, body.valid_to), at, lineage
    )
    repository = CertificationRepository(session)
    await repository.supersede(record.id, at)
    new = await repository.add(
        {
            "lineage": record.lineage,
            "id_number": record.id_number,
            "category": body.category.value,
            "valid_from": body.valid_from,
            "valid_to": body.valid_to,
            "authority": body.authority,
            "evidence_ref": body.evidence_ref,
            "change": "corrected",
            "reason": body.reason,
            "recorded_at": at,
            "superseded_at": None,
            "recorded_by": actor(principal),
        }
    )
    await _audit(session, principal, at, "certification.corrected", new)
    await events.certification_changed(session, new)
    return new


async def list_for(
    session: AsyncSession, id_number: str, principal: Principal, as_of: datetime, history: bool
) -> list[Certification]:
    if await ResidentRepository(session).version_at(id_number, now(), principal) is None:
        raise await not_readable(session, id_number, principal, as_of)
    repository = CertificationRepository(session)
    await log_reads(session, [id_number], principal, "certification_history" if history else "certifications")
    if history:
        return list(await repository.all_records(id_number))
    return list(await repository.known_at(id_number, as_of))
