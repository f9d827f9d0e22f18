"""Settlement batches (S3, S4): prepared from a pinned premium assessment, approved by a second
person with the finance role (maker-checker), executed once — even when executed twice at once.

The jobs around it live beside it: request checks in ``checks``, premium's figures in ``snapshots``,
the bulk load of lines in ``ingest``/``staging``, the arithmetic in ``rules``, the transfers a batch
makes in ``transfers``, what the routes read in ``reads``, a person's trace in ``trace``."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement import events
from huimin_settlement.batches import checks, ingest, reads, rules, snapshots, transfers
from huimin_settlement.batches.checks import BatchRequest
from huimin_settlement.batches.errors import AssessmentOutdated, BatchStateConflict, ControlTotalsMismatch
from huimin_settlement.batches.models import Batch
from huimin_settlement.batches.reads import BatchView, control_of
from huimin_settlement.batches.repository import BatchRepository
from huimin_settlement.batches.rules import ByPayer, LineTotals
from huimin_settlement.ledger import service as ledger
from huimin_settlement.ledger.models import Transfer
from huimin_settlement.own_shares import service as own_shares
from huimin_settlement.peers import PremiumClient
from huimin_shared.auth import Principal, Role
from huimin_shared.errors import Conflict, Forbidden, NotFound

__all__ = [
    "AssessmentOutdated",
    "BatchRequest",
    "BatchStateConflict",
    "ControlTotalsMismatch",
]


async def get(session: AsyncSession, batch_id: uuid.UUID, principal: Principal | None = None) -> Batch:
    return await reads.get(session, batch_id, principal)


# prepare ------------------------------------------------------------------------------------
async def prepare(
    session: AsyncSession, premium: PremiumClient, request: BatchRequest, principal: Principal
) -> BatchView:
    """All or nothing, whatever the caller's transaction does (a savepoint around the whole)."""
    async with session.begin_nested():
        batch_id = await _prepare(session, premium, request, principal)
    return await reads.view(session, batch_id)


