"""HTTP routes of settlement batches: prepare, show, approve, execute, cancel, lines, variance, trace."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from huimin_settlement.batches import reads, service
from huimin_settlement.batches import trace as traces
from huimin_settlement.batches.models import Batch
from huimin_settlement.batches.reads import BatchView, PlannedTransfer, control_of
from huimin_settlement.batches.rules import ByPayer as PayerParts
from huimin_settlement.batches.schemas import (
    ApproveIn,
    AssessmentRef,
    BatchDetail,
    BatchEventOut,
    BatchIn,
    BatchLineOut,
    BatchLinePage,
    BatchList,
    BatchOut,
    ByPayer,
    CancelIn,
    ControlTotals,
    ExecuteIn,
    PlannedTransferOut,
    TraceLine,
    TraceOut,
    VarianceItem,
    VarianceOut,
)
from huimin_settlement.batches.service import BatchRequest
from huimin_settlement.deps import BatchReaderDep, FinanceDep, MakerDep, PremiumDep, TraceReaderDep
from huimin_settlement.ledger.service import today_in_shanghai
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses
from huimin_shared.idnumber import ResidentIdNumber
from huimin_shared.paging import DEFAULT_LIMIT, PageLimit

router = APIRouter(prefix="/v1", tags=["batches"])


def by_payer(parts: PayerParts) -> ByPayer:
    central, province, city, district = parts.yuan()
    return ByPayer(central=central, province=province, city=city, district_or_county=district)


def batch_out(batch: Batch) -> BatchOut:
    return BatchOut(
        id=batch.id,
        city=batch.city_code,
        year=batch.year,
        kind=batch.kind,
        instalment=batch.instalment,
        carry_no=batch.carry_no,
        assessment=AssessmentRef(id=batch.assessment_id, version=batch.assessment_version),
        adjusts_batch_id=batch.adjusts_batch_id,
        previous_batch_id=batch.previous_batch_id,
        due_on=batch.due_on,
        state=batch.state,
        control=ControlTotals(
            line_count=batch.line_count,
            total=batch.control_total,
            by_payer=by_payer(control_of(batch).by_payer),
        ),
        prepared_by=batch.prepared_by,
        approved_by=batch.approved_by,
        executed_at=batch.executed_at,
        value_date=batch.value_date,
    )


def planned_out(planned: PlannedTransfer) -> PlannedTransferOut:
    transfer = planned.transfer
    return PlannedTransferOut(
        id=transfer.transfer_id,
        debit_account_id=transfer.debit_account_id,
        credit_account_id=transfer.credit_account_id,
        amount=transfer.amount,
        region_code=transfer.region_code,
        category=transfer.category,
        payer_level=transfer.payer_level,
        line_first=transfer.line_first,
        line_last=transfer.line_last,
        state=planned.state,
    )


def batch_detail(view: BatchView) -> BatchDetail:
    return BatchDetail(
        **batch_out(view.batch).model_dump(),
        transfers=[planned_out(p) for p in view.transfers],
        history=[BatchEventOut.model_validate(e) for e in view.history],
    )


@router.post(
    "/batches",
    operation_id="createBatch",
    summary="Prepare a settlement batch from a premium assessment (制作资助参保资金批次)",
    description="Reads the assessment version over REST (pinned by id and version, refused unless it is the "
    "latest), streams its lines and keeps the ones this kind of batch pays: `dibao_collective` (集体投保, due 15 "
    "January, B§四(一)), `marginal_instalment` 1 or 2 (边缘对象两次交纳, 15 January and 10 July, B§四(二)), "
    "`new_entrants` (新增, 15 January of the next year, B§四(三)), `refunds` (年底一次性返还, B§四(四)), "
    "`adjustment` (a newer version's adjustment lines, against the executed batch it adjusts). The batch records "
    "control totals; the preparer cannot approve it.",
    response_model=BatchDetail,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def prepare_batch(
    body: BatchIn, session: SessionDep, principal: MakerDep, premium: PremiumDep
) -> BatchDetail:
    view = await service.prepare(
        session,
        premium,
        BatchRequest(
            city=body.city,
            year=body.year,
            kind=body.kind,
            assessment_id=body.assessment_id,
            assessment_version=body.assessment_version,
            instalment=body.instalment,
            adjusts_batch_id=body.adjusts_batch_id,
            own_shares_paid_by=body.own_shares_paid_by,
        ),
        principal,
    )
    return batch_detail(view)


@router.get(
    "/batches",
    summary="List settlement batches (资金批次)",
    description="Batches of a city, optionally of one year and kind, oldest first.",
    response_model=BatchList,
    responses=problem_responses(401, 403, 422),
)
async def list_batches(
    session: SessionDep,
    principal: BatchReaderDep,
    city: Annotated[str | None, Query(pattern=r"^[1-9]\d{3}00$")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    kind: Annotated[
        str | None, Query(pattern="^(dibao_collective|marginal_instalment|new_entrants|refunds|adjustment)$")
    ] = None,
) -> BatchList:
    batches = await reads.list_batches(session, principal, city, year, kind)
    return BatchList(items=[batch_out(b) for b in batches])


@router.get(
    "/batches/{batch_id}",
    summary="One batch: control totals, the transfers it makes, its history (批次)",
    description="Shows the control totals (per paying level), the transfers the batch makes (one per region, "
    "category and paying level, each naming the line range it covers) with their ledger state, and every state change.",
    response_model=BatchDetail,
    responses=problem_responses(401, 403, 404),
)
async def get_batch(batch_id: uuid.UUID, session: SessionDep, principal: BatchReaderDep) -> BatchDetail:
    return batch_detail(await reads.view(session, batch_id, principal))


@router.get(
    "/batches/{batch_id}/lines",
    summary="A batch's lines: resident, amount, paying level, citation (资助对象明细)",
    description="Keyset pages by line number; pass `next_after` back as `after`. Each person shown is written "
    "to the read log (DRS-8).",
    response_model=BatchLinePage,
    responses=problem_responses(401, 403, 404, 422),
)
async def batch_lines(
    batch_id: uuid.UUID,
    session: SessionDep,
    principal: BatchReaderDep,
    after: Annotated[
        int | None,
        Query(
            ge=0,
            le=2**31 - 1,
            description="Continue after this line number: the `next_after` of the last page.",
        ),
    ] = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> BatchLinePage:
    lines = await reads.lines(session, batch_id, principal, after, limit)
    items = [BatchLineOut.model_validate(line) for line in lines]
    return BatchLinePage(items=items, next_after=items[-1].line_no if len(items) == limit else None)


@router.get(
    "/batches/{batch_id}/variance",
    summary="Variance against the previous batch of its kind and instalment (变动情况)",
    description="Residents new, exited and changed against the previous batch of the same kind and instalment "
    "(for an adjustment batch: the previous adjustment of a batch of the same kind and instalment), and the totals "
    "per paying level of both; items in keyset pages by ID number.",
    response_model=VarianceOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def batch_variance(
    batch_id: uuid.UUID,
    session: SessionDep,
    principal: BatchReaderDep,
    after: Annotated[str | None, Query(max_length=18)] = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> VarianceOut:
    variance = await reads.variance(session, batch_id, principal, after, limit)
    previous, items = variance.previous, variance.items
    current = control_of(variance.batch).by_payer
    before = control_of(previous).by_payer if previous else PayerParts()
    return VarianceOut(
        batch_id=batch_id,
        previous_batch_id=previous.id if previous else None,
        counts=variance.counts,
        totals={
            "current": by_payer(current),
            "previous": by_payer(before),
            "difference": by_payer(current - before),
        },
        items=[
            VarianceItem(id_number=i[0], change=i[1], current_amount=i[2], previous_amount=i[3])
            for i in items
        ],
        next_after=items[-1][0] if len(items) == limit else None,
    )


@router.post(
    "/batches/{batch_id}/approve",
    summary="Approve a batch: the checker (复核)",
    description="Maker-checker: a person other than the preparer, with the finance role. Refused when the control "
    "totals no longer match the lines, or the assessment has a newer version.",
    response_model=BatchDetail,
    responses=problem_responses(401, 403, 404, 409, 503),
)
async def approve_batch(
    batch_id: uuid.UUID, body: ApproveIn, session: SessionDep, principal: FinanceDep, premium: PremiumDep
) -> BatchDetail:
    return batch_detail(await service.approve(session, premium, batch_id, principal))


@router.post(
    "/batches/{batch_id}/execute",
    summary="Execute an approved batch (拨付)",
    description="Reserves every transfer (pending), then posts them (`settle: ledger`) or leaves them for the "
    "bank's confirmations (`settle: bank`). Executing twice, or twice at once, moves the money once: the batch "
    "row is locked, its state changes compare-and-set, and its transfer ids derive from batch and line key. "
    "Executing a reserved batch resumes posting.",
    response_model=BatchDetail,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def execute_batch(
    batch_id: uuid.UUID, body: ExecuteIn, session: SessionDep, principal: FinanceDep
) -> BatchDetail:
    view = await service.execute(
        session, batch_id, principal, body.value_date or today_in_shanghai(), body.settle
    )
    return batch_detail(view)


@router.post(
    "/batches/{batch_id}/cancel",
    summary="Cancel a batch not yet executed (作废)",
    description="Only a prepared or approved batch is cancelled; its lines stay for the record.",
    response_model=BatchDetail,
    responses=problem_responses(401, 403, 404, 409),
)
async def cancel_batch(
    batch_id: uuid.UUID, body: CancelIn, session: SessionDep, principal: FinanceDep
) -> BatchDetail:
    return batch_detail(await service.cancel(session, batch_id, principal, body.reason))


@router.get(
    "/traces/{id_number}",
    operation_id="getResidentTrace",
    summary="Trace a resident's money: lines, clause, transfers (资金追溯)",
    description="S4: every batch line of the person, with the clause it cites and the ledger transfers that "
    "cover it (by batch, region, category and line range), so a movement is traced from person to entry. "
    "A `resident` token reads its own trace only — their payments (403 for anyone else's). The read is logged.",
    response_model=TraceOut,
    responses=problem_responses(401, 403, 422),
)
async def trace(
    id_number: ResidentIdNumber,
    session: SessionDep,
    principal: TraceReaderDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> TraceOut:
    number = str(id_number)
    found = await traces.trace(session, principal, number, year)
    return TraceOut(
        id_number=number,
        lines=[
            TraceLine(
                batch_id=t.batch.id,
                batch_kind=t.batch.kind,
                year=t.batch.year,
                line=BatchLineOut.model_validate(t.line),
                transfers=[planned_out(p) for p in t.transfers],
            )
            for t in found
        ],
    )
