"""Importing a civil-affairs roster: validate each row, compare it with the register, apply only what
changed (so the same file twice changes nothing), in chunks, with a row-by-row report.

Each row is one resident and one certification. A row whose category and valid_from match a current
certification updates it (an exit or correction: supersede + new record); a row overlapping another
certification of the same category is rejected, never merged. New rows go in with asyncpg COPY.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from huimin_eligibility import divisions, rules
from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.common import now, transaction_time
from huimin_eligibility.imports.models import ImportJob
from huimin_eligibility.imports.parsing import read_rows
from huimin_eligibility.imports.repository import ImportRepository
from huimin_shared import areas, idnumber

log = structlog.get_logger(__name__)

CATEGORY_ALIASES: dict[str, rules.Category] = {
    **{c.value: c for c in rules.Category},
    **{name: c for c, name in rules.CATEGORY_NAMES_ZH.items()},
    "低保": rules.Category.dibao,
    "低保边缘": rules.Category.marginal,
    "低收入老年人": rules.Category.low_income_elderly,
    "重度残疾人": rules.Category.severely_disabled,
}


@dataclass(frozen=True, slots=True)
class ImportRowData:
    row_number: int
    id_number: str
    birth_date: date
    sex: str
    name: str
    region_code: str
    community: str
    household: str
    category: rules.Category
    valid_from: date
    valid_to: date | None
    employee_insurance_since: date | None
    authority: str | None  # None: the cell was blank (keep the existing value)
    evidence_ref: str | None
    warning: str | None = None  # recorded, but can never be assessed (divisions.never_assessed_warning)


CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
DEFAULT_AUTHORITY = "civil affairs import"
DEFAULT_EVIDENCE = "-"


def _date(raw: dict[str, str], field_name: str, required: bool) -> date | None:
    value = raw.get(field_name, "").strip()
    if not value:
        if required:
            raise ValueError(f"{field_name} is empty")
        return None
    try:
        return date.fromisoformat(value.replace("/", "-")[:10])
    except ValueError as exc:
        raise ValueError(f"{field_name} {value!r} is not a date (YYYY-MM-DD)") from exc


def validate_row(
    row_number: int,
    raw: dict[str, str],
    region_limit: str | None,
    cities: tuple[str, ...],
    today: date,
) -> ImportRowData | str:
    """The row as typed values, or the reason it is rejected (pure; no database). The E1 checks at the door
    are the API's (``divisions``): a future birth date, no province's area code, a residence outside the
    deployment's cities."""
    for name, value in raw.items():
        if CONTROL_CHARACTER.search(value):
            return f"{name} contains a control character (e.g. NUL)"
    try:
        parsed = idnumber.parse(raw.get("id_number", ""))
    except idnumber.InvalidIdNumber as exc:
        return f"id_number: {exc}"
    unreal = divisions.id_number_problem(parsed.area_code, parsed.birth_date, today)
    if unreal:
        return f"id_number: {unreal}"
    for name in ("name", "community", "household"):
        if not raw.get(name, "").strip():
            return f"{name} is empty"
        if len(raw[name]) > 100:
            return f"{name} is longer than 100 characters"
    region = raw.get("region_code", "").strip()
    if not areas.is_area_code(region) or areas.level_of(region) not in (
        areas.AreaLevel.district,
        areas.AreaLevel.county,
    ):
        return f"region_code {region!r} is not a district or county code"
    outside = divisions.residence_problem(region, cities)
    if outside:
        return f"region_code: {outside}"
    if region_limit is not None and not areas.contains(region_limit, region):
        return f"region_code {region} is outside this token's region {region_limit}"
    category = CATEGORY_ALIASES.get(raw.get("category", "").strip())
    if category is None:
        return f"category {raw.get('category', '')!r} is not one of dibao, marginal, low_income_elderly, severely_disabled"
    try:
        valid_from = _date(raw, "valid_from", True)
        valid_to = _date(raw, "valid_to", False)
        employee = _date(raw, "employee_insurance_since", False)
    except ValueError as exc:
        return str(exc)
    assert valid_from is not None
    if valid_to is not None and valid_to < valid_from:
        return "valid_to is before valid_from"
    if valid_from < parsed.birth_date:
        return "valid_from is before the resident was born"
    return ImportRowData(
        row_number=row_number,
        id_number=parsed.number,
        birth_date=parsed.birth_date,
        sex=parsed.sex.value,
        name=raw["name"].strip(),
        region_code=region,
        community=raw["community"].strip(),
        household=raw["household"].strip(),
        category=category,
        valid_from=valid_from,
        valid_to=valid_to,
        employee_insurance_since=employee,
        authority=raw.get("authority", "").strip()[:200] or None,
        evidence_ref=raw.get("evidence_ref", "").strip()[:200] or None,
        warning=divisions.never_assessed_warning(region, valid_from, valid_to, employee),
    )