async def _prepare(
    session: AsyncSession, premium: PremiumClient, request: BatchRequest, principal: Principal
) -> uuid.UUID:
    principal.ensure_covers(request.city)
    checks.check_shape(request)
    adjusted = (
        await checks.adjusted_batch(BatchRepository(session), request)
        if request.kind is rules.BatchKind.adjustment
        else None
    )
    await ledger.chart(session, request.city)
    version = await premium.assessment_version(request.assessment_id, request.assessment_version)
    checks.check_assessment(request, version, adjusted)
    existing = await BatchRepository(session).live_batch_of_assessment(
        request.city, request.kind.value, request.instalment, request.assessment_id
    )
    if existing is not None and request.kind is not rules.BatchKind.adjustment:
        raise Conflict(
            f"batch {existing.id} ({existing.state}) already pays {request.kind.value} from assessment "
            f"{request.assessment_id} v{existing.assessment_version}; a new version is paid by an adjustment "
            "batch, or cancel the unexecuted batch first",
            extra={"batch_id": str(existing.id)},
        )
    paid_through = await checks.paid_through(BatchRepository(session), request, adjusted) if adjusted else 0
    batch_id = uuid.uuid4()
    groups = await snapshots.groups(premium, version, request.city)
    first = (
        await BatchRepository(session).first_instalment_of(
            request.city, request.assessment_id, request.assessment_version
        )
        if request.kind is rules.BatchKind.marginal_instalment and request.instalment == 2
        else None
    )
    if first is not None and (first.carry_no or await own_shares.any_withheld(session, first.id)):
        first = None  # instalment 1 left people out: stream the version's lines (S3)
    if first is not None:
        await ingest.second_instalment(session, first.id, batch_id)
    else:
        plan = ingest.LinePlan(
            batch_id=batch_id,
            city=request.city,
            assessment_id=request.assessment_id,
            version=request.assessment_version,
            kind=request.kind,
            pays_kind=rules.BatchKind(adjusted.kind) if adjusted is not None else request.kind,
            instalment=adjusted.instalment if adjusted is not None else request.instalment,
            paid_through=paid_through,
        )
        await ingest.stream_lines(session, premium, plan, groups)
    await snapshots.record(session, request.city, version, groups)
    if request.kind is rules.BatchKind.marginal_instalment:
        # S3: people who had not paid their own share by the day leave the batch before it is counted
        await own_shares.withhold(
            session,
            batch_id,
            request.year,
            request.own_shares_paid_by or rules.due_on(request.kind, request.year, request.instalment),
        )
    elif adjusted is not None and adjusted.kind == rules.BatchKind.marginal_instalment.value:
        # S3: its change is paid only to people the adjusted batch (or a carry of it) paid
        await own_shares.withhold_adjustment(
            session,
            batch_id,
            adjusted.id,
            request.assessment_version,
            request.year,
            request.own_shares_paid_by or rules.due_on(request.kind, request.year),
        )
    previous = await BatchRepository(session).previous_of_kind(
        request.city, request.kind.value, request.instalment, adjusted, batch_id
    )
    blocks = await BatchRepository(session).blocks(batch_id)  # one GROUP BY: control totals and transfers
    totals = sum((block.totals for block in blocks), LineTotals())
    central, province, city, district = totals.by_payer.yuan()
    values: dict[str, Any] = {
        "id": batch_id,
        "city_code": request.city,
        "year": request.year,
        "kind": request.kind.value,
        "instalment": request.instalment,
        "assessment_id": request.assessment_id,
        "assessment_version": request.assessment_version,
        "adjusts_batch_id": request.adjusts_batch_id,
        "previous_batch_id": previous.id if previous else None,
        "due_on": rules.due_on(request.kind, request.year, request.instalment),
        "state": rules.BatchState.prepared.value,
        "line_count": totals.count,
        "control_total": totals.total,
        "control_central": central,
        "control_province": province,
        "control_city": city,
        "control_district_or_county": district,
        "prepared_by": principal.subject,
    }
    try:
        async with session.begin_nested():
            await BatchRepository(session).insert_batch(values)
    except IntegrityError as exc:
        raise Conflict("a live batch of this kind for this assessment version already exists") from exc
    await BatchRepository(session).add_event(
        batch_id, rules.BatchState.prepared.value, principal.subject, "prepared"
    )
    await transfers.plan(
        session,
        batch_id,
        request.city,
        adjusted.kind if adjusted else request.kind.value,
        blocks,
    )
    return batch_id


# approve, cancel ----------------------------------------------------------------------------
async def approve(
    session: AsyncSession, premium: PremiumClient | None, batch_id: uuid.UUID, principal: Principal
) -> BatchView:
    """Maker-checker: another person with the finance role; control totals must still match the lines."""
    batch = await get(session, batch_id, principal)
    if Role.finance not in principal.roles:
        raise Forbidden("approving a batch needs the finance role")
    if batch.prepared_by == principal.subject:
        raise Forbidden(f"batch {batch_id} was prepared by {principal.subject}; another person approves it")
    if batch.state != rules.BatchState.prepared.value:
        raise BatchStateConflict(f"batch {batch_id} is {batch.state}; only a prepared batch is approved")
    count, total, *payers = await BatchRepository(session).line_totals(batch_id)
    lines = LineTotals(count, ByPayer.of_yuan(*payers))
    if lines != control_of(batch) or total != batch.control_total:
        raise ControlTotalsMismatch(
            f"batch {batch_id}: control totals say {batch.line_count} lines totalling {batch.control_total}; "
            f"its lines now count {count} totalling {total}. The batch is not approved; cancel and prepare it again"
        )
    if premium is not None and batch.carry_no == 0:  # a carry's newer change: adjustments (S3)
        latest = await premium.latest_version(batch.assessment_id)
        if latest != batch.assessment_version:
            raise AssessmentOutdated(
                f"assessment {batch.assessment_id} has moved on to v{latest}; batch {batch_id} was built from "
                f"v{batch.assessment_version}. Cancel it and prepare one from v{latest}",
                extra={"latest_version": latest},
            )
    if not await BatchRepository(session).compare_and_set(
        batch_id,
        "prepared",
        "approved",
        principal.subject,
        "approved",
        approved_by=principal.subject,
        approved_at=datetime.now(UTC),
    ):
        raise BatchStateConflict(f"batch {batch_id} changed state while being approved")
    return await reads.view(session, batch_id)


