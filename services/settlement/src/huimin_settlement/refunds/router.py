"""HTTP routes of per-person refunds (B§四(四)): instructions, the bank file, confirmations, retries."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from huimin_settlement.deps import BatchReaderDep, FinanceDep
from huimin_settlement.ledger.schemas import ValueDate
from huimin_settlement.ledger.service import today_in_shanghai
from huimin_settlement.refunds import service
from huimin_settlement.refunds.schemas import (
    ConfirmedOut,
    InstructionOut,
    InstructionPage,
    InstructionsOut,
    RetryIn,
    WriteIn,
)
from huimin_shared.app import SessionDep
from huimin_shared.errors import PayloadTooLarge, problem_responses
from huimin_shared.guard import upload_route
from huimin_shared.paging import DEFAULT_LIMIT, PageLimit

router = APIRouter(prefix="/v1", tags=["refunds"])
MAX_FILE_BYTES = 50 * 1024 * 1024


@router.post(
    "/refunds/{batch_id}/instructions",
    operation_id="writeRefundInstructions",
    summary="Write one payment instruction per person of a refunds batch (逐人支付指令)",
    description="For an executed refunds batch (its money moved to the refund payee account): one instruction "
    "per person with a positive line, to their approved payee account, written in one statement. People "
    "without an approved account get `awaiting_account` and their money goes to the refund suspense account "
    "until the account is approved and the refund retried. Written once; calling again answers the counts.",
    response_model=InstructionsOut,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def write_instructions(
    batch_id: uuid.UUID, body: WriteIn, session: SessionDep, principal: FinanceDep
) -> InstructionsOut:
    result = await service.write(session, batch_id, body.value_date or today_in_shanghai(), principal)
    return InstructionsOut.model_validate(result)


@router.get(
    "/refunds/{batch_id}/instructions",
    operation_id="listRefundInstructions",
    summary="A refunds batch's per-person instructions, masked (逐人指令)",
    description="Every attempt, with its state; ID numbers and accounts masked. A region-limited token sees "
    "its region. Keyset pages by instruction id.",
    response_model=InstructionPage,
    responses=problem_responses(401, 403, 404, 422),
)
async def list_instructions(
    batch_id: uuid.UUID,
    session: SessionDep,
    principal: BatchReaderDep,
    state: Annotated[Literal["sent", "paid", "returned", "awaiting_account"] | None, Query()] = None,
    after: Annotated[uuid.UUID | None, Query(description="The `next_after` of the previous page.")] = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> InstructionPage:
    result = await service.page(session, batch_id, principal, state, after, limit)
    return InstructionPage(
        items=[InstructionOut.model_validate(i) for i in result["items"]], next_after=result["next_after"]
    )


@router.get(
    "/refunds/{batch_id}/bank-file",
    operation_id="getRefundBankFile",
    summary="The bank's file of per-person refund instructions (逐人支付文件)",
    description="One CSV row per instruction to pay now (`sent`): 指令编号, 批次编号, 次数, 收款人, 证件号码 "
    "(masked), 账户类型, 收款账号, 开户行, 金额(元), 币种, 区划代码, 用途. The account number is written in full "
    "here only — the bank cannot pay a masked one; finance only. Formula-safe; `encoding=utf-8` (BOM) or `gb18030`.",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The CSV file."},
        **problem_responses(401, 403, 404, 422),
    },
)
async def bank_file(
    batch_id: uuid.UUID,
    session: SessionDep,
    principal: FinanceDep,
    encoding: Annotated[Literal["utf-8", "gb18030"], Query()] = "utf-8",
) -> Response:
    name, body = await service.bank_file(session, batch_id, encoding, principal)
    return Response(
        body,
        media_type=f"text/csv; charset={encoding}",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/refunds/confirmations",
    operation_id="importRefundConfirmations",
    summary="Import the bank's per-person confirmations (逐人回单导入)",
    description="A CSV (UTF-8 or GB18030) with 指令编号, 结果 (成功/失败/退回), 银行流水号, 说明, one row per "
    "instruction: paid, or returned — a returned refund's money goes back into the refund suspense account "
    "(booked on `value_date`, default today) and waits for a corrected account. All rows or none; importing "
    "the same file again changes nothing.",
    response_model=ConfirmedOut,
    responses=problem_responses(401, 403, 409, 413, 422),
)
@upload_route
async def import_refund_confirmations(
    session: SessionDep,
    principal: FinanceDep,
    file: Annotated[UploadFile, File(description="The bank's CSV.")],
    value_date: Annotated[ValueDate, Query()] = None,
) -> ConfirmedOut:
    raw = await file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise PayloadTooLarge("a confirmation file is at most 50 MB")
    result = await service.confirm(session, raw, value_date or today_in_shanghai(), principal)
    return ConfirmedOut.model_validate(result)


@router.post(
    "/refunds/{batch_id}/retries",
    operation_id="retryRefunds",
    summary="Retry returned refunds to corrected accounts (重新支付)",
    description="For each person whose latest instruction was returned (and whose approved account is now "
    "another one) or awaited an account (and has one now): a new instruction, `sent`, and the money out of the "
    "suspense account again. Then download the bank file: it lists the new attempts.",
    response_model=InstructionsOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def retry_refunds(
    batch_id: uuid.UUID, body: RetryIn, session: SessionDep, principal: FinanceDep
) -> InstructionsOut:
    result = await service.retry(session, batch_id, body.value_date or today_in_shanghai(), principal)
    return InstructionsOut.model_validate(result)