@dataclass
class _Cert:
    record_id: int | None  # persisted record, or None while pending in this chunk
    lineage: int | None
    category: str
    valid_from: date
    valid_to: date | None
    authority: str
    evidence_ref: str
    change: str = "certified"
    row_number: int = 0


@dataclass
class Counts:
    processed: int = 0
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    rejected_rows: list[tuple[Any, ...]] = field(default_factory=list)


VERSION_FIELDS = ("name", "region_code", "community", "household", "employee_insurance_since")


async def apply_chunk(
    session: AsyncSession,
    job_id: uuid.UUID,
    rows: list[tuple[int, dict[str, str]]],
    *,
    recorded_by: str,
    region_limit: str | None,
    cities: tuple[str, ...],
    counts: Counts,
    record_every_row: bool,
) -> None:
    """Validate, compare with the register and apply one chunk; COPY the new records and the row report."""
    repository = ImportRepository(session)
    registered_at = await transaction_time(session)
    report: list[tuple[Any, ...]] = []

    def reject(number: int, id_number: str | None, reason: str) -> None:
        counts.rejected += 1
        entry = (
            job_id,
            number,
            "rejected",
            idnumber.mask(id_number) if id_number else None,
            idnumber.mask_in_text(reason),
        )
        report.append(entry)
        counts.rejected_rows.append(entry)

    valid: list[ImportRowData] = []
    today = divisions.today_in_china()
    for number, raw in rows:
        checked = validate_row(number, raw, region_limit, cities, today)
        if isinstance(checked, str):
            candidate = raw.get("id_number", "")
            reject(number, candidate if idnumber.is_valid(candidate) else None, checked)
        else:
            valid.append(checked)

    # Register the new residents and lock every resident of the chunk before reading their state, so a
    # concurrent import or API write of the same person waits (one category never overlaps itself).
    await repository.insert_and_lock(
        list(
            {
                r.id_number: (r.id_number, r.birth_date, r.sex, registered_at, recorded_by) for r in valid
            }.values()
        )
    )
    at = await transaction_time(session)  # after the lock: later than any record it supersedes
    _, versions, certifications = await repository.current_state({r.id_number for r in valid})
    version_state: dict[str, dict[str, Any]] = {
        number: {"id": v.id, **{f: getattr(v, f) for f in VERSION_FIELDS}} for number, v in versions.items()
    }
    cert_state: dict[str, list[_Cert]] = {
        number: [
            _Cert(c.id, c.lineage, c.category, c.valid_from, c.valid_to, c.authority, c.evidence_ref)
            for c in records
        ]
        for number, records in certifications.items()
    }
    superseded_versions: list[int] = []
    superseded_certs: list[int] = []
    pending_versions: dict[str, dict[str, Any]] = {}

    lives_in = {number: v.region_code for number, v in versions.items()}
    for row in valid:
        home = lives_in.get(row.id_number)
        if region_limit is not None and home is not None and not areas.contains(region_limit, home):
            reject(
                row.row_number,
                row.id_number,
                f"the resident lives in {home}, outside this token's region {region_limit}",
            )
            continue
        current = cert_state.setdefault(row.id_number, [])
        same_category = [c for c in current if c.category == row.category.value]
        match = next((c for c in same_category if c.valid_from == row.valid_from), None)
        # A blank 认定机关 / 证明文号 keeps what the register has (a plain exit stays an exit).
        authority = row.authority or (match.authority if match else DEFAULT_AUTHORITY)
        evidence_ref = row.evidence_ref or (match.evidence_ref if match else DEFAULT_EVIDENCE)
        others = [
            rules.Period(row.category, c.valid_from, c.valid_to) for c in same_category if c is not match
        ]
        clash = rules.overlapping(others, rules.Period(row.category, row.valid_from, row.valid_to))
        if clash:
            until = clash[0].end.isoformat() if clash[0].end else "open"
            reject(
                row.row_number,
                row.id_number,
                f"overlaps the {row.category.value} certification from {clash[0].start.isoformat()} to {until}",
            )
            continue
        cert_changed = match is None or (match.valid_to, match.authority, match.evidence_ref) != (
            row.valid_to,
            authority,
            evidence_ref,
        )
        fields = {f: getattr(row, f) for f in VERSION_FIELDS}
        state = version_state.get(row.id_number)
        version_changed = state is None or any(state[f] != fields[f] for f in VERSION_FIELDS)
        if not cert_changed and not version_changed:
            counts.unchanged += 1
            if record_every_row or row.warning:
                report.append(
                    (job_id, row.row_number, "unchanged", idnumber.mask(row.id_number), row.warning)
                )
            continue
        if version_changed:
            if state is not None and state["id"] is not None:
                superseded_versions.append(state["id"])
            version_state[row.id_number] = {"id": None, **fields}
            pending_versions[row.id_number] = fields
        if cert_changed:
            if match is None:
                current.append(
                    _Cert(
                        None,
                        None,
                        row.category.value,
                        row.valid_from,
                        row.valid_to,
                        authority,
                        evidence_ref,
                        "certified",
                        row.row_number,
                    )
                )
            else:
                if match.record_id is not None:
                    superseded_certs.append(match.record_id)
                only_exit = (
                    match.valid_to is None
                    and row.valid_to is not None
                    and (match.authority, match.evidence_ref) == (authority, evidence_ref)
                )
                if match.record_id is not None or match.change != "certified":
                    match.change = "exited" if only_exit else "corrected"
                match.record_id = None
                match.valid_to, match.authority, match.evidence_ref = row.valid_to, authority, evidence_ref
                match.row_number = row.row_number
        counts.accepted += 1
        if record_every_row or row.warning:
            report.append((job_id, row.row_number, "accepted", idnumber.mask(row.id_number), row.warning))

    pending_certs = [
        (number, c) for number, records in cert_state.items() for c in records if c.record_id is None
    ]
    ids = await repository.next_certification_ids(len(pending_certs))
    cert_records = [
        (
            new_id,
            c.lineage or new_id,
            number,
            c.category,
            c.valid_from,
            c.valid_to,
            c.authority,
            c.evidence_ref,
            c.change,
            f"import {job_id} row {c.row_number}",
            at,
            recorded_by,
        )
        for new_id, (number, c) in zip(ids, pending_certs, strict=True)
    ]
    version_records = [
        (
            number,
            f["name"],
            f["region_code"],
            f["community"],
            f["household"],
            f["employee_insurance_since"],
            at,
            recorded_by,
        )
        for number, f in pending_versions.items()
    ]
    await repository.apply(
        at=at,
        superseded_versions=superseded_versions,
        versions=version_records,
        superseded_certifications=superseded_certs,
        certifications=cert_records,
    )
    report.sort(key=lambda entry: entry[1])
    await repository.record_rows(report)
    counts.processed += len(rows)


