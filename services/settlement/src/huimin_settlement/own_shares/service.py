"""Own shares (S3, B§四(二)): record the social-insurance system's individual payments, hold back the marginal
instalment lines of people who have not paid, carry them to a later batch of the same instalment once they
have, and say who is waiting and for how long."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.batches import transfers
from huimin_settlement.batches.repository import BatchRepository
from huimin_settlement.batches.rules import LineTotals
from huimin_settlement.db import savepoint
from huimin_settlement.own_shares import parsing, rules
from huimin_settlement.own_shares.repository import OwnShareRepository
from huimin_settlement.own_shares.schemas import OwnSharePaymentIn, row_problems
from huimin_shared import areas
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, FieldProblem, ValidationFailed
from huimin_shared.idnumber import mask

MARGINAL_INSTALMENT = "marginal_instalment"
ADJUSTMENT = "adjustment"


def _refuse(problems: list[tuple[str, str]]) -> ValidationFailed:
    shown = problems[:200]
    return ValidationFailed(
        "; ".join(f"{f}: {r}" for f, r in shown[:5])
        + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""),
        errors=[FieldProblem(field=f, reason=r) for f, r in shown],
    )


# recording ------------------------------------------------------------------------------------
@savepoint
async def record_items(
    session: AsyncSession, items: list[tuple[str, Any]], principal: Principal
) -> dict[str, int]:
    """The payments of a request body, each (where, object): validated all, then recorded."""
    return await record(session, validate(items), principal)


async def record(
    session: AsyncSession, payments: list[OwnSharePaymentIn], principal: Principal
) -> dict[str, int]:
    """Store the payments not stored yet (natural key: person, cover year, amount, paid date); all or none."""
    for payment in payments:
        principal.ensure_covers(payment.region_code)
    rows = [p.model_dump() for p in payments]
    recorded = await OwnShareRepository(session).insert_payments(rows, principal.subject)
    return {"received": len(rows), "recorded": recorded, "duplicates": len(rows) - recorded}


def validate(items: list[tuple[str, Any]]) -> list[OwnSharePaymentIn]:
    """Each (where, raw object) as a payment, or one problem listing every bad field (nothing written)."""
    problems: list[tuple[str, str]] = []
    found: list[OwnSharePaymentIn] = []
    for where, raw in items:
        try:
            found.append(OwnSharePaymentIn.model_validate(raw))
        except ValidationError as exc:
            problems += row_problems(list(exc.errors(include_url=False)), where)  # type: ignore[arg-type]
    if problems:
        raise _refuse(problems)
    return found


@savepoint
async def import_file(session: AsyncSession, raw: bytes, principal: Principal) -> dict[str, int]:
    try:
        records = parsing.read(raw)
    except parsing.UnreadableFile as exc:
        raise _refuse([("file", str(exc))]) from exc
    payments = validate([(f"file.row{number}", record) for number, record in records])
    return await record(session, payments, principal)


# the gate -------------------------------------------------------------------------------------
async def withhold(session: AsyncSession, batch_id: uuid.UUID, year: int, paid_by: date) -> int:
    """Called by batch preparation for a regular marginal instalment, after its lines are written and
    before its control totals are counted: the lines of people whose own share is not recorded as paid
    by ``paid_by`` leave the batch (S3). How many left."""
    return await OwnShareRepository(session).withhold(batch_id, year, paid_by)


async def withhold_adjustment(
    session: AsyncSession, batch_id: uuid.UUID, adjusted: uuid.UUID, version: int, year: int, paid_by: date
) -> int:
    """Called by batch preparation for an adjustment of a marginal instalment batch, before it is counted:
    a person's change is paid only to someone the adjusted batch (or a carry of it) paid, and who has paid
    their own share by ``paid_by`` (S3). The others' lines are withheld like an instalment's and carried by
    ``carry`` with the adjustment batch's id. How many left."""
    return await OwnShareRepository(session).withhold_adjustment(batch_id, adjusted, version, year, paid_by)


async def any_withheld(session: AsyncSession, batch_id: uuid.UUID) -> bool:
    return await OwnShareRepository(session).any_withheld(batch_id)


