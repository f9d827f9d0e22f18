"""HTTP for quotes (保费测算)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from huimin_premium.deps import EligibilityDep
from huimin_premium.quotes import service
from huimin_premium.quotes.schemas import Quote, QuoteRequest
from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/quotes", tags=["quotes"])
Quoter = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.social_insurance,
            Role.civil_affairs,
            Role.community_officer,
            Role.finance,
            Role.auditor,
            Role.service,
        )
    ),
]


@router.post(
    "",
    summary="Quote a resident's premium and assistance subsidy for a cover year",
    description="保费测算: the financing standard (筹资标准), general government subsidy, individual "
    "contribution (个人缴费), assistance subsidy (资助参保), what the resident pays, the subsidy split by "
    "paying level (中央/省/市/区县) and the supplementary premium (大额医疗补充保险, never subsidised) — "
    "each with the rule, parameters and citation that produced it. Quote by ID number (the status is "
    "read from eligibility on the reference date, 1 January by default) or by explicit facts. Stores nothing. "
    "A token limited to a region gets 403 for facts outside it; for an ID number whose resident eligibility "
    "does not know or knows outside that region it gets the same 404, so the answer reveals neither. "
    "By ID number, premium reads eligibility on behalf of the caller (their token in `X-On-Behalf-Of`: "
    "eligibility applies their region and logs them as the reader) and logs the quote in its own read log.",
    response_model=Quote,
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def create_quote(
    body: QuoteRequest, session: SessionDep, eligibility: EligibilityDep, principal: Quoter
) -> Quote:
    return await service.quote(session, eligibility, body, principal)