def _chunks(
    rows: Iterable[tuple[int, dict[str, str]]], size: int
) -> Iterator[list[tuple[int, dict[str, str]]]]:
    chunk: list[tuple[int, dict[str, str]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def run_import(
    session: AsyncSession,
    job_id: uuid.UUID,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    mode: str,
    recorded_by: str,
    region_limit: str | None,
    cities: tuple[str, ...],
    chunk_rows: int,
    end_chunk: Callable[[], Awaitable[None]],
) -> Counts:
    """Apply ``rows`` chunk by chunk, calling ``end_chunk`` (flush or commit) after each.

    all_or_nothing: everything runs inside one savepoint that is rolled back if any row is rejected; the
    report then lists the rejected rows and the job ends ``rolled_back``.
    """
    repository = ImportRepository(session)
    counts = Counts()
    all_or_nothing = mode == "all_or_nothing"
    savepoint = await session.begin_nested() if all_or_nothing else None
    for chunk in _chunks(rows, chunk_rows):
        await apply_chunk(
            session,
            job_id,
            chunk,
            recorded_by=recorded_by,
            region_limit=region_limit,
            cities=cities,
            counts=counts,
            record_every_row=not all_or_nothing,
        )
        if not all_or_nothing:
            await repository.update_job(
                job_id,
                processed_rows=counts.processed,
                accepted=counts.accepted,
                rejected=counts.rejected,
                unchanged=counts.unchanged,
            )
            await end_chunk()
    status = "complete"
    if savepoint is not None:
        if counts.rejected:
            await savepoint.rollback()
            await repository.record_rows(counts.rejected_rows)
            status = "rolled_back"
        else:
            await savepoint.commit()
    await repository.update_job(
        job_id,
        status=status,
        total_rows=counts.processed,
        processed_rows=counts.processed,
        accepted=counts.accepted if status == "complete" else 0,
        rejected=counts.rejected,
        unchanged=counts.unchanged if status == "complete" else 0,
        finished_at=now(),
    )
    await AuditRepository(session).record(
        at=now(),
        actor=recorded_by,
        roles="civil_affairs",
        action=f"import.{status}",
        entity="import",
        entity_id=str(job_id),
        details={"accepted": counts.accepted, "rejected": counts.rejected, "unchanged": counts.unchanged},
    )
    await end_chunk()
    counts.rejected_rows = []
    return counts


def sha256_of(binary: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := binary.read(1 << 20):
        digest.update(chunk)
    binary.seek(0)
    return digest.hexdigest()


def new_job(
    job_id: uuid.UUID,
    filename: str,
    fmt: str,
    sha256: str,
    mode: str,
    created_by: str,
    at: datetime,
    region: str | None = None,
) -> ImportJob:
    return ImportJob(
        id=job_id,
        filename=filename[:300],
        file_format=fmt,
        sha256=sha256,
        mode=mode,
        status="running",
        total_rows=0,
        processed_rows=0,
        accepted=0,
        rejected=0,
        unchanged=0,
        created_by=created_by,
        created_at=at,
        region=region,
    )


async def run_in_background(
    sessions: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    path: Path,
    fmt: str,
    *,
    mode: str,
    recorded_by: str,
    region_limit: str | None,
    cities: tuple[str, ...],
    chunk_rows: int,
) -> None:
    """A large file: its own session, one commit per chunk (partial) or one at the end (all_or_nothing)."""
    try:
        async with sessions() as session:
            try:
                with path.open("rb") as binary:
                    await run_import(
                        session,
                        job_id,
                        read_rows(binary, fmt),
                        mode=mode,
                        recorded_by=recorded_by,
                        region_limit=region_limit,
                        cities=cities,
                        chunk_rows=chunk_rows,
                        end_chunk=session.commit,
                    )
            except asyncio.CancelledError:
                # The service is stopping: committed chunks stay; uploading the file again resumes, since
                # the rows already applied come back "unchanged".
                await asyncio.shield(
                    _mark_failed(session, job_id, "the service stopped; upload the file again")
                )
                raise
            except Exception as exc:
                log.exception("import_failed", job_id=str(job_id))
                await _mark_failed(session, job_id, idnumber.mask_in_text(str(exc)))
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


async def _mark_failed(session: AsyncSession, job_id: uuid.UUID, error: str) -> None:
    await session.rollback()
    await ImportRepository(session).update_job(job_id, status="failed", error=error[:1000], finished_at=now())
    await session.commit()


def start_background(tasks: set[asyncio.Task[None]], coroutine: Awaitable[None]) -> None:
    task = asyncio.ensure_future(coroutine)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