# carrying -------------------------------------------------------------------------------------
@savepoint
async def carry(
    session: AsyncSession, source_id: uuid.UUID, paid_by: date, principal: Principal
) -> dict[str, Any]:
    """A later batch of the same instalment, assessment version and amounts, paying the withheld people of
    ``source_id`` whose own share is now recorded as paid by ``paid_by``; prepared, for maker-checker."""
    source = await BatchRepository(session).batch(source_id, for_update=True)
    if source is None:
        raise ValidationFailed(
            "no such batch", errors=[FieldProblem(field="body.batch_id", reason="no such batch")]
        )
    principal.ensure_covers(source.city_code)
    adjusted = (
        await BatchRepository(session).batch(source.adjusts_batch_id)
        if source.kind == ADJUSTMENT and source.adjusts_batch_id is not None
        else None
    )
    pays_kind = adjusted.kind if adjusted is not None else source.kind
    if pays_kind != MARGINAL_INSTALMENT or source.carry_no != 0:
        raise ValidationFailed(
            "only a regular marginal instalment batch, or an adjustment of one, has withheld people to carry",
            errors=[
                FieldProblem(field="body.batch_id", reason=f"a {source.kind} batch, carry {source.carry_no}")
            ],
        )
    if source.state == "cancelled":
        raise Conflict(f"batch {source_id} is cancelled; prepare the instalment again")
    batch_id = uuid.uuid4()
    carry_no = await OwnShareRepository(session).next_carry_no(source)
    values = {
        "id": batch_id,
        "city_code": source.city_code,
        "year": source.year,
        "kind": source.kind,
        "instalment": source.instalment,
        "carry_no": carry_no,
        "assessment_id": source.assessment_id,
        "assessment_version": source.assessment_version,
        "adjusts_batch_id": source.adjusts_batch_id,  # a carry of an adjustment adjusts the same batch
        "previous_batch_id": None,  # its people are the regular batch's left-outs: no variance against it
        "due_on": source.due_on,
        "state": "prepared",
        "line_count": 0,
        "control_total": 0,
        "control_central": 0,
        "control_province": 0,
        "control_city": 0,
        "control_district_or_county": 0,
        "prepared_by": principal.subject,
    }
    try:
        async with session.begin_nested():
            await BatchRepository(session).insert_batch(values)
    except IntegrityError as exc:
        raise Conflict(f"a carry batch of {source_id} is being prepared at the same time; retry") from exc
    await OwnShareRepository(session).carry(
        source, batch_id, paid_by, adjusted.id if adjusted is not None else None
    )
    blocks = await BatchRepository(session).blocks(batch_id)  # one GROUP BY: control totals and transfers
    totals = sum((block.totals for block in blocks), LineTotals())
    count, total = totals.count, totals.total
    central, province, city, district = totals.by_payer.yuan()
    if count == 0:
        raise Conflict(
            f"nobody withheld from batch {source_id} has an own share recorded as paid by {paid_by}",
            extra={"nothing_to_carry": True},
        )
    await OwnShareRepository(session).set_control(batch_id, count, total, central, province, city, district)
    await transfers.plan(session, batch_id, source.city_code, pays_kind, blocks)
    await BatchRepository(session).add_event(
        batch_id, "prepared", principal.subject, f"carries {count} people withheld from batch {source_id}"
    )
    return {
        "batch_id": batch_id,
        "carries_batch_id": source.id,
        "carry_no": carry_no,
        "line_count": count,
        "total": total,
    }


# who waits ------------------------------------------------------------------------------------
async def waiting(
    session: AsyncSession,
    principal: Principal,
    city: str,
    year: int,
    on: date,
    region: str | None,
    instalment: int | None,
    after: str | None,
    limit: int,
) -> dict[str, Any]:
    if region is None and principal.region is not None and not areas.contains(city, principal.region):
        principal.ensure_covers(city)  # a token of another city's region: 403
    scope = region or principal.region or city
    if not areas.contains(city, scope):
        raise ValidationFailed(
            "region outside the city",
            errors=[FieldProblem(field="query.region", reason=f"not in {city}")],
        )
    principal.ensure_covers(scope)
    cursor = _cursor(after)
    rows = await OwnShareRepository(session).waiting(
        city, year, areas.prefix_of(scope), instalment, cursor, limit
    )
    items = [
        {
            "id_number": mask(row.id_number),
            "region_code": row.region_code,
            "category": row.category,
            "instalment": row.instalment,
            "batch_id": row.batch_id,
            "line_no": row.line_no,
            "amount": row.amount,
            "waiting_since": row.due_on,
            "days_waiting": rules.days_waiting(row.due_on, on),
            "own_share_paid_on": row.paid_on,
        }
        for row in rows
    ]
    last = rows[-1] if len(rows) == limit else None
    return {
        "city": city,
        "year": year,
        "on": on,
        "items": items,
        "next_after": f"{last.batch_id}:{last.line_no}" if last is not None else None,
    }


def _cursor(after: str | None) -> tuple[str, int] | None:
    if after is None:
        return None
    batch, _, line = after.partition(":")
    try:
        return str(uuid.UUID(batch)), int(line)
    except ValueError as exc:
        raise ValidationFailed(
            "bad cursor", errors=[FieldProblem(field="query.after", reason="not a next_after of this route")]
        ) from exc
