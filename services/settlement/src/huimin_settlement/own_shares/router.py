"""HTTP routes of own shares (S3, B§四(二)): payments in (JSON, NDJSON or a file), carry batches, who waits."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status

from huimin_settlement.deps import MakerDep
from huimin_settlement.ledger.service import today_in_shanghai
from huimin_settlement.own_shares import service
from huimin_settlement.own_shares.schemas import (
    EXAMPLE,
    CarryIn,
    CarryOut,
    OwnSharePaymentIn,
    RecordedOut,
    WaitingItem,
    WaitingOut,
)
from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.errors import FieldProblem, PayloadTooLarge, ValidationFailed, problem_responses
from huimin_shared.guard import body_limit, upload_route
from huimin_shared.paging import DEFAULT_LIMIT, PageLimit

router = APIRouter(prefix="/v1", tags=["own-shares"])
NDJSON = "application/x-ndjson"
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PAYMENTS = 10_000

# The social-insurance system (社保局) records what people paid; another service may relay it.
RecorderDep = Annotated[Principal, Depends(require_roles(Role.social_insurance, Role.service))]
WaitingReaderDep = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.civil_affairs, Role.social_insurance, Role.finance, Role.auditor, Role.community_officer
        )
    ),
]

_ITEM_SCHEMA = OwnSharePaymentIn.model_json_schema()
# NDJSON is accepted too (described, not declared: generated clients do not take an NDJSON body).
_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "payments": {
                        "type": "array",
                        "items": _ITEM_SCHEMA,
                        "minItems": 1,
                        "maxItems": MAX_PAYMENTS,
                    }
                },
                "required": ["payments"],
                "additionalProperties": False,
            },
            "example": {"payments": [EXAMPLE]},
        },
    },
}


def _bad_body(reason: str, field: str = "body") -> ValidationFailed:
    return ValidationFailed(f"{field}: {reason}", errors=[FieldProblem(field=field, reason=reason)])


def _items(raw: bytes, content_type: str) -> list[tuple[str, Any]]:
    """(where, object) per payment of a JSON body {"payments": [...]} or an NDJSON body (one per line)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_body("not UTF-8 text") from exc
    if content_type.startswith(NDJSON):
        items: list[tuple[str, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((f"body.line{number}", json.loads(line)))
            except ValueError as exc:
                raise _bad_body("not a JSON object", f"body.line{number}") from exc
        if not items:
            raise _bad_body("no payments")
        if len(items) > MAX_PAYMENTS:
            raise _bad_body(f"at most {MAX_PAYMENTS} payments a request")
        return items
    if not content_type.startswith("application/json"):
        raise _bad_body(f"send application/json or {NDJSON}")
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise _bad_body("not JSON") from exc
    if not isinstance(body, dict) or set(body) != {"payments"} or not isinstance(body["payments"], list):
        raise _bad_body('an object {"payments": [...]}')
    payments = body["payments"]
    if not 1 <= len(payments) <= MAX_PAYMENTS:
        raise _bad_body(f"1 to {MAX_PAYMENTS} payments", "body.payments")
    return [(f"body.payments.{i}", item) for i, item in enumerate(payments)]


@router.post(
    "/own-share-payments",
    operation_id="recordOwnSharePayments",
    summary="Record own-share payments from the social-insurance system (个人缴费记录)",
    description="What residents paid of their own share, as the social-insurance system recorded it: a JSON "
    '`{"payments": [...]}` or NDJSON (one payment a line, `Content-Type: application/x-ndjson`). Idempotent by '
    "natural key (person, cover year, amount, paid date): a payment sent again is counted as a duplicate, not "
    "stored twice. All or none: one bad field refuses the request, naming it. A marginal instalment pays only "
    "people with a payment for the cover year on or before its date (S3, B§四(二)).",
    response_model=RecordedOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": _BODY},
    responses=problem_responses(401, 403, 413, 422),
)
@body_limit(4 * 1024 * 1024)  # 10,000 payments of ~150 bytes
async def record_payments(request: Request, session: SessionDep, principal: RecorderDep) -> RecordedOut:
    items = _items(await request.body(), request.headers.get("content-type", ""))
    return RecordedOut.model_validate(await service.record_items(session, items, principal))


@router.post(
    "/own-share-payments/imports",
    operation_id="importOwnSharePayments",
    summary="Import a file of own-share payments (个人缴费记录导入)",
    description="CSV (UTF-8 or GB18030) or XLSX with columns 身份证号, 区划代码, 缴费年度, 缴费金额, 缴费日期 and "
    "optionally 缴费流水号 (English names id_number, region_code, cover_year, amount, paid_on, reference also "
    "read). Cells are read as text, never as formulas; workbooks are checked for zip bombs first. Same "
    "natural-key idempotency and all-or-none rule as the JSON route; problems name `file.row<n>.<field>`.",
    response_model=RecordedOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 413, 422),
)
@upload_route
async def import_payments(
    session: SessionDep,
    principal: RecorderDep,
    file: Annotated[UploadFile, File(description="The social-insurance system's CSV or XLSX.")],
) -> RecordedOut:
    raw = await file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise PayloadTooLarge("an own-share file is at most 50 MB")
    return RecordedOut.model_validate(await service.import_file(session, raw, principal))


@router.post(
    "/own-shares/carry-batches",
    operation_id="carryWithheld",
    summary="Carry people who have since paid to a later batch of the instalment (补发)",
    description="Prepares a batch of the same marginal instalment, assessment version and amounts, paying the "
    "people the regular batch left out (own share not paid by its date) whose payment is now recorded by "
    "`paid_by`. Approve and execute it like any batch (maker-checker). 409 with `nothing_to_carry` when nobody "
    "has paid since. Given an adjustment batch of a marginal instalment, it carries the changes withheld from "
    "it, of people whose instalment line has since been carried.",
    response_model=CarryOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def carry(body: CarryIn, session: SessionDep, principal: MakerDep) -> CarryOut:
    result = await service.carry(session, body.batch_id, body.paid_by or today_in_shanghai(), principal)
    return CarryOut.model_validate(result)


@router.get(
    "/own-shares/waiting",
    operation_id="listWaiting",
    summary="Marginal people waiting for their instalment until they pay (待缴费暂缓拨付名单)",
    description="Every marginal instalment line left out of its batch and not carried yet: who (ID number "
    "masked), where, how much, since when (the instalment's due date) and how many days by `on`, and whether a "
    "payment has arrived since. A region-limited token sees its region only. Keyset pages.",
    response_model=WaitingOut,
    responses=problem_responses(401, 403, 422),
)
async def waiting(
    session: SessionDep,
    principal: WaitingReaderDep,
    city: Annotated[str, Query(pattern=r"^[1-9]\d{3}00$")],
    year: Annotated[int, Query(ge=2000, le=2100)],
    region: Annotated[
        str | None, Query(pattern=r"^[1-9]\d{5}$", description="A district or county of the city.")
    ] = None,
    instalment: Annotated[int | None, Query(ge=1, le=2)] = None,
    on: Annotated[date | None, Query(description="Count days waiting up to this day; default today.")] = None,
    after: Annotated[
        str | None, Query(max_length=60, description="The `next_after` of the previous page.")
    ] = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> WaitingOut:
    result = await service.waiting(
        session, principal, city, year, on or today_in_shanghai(), region, instalment, after, limit
    )
    return WaitingOut(**{**result, "items": [WaitingItem.model_validate(i) for i in result["items"]]})