async def cancel(
    session: AsyncSession, batch_id: uuid.UUID, principal: Principal, reason: str | None
) -> BatchView:
    batch = await get(session, batch_id, principal)
    for expected in ("prepared", "approved"):
        if await BatchRepository(session).compare_and_set(
            batch_id, expected, "cancelled", principal.subject, reason
        ):
            return await reads.view(session, batch_id)
    raise BatchStateConflict(
        f"batch {batch_id} is {batch.state}; only a prepared or approved batch is cancelled"
    )


# execute ------------------------------------------------------------------------------------
async def execute(
    session: AsyncSession, batch_id: uuid.UUID, principal: Principal, value_date: date, settle: str
) -> BatchView:
    """Reserve every transfer (pending), then post them — or leave them for the bank to confirm.

    The batch row is locked first, so a second execution waits and then finds the work done; the
    transfers' ids are derived from batch and line key, so a re-run can only find them written. All
    or nothing, whatever the caller's transaction does.
    """
    async with session.begin_nested():
        batch = await BatchRepository(session).batch(batch_id, for_update=True)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        principal.ensure_covers(batch.city_code)
        if batch.state in (rules.BatchState.prepared.value, rules.BatchState.cancelled.value):
            raise BatchStateConflict(f"batch {batch_id} is {batch.state}; only an approved batch is executed")
        if batch.state == rules.BatchState.approved.value:
            await reserve(session, batch, principal.subject, value_date)
        if settle == "ledger":
            await post_reserved(session, batch_id, principal.subject)
    return await reads.view(session, batch_id)


async def reserve(session: AsyncSession, batch: Batch, actor: str, value_date: date) -> None:
    planned = [t for t, _state in await BatchRepository(session).planned(batch.id)]
    await ledger.create_transfers(session, transfers.to_write(batch, planned, value_date), actor)
    if not await BatchRepository(session).compare_and_set(
        batch.id,
        "approved",
        "reserved",
        actor,
        f"{len(planned)} transfers reserved",
        value_date=value_date,
    ):
        raise BatchStateConflict(f"batch {batch.id} changed state while being reserved")


async def post_reserved(session: AsyncSession, batch_id: uuid.UUID, actor: str) -> None:
    """Resume point after a crash between reserving and posting: posts what is still pending."""
    pending = await ledger.transfers_of_batch(session, batch_id, state="pending")
    await ledger.post(session, [t.id for t in pending], actor, "batch executed")
    await settle_if_done(session, [batch_id], actor)


async def settle_if_done(session: AsyncSession, batch_ids: list[uuid.UUID], actor: str) -> None:
    """A reserved batch whose transfers are all resolved is executed (voided ones are listed on it)."""
    for batch_id in sorted(set(batch_ids)):
        transfers = await transfers_of(session, batch_id)
        if any(t.state == "pending" for t in transfers):
            continue
        voided = sum(1 for t in transfers if t.state == "voided")
        reason = "all transfers posted" if not voided else f"{voided} transfers voided by the bank"
        if await BatchRepository(session).compare_and_set(
            batch_id, "reserved", "executed", actor, reason, executed_at=datetime.now(UTC)
        ):
            await events.batch_executed(session, batch_id)


async def transfers_of(session: AsyncSession, batch_id: uuid.UUID) -> list[Transfer]:
    return await ledger.transfers_of_batch(session, batch_id)
