"""HTTP routes of the bank side."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from huimin_settlement.bank import service
from huimin_settlement.deps import FinanceDep
from huimin_shared.app import SessionDep
from huimin_shared.errors import PayloadTooLarge, problem_responses
from huimin_shared.guard import upload_route

router = APIRouter(prefix="/v1", tags=["bank"])
MAX_FILE_BYTES = 10 * 1024 * 1024


class ConfirmationRow(BaseModel):
    row: int
    transfer_id: uuid.UUID
    bank_reference: str
    outcome: Literal["posted", "voided", "unchanged"]
    state: str


class ConfirmationResult(BaseModel):
    rows: list[ConfirmationRow]
    posted: int
    voided: int
    unchanged: int


@router.get(
    "/batches/{batch_id}/payment-instructions",
    summary="Payment instruction file of a batch (银行支付指令)",
    description="One CSV row per transfer of the batch, with Chinese headers (指令编号, 批次编号, 付款账户, 付款户名, "
    "收款账户, 收款户名, 金额(元), 币种, 区划代码, 资助类别, 出资层级, 用途, 状态). `encoding=utf-8` (with BOM) or "
    "`gb18030` for GBK tools. The 指令编号 is the transfer id the bank confirms.",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The CSV file."},
        **problem_responses(401, 403, 404, 422),
    },
)
async def payment_instructions(
    batch_id: uuid.UUID,
    session: SessionDep,
    principal: FinanceDep,
    encoding: Annotated[Literal["utf-8", "gb18030"], Query()] = "utf-8",
) -> Response:
    name, body = await service.instructions(session, batch_id, principal, encoding)
    return Response(
        body,
        media_type=f"text/csv; charset={encoding}",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/bank/confirmations",
    summary="Import the bank's confirmations (银行回单导入)",
    description="A CSV (UTF-8 or GB18030) with columns 指令编号, 结果 (成功/失败), 银行流水号, 说明: posts the pending "
    "transfers the bank paid and voids those it refused; a batch whose transfers are all resolved becomes executed. "
    "All rows or none; re-importing the same file changes nothing.",
    response_model=ConfirmationResult,
    responses=problem_responses(401, 403, 409, 413, 422),
)
@upload_route
async def import_confirmations(
    session: SessionDep,
    principal: FinanceDep,
    file: Annotated[UploadFile, File(description="The bank's CSV.")],
) -> ConfirmationResult:
    raw = await file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise PayloadTooLarge("a confirmation file is at most 10 MB")
    result = await service.confirm(session, raw, principal)
    return ConfirmationResult.model_validate(result)
