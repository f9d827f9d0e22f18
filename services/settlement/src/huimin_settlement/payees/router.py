"""HTTP routes of payee accounts (B§四(四)): propose, approve or reject (maker-checker), read masked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from huimin_settlement.payees import service
from huimin_settlement.payees.schemas import DecisionIn, PayeeAccountOut, PayeeOut, PayeeProposalIn
from huimin_settlement.payees.service import account_out
from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.errors import problem_responses
from huimin_shared.idnumber import ResidentIdNumber

router = APIRouter(prefix="/v1", tags=["payees"])

# Community officers (their region), civil affairs and social insurance register a person's account.
ProposerDep = Annotated[
    Principal, Depends(require_roles(Role.community_officer, Role.civil_affairs, Role.social_insurance))
]
# Another officer of civil affairs or finance approves it.
ApproverDep = Annotated[Principal, Depends(require_roles(Role.civil_affairs, Role.finance))]
PayeeReaderDep = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.community_officer, Role.civil_affairs, Role.social_insurance, Role.finance, Role.auditor
        )
    ),
]
AccountIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post(
    "/payees/{id_number}/proposals",
    operation_id="proposePayee",
    summary="Propose a resident's payee account (收款账户变更申请)",
    description="A bank account or the social-security card's financial account to refund the person to. One "
    "officer proposes, another approves (maker-checker); until then the active account (if any) stays in use. "
    "The number is answered and logged masked (last four digits). 409 while another change waits.",
    response_model=PayeeAccountOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def propose_payee(
    id_number: ResidentIdNumber, body: PayeeProposalIn, session: SessionDep, principal: ProposerDep
) -> PayeeAccountOut:
    account = await service.propose(session, id_number, body, principal)
    return PayeeAccountOut.model_validate(account_out(account))


@router.post(
    "/payee-proposals/{account_id}/approve",
    operation_id="approvePayee",
    summary="Approve a proposed payee account (审核通过)",
    description="By another officer than the proposer (403 otherwise); the person's active account becomes "
    "superseded. Returned refunds are retried to the approved account.",
    response_model=PayeeAccountOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def approve_payee(
    account_id: AccountIdPath, body: DecisionIn, session: SessionDep, principal: ApproverDep
) -> PayeeAccountOut:
    account = await service.decide(session, account_id, True, body.reason, principal)
    return PayeeAccountOut.model_validate(account_out(account))


@router.post(
    "/payee-proposals/{account_id}/reject",
    operation_id="rejectPayee",
    summary="Reject a proposed payee account (退回)",
    description="By another officer than the proposer; the active account (if any) stays in use.",
    response_model=PayeeAccountOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def reject_payee(
    account_id: AccountIdPath, body: DecisionIn, session: SessionDep, principal: ApproverDep
) -> PayeeAccountOut:
    account = await service.decide(session, account_id, False, body.reason, principal)
    return PayeeAccountOut.model_validate(account_out(account))


@router.get(
    "/payees/{id_number}",
    operation_id="getPayee",
    summary="A resident's payee account and its audit trail (收款账户)",
    description="The active and any proposed account, masked, and every change with who made it and when.",
    response_model=PayeeOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_payee(id_number: ResidentIdNumber, session: SessionDep, principal: PayeeReaderDep) -> PayeeOut:
    return PayeeOut.model_validate(await service.person(session, id_number, principal))
