"""HTTP routes of the ledger: accounts, transfers (two-phase, idempotent), reversals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import JSONResponse

from huimin_settlement.deps import FinanceDep, IdempotencyKeyHeader, ReaderDep
from huimin_settlement.idempotency.service import run_idempotent
from huimin_settlement.ledger import reads, rules, service
from huimin_settlement.ledger.models import Account, Balance, Transfer
from huimin_settlement.ledger.schemas import (
    INT64_MAX,
    AccountDetail,
    AccountList,
    AccountOut,
    BalanceOut,
    ChartIn,
    EntryOut,
    EntryPage,
    EventOut,
    ExpiredOut,
    ReverseIn,
    TransferDetail,
    TransferIn,
    TransferOut,
    TransferPage,
    TransfersIn,
    TransfersOut,
    VoidIn,
)
from huimin_settlement.ledger.service import NewTransfer, today_in_shanghai
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses
from huimin_shared.paging import DEFAULT_LIMIT, AfterId, PageLimit

AccountIdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="The account id.")]

router = APIRouter(prefix="/v1", tags=["ledger"])


def account_out(account: Account, balance: Balance) -> AccountOut:
    return AccountOut(
        id=account.id,
        city_code=account.city_code,
        code=account.code,
        type=rules.AccountType(account.type),
        department=account.department,
        area_code=account.area_code,
        name=account.name,
        currency=account.currency,
        guarded=account.guarded,
        balance=balance_out(balance),
    )


def balance_out(balance: Balance) -> BalanceOut:
    return BalanceOut(
        posted=balance.posted,
        pending_debits=balance.pending_debits,
        pending_credits=balance.pending_credits,
        available=rules.available(balance.posted, balance.pending_debits),
    )


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    return TransferOut.model_validate(transfer).model_dump(mode="json")


@router.post(
    "/ledger/charts",
    summary="Open a city's chart of accounts (开设账户)",
    description="Creates the accounts a city's ledger needs (S1, S2): central, province, city and each "
    "district/county finance (财政), civil affairs per district/county (民政), the 城市医疗救助基金专账 "
    "(`medical_assistance_fund`), the 城镇居民基本医疗保险基金专账 (`resident_insurance_fund`) and the external "
    "payee account for refunds (返还). Accounts that exist are left untouched, so it is safe to repeat.",
    response_model=AccountList,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422),
)
async def open_chart(body: ChartIn, session: SessionDep, principal: FinanceDep) -> AccountList:
    principal.ensure_covers(body.city)
    districts = body.districts if body.districts is not None else list(rules.known_districts(body.city))
    rows = await service.open_chart(session, body.city, districts)
    return AccountList(items=[account_out(a, b) for a, b in rows])


@router.get(
    "/accounts",
    summary="List accounts with balances (账户余额)",
    description="Accounts of a city's ledger with posted, pending and available balances.",
    response_model=AccountList,
    responses=problem_responses(401, 403, 422),
)
async def list_accounts(
    session: SessionDep,
    principal: ReaderDep,
    city: Annotated[
        str | None, Query(pattern=r"^[1-9]\d{3}00$", description="City code, e.g. 210500.")
    ] = None,
) -> AccountList:
    rows = await reads.accounts(session, principal, city)
    return AccountList(items=[account_out(a, b) for a, b in rows])


@router.get(
    "/accounts/{account_id}",
    summary="One account, its balance and the balance rebuilt from its entries (账户)",
    description="`entries_total` is the sum of the account's entries: it always equals `balance.posted`.",
    response_model=AccountDetail,
    responses=problem_responses(401, 403, 404),
)
async def get_account(account_id: AccountIdPath, session: SessionDep, principal: ReaderDep) -> AccountDetail:
    view = await reads.account(session, account_id, principal)
    # dict(), not model_dump(): amounts stay Decimal, so a stored balance beyond an input amount still reads
    return AccountDetail(**dict(account_out(view.account, view.balance)), entries_total=view.entries_total)


@router.get(
    "/accounts/{account_id}/entries",
    summary="An account's entries, oldest first (分户账)",
    description="Append-only entries (记账分录), keyset pages: pass `next_after` back as `after`.",
    response_model=EntryPage,
    responses=problem_responses(401, 403, 404, 422),
)
async def account_entries(
    account_id: AccountIdPath,
    session: SessionDep,
    principal: ReaderDep,
    after: AfterId = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> EntryPage:
    entries = await reads.entries(session, account_id, principal, after, limit)
    items = [
        EntryOut(
            id=e.id,
            transfer_id=e.transfer_id,
            account_id=e.account_id,
            amount=e.amount,
            created_at=e.created_at,
        )
        for e in entries
    ]
    return EntryPage(items=items, next_after=items[-1].id if len(items) == limit else None)


def _new_transfer(item: TransferIn) -> NewTransfer:
    timeout_at = None
    if item.pending and item.timeout_seconds is not None:
        timeout_at = datetime.now(UTC) + timedelta(seconds=item.timeout_seconds)
    return NewTransfer(
        id=item.id or uuid.uuid4(),
        debit_account_id=item.debit_account_id,
        credit_account_id=item.credit_account_id,
        amount=item.amount,
        code=item.code.value,
        value_date=item.value_date or today_in_shanghai(),
        pending=item.pending,
        timeout_at=timeout_at,
        citation=item.citation or rules.CITATIONS.get(item.code),
        memo=item.memo,
        cover_year=item.cover_year,
        region_code=item.region_code,
        category=item.category,
        payer_level=item.payer_level.value if item.payer_level else None,
        corrects_transfer_id=item.corrects_transfer_id,
    )


@router.post(
    "/transfers",
    summary="Create transfers, posted or pending (转账)",
    description="Moves a positive amount from the debit account to the credit account and writes two entries; "
    "with `pending: true` the amount is only reserved (it counts against the available balance) until posted or "
    "voided, or voided at its deadline. All transfers of one request succeed or fail together. Requires an "
    "`Idempotency-Key` header: the same key and body replays the first answer (header `Idempotent-Replayed: "
    "true`), refusals included; the same key with another body, or while the first is in flight, is a 409.",
    response_model=TransfersOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_transfers(
    body: TransfersIn,
    request: Request,
    session: SessionDep,
    principal: FinanceDep,
    idempotency_key: IdempotencyKeyHeader,
) -> JSONResponse:
    async def effect() -> tuple[int, Any]:
        created = await service.create_transfers(
            session, [_new_transfer(item) for item in body.transfers], principal.subject, principal
        )
        return 201, {"transfers": [transfer_json(t) for t in created]}

    return await run_idempotent(
        session, request, principal, idempotency_key, body.model_dump(mode="json"), effect
    )


@router.get(
    "/transfers",
    summary="List transfers (转账记录)",
    description="Keyset pages by id; filter by city, batch or state.",
    response_model=TransferPage,
    responses=problem_responses(401, 403, 422),
)
async def list_transfers(
    session: SessionDep,
    principal: ReaderDep,
    city: Annotated[str | None, Query(pattern=r"^[1-9]\d{3}00$")] = None,
    batch_id: uuid.UUID | None = None,
    state: Annotated[str | None, Query(pattern="^(pending|posted|voided)$")] = None,
    after: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TransferPage:
    found = await reads.transfers(session, principal, city, batch_id, state, after, limit)
    items = [TransferOut.model_validate(t) for t in found]
    return TransferPage(items=items, next_after=items[-1].id if len(items) == limit else None)


@router.get(
    "/transfers/{transfer_id}",
    summary="One transfer with its entries and state history (转账明细)",
    description="The transfer, its two entries once posted, and each state change with who made it.",
    response_model=TransferDetail,
    responses=problem_responses(401, 403, 404),
)
async def get_transfer(transfer_id: uuid.UUID, session: SessionDep, principal: ReaderDep) -> TransferDetail:
    view = await reads.transfer(session, transfer_id, principal)
    return TransferDetail(
        **TransferOut.model_validate(view.transfer).model_dump(),
        entries=[
            EntryOut(
                id=e.id,
                transfer_id=e.transfer_id,
                account_id=e.account_id,
                amount=e.amount,
                created_at=e.created_at,
            )
            for e in view.entries
        ],
        history=[EventOut.model_validate(e) for e in view.history],
    )


@router.post(
    "/transfers/{transfer_id}/post",
    summary="Post a pending transfer (确认入账)",
    description="Compare-and-set pending → posted: writes the two entries and releases the reservation. A "
    "transfer past its pending deadline is voided instead (409). Requires an `Idempotency-Key`.",
    response_model=TransferOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def post_transfer(
    transfer_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: FinanceDep,
    idempotency_key: IdempotencyKeyHeader,
) -> JSONResponse:
    async def effect() -> tuple[int, Any]:
        return 200, transfer_json(await service.post_one(session, transfer_id, principal))

    return await run_idempotent(session, request, principal, idempotency_key, {}, effect)


@router.post(
    "/transfers/{transfer_id}/void",
    summary="Void a pending transfer (撤销预留)",
    description="Compare-and-set pending → voided: the reservation is released, no entries are written. "
    "Requires an `Idempotency-Key`.",
    response_model=TransferOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def void_transfer(
    transfer_id: uuid.UUID,
    body: VoidIn,
    request: Request,
    session: SessionDep,
    principal: FinanceDep,
    idempotency_key: IdempotencyKeyHeader,
) -> JSONResponse:
    async def effect() -> tuple[int, Any]:
        return 200, transfer_json(await service.void_one(session, transfer_id, principal, body.reason))

    return await run_idempotent(
        session, request, principal, idempotency_key, body.model_dump(mode="json"), effect
    )


@router.post(
    "/transfers/{transfer_id}/reverse",
    summary="Reverse a posted transfer (冲正)",
    description="Entries are never changed: a mistake is undone by a reversing transfer in the open period that "
    "points to the original (`reverses_transfer_id`). A transfer is reversed at most once. Requires an "
    "`Idempotency-Key`.",
    response_model=TransferOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def reverse_transfer(
    transfer_id: uuid.UUID,
    body: ReverseIn,
    request: Request,
    session: SessionDep,
    principal: FinanceDep,
    idempotency_key: IdempotencyKeyHeader,
) -> JSONResponse:
    async def effect() -> tuple[int, Any]:
        reversal = await service.reverse(
            session, transfer_id, principal, body.value_date or today_in_shanghai(), body.memo
        )
        return 201, transfer_json(reversal)

    return await run_idempotent(
        session, request, principal, idempotency_key, body.model_dump(mode="json"), effect
    )


@router.post(
    "/transfers/expire-pending",
    operation_id="expirePendingTransfers",
    summary="Void pending transfers past their deadline (超时撤销)",
    description="Voids up to 1000 pending transfers whose deadline has passed (the service also does this in "
    "the background). A token limited to a region voids only transfers of the ledgers it covers. Safe to repeat.",
    response_model=ExpiredOut,
    responses=problem_responses(401, 403),
)
async def expire_pending(session: SessionDep, principal: FinanceDep) -> ExpiredOut:
    return ExpiredOut(
        voided=await service.expire_pending(session, principal.subject, region=principal.region)
    )
