"""Search (居民检索) and a household's members, on eligibility's search routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from huimin_portal.apis import Outcome, Service, attempt
from huimin_portal.session import SignedIn
from huimin_portal.web import ApisDep, render, require, today
from huimin_shared.auth import Role

router = APIRouter(include_in_schema=False)

Searcher = Annotated[SignedIn, Depends(require(Role.community_officer, Role.civil_affairs, Role.auditor))]
SEARCH_FIELDS = ("name", "name_prefix", "community", "household", "category", "region")
# Eligibility needs at least one of these (region only narrows).
CRITERIA = ("name", "name_prefix", "community", "household", "category")
PAGE_SIZE = 50


@router.get("/search")
async def search(
    request: Request, user: Searcher, apis: ApisDep, after: Annotated[int | None, Query(ge=0)] = None
) -> Response:
    criteria = {name: request.query_params.get(name, "").strip() for name in SEARCH_FIELDS}
    found: Outcome[Any] | None = None
    if any(criteria[name] for name in CRITERIA):
        found = await attempt(
            apis.get(Service.eligibility, "/v1/residents", **criteria, after=after, limit=PAGE_SIZE)
        )
    return render(request, "search.html", {"criteria": criteria, "found": found})


@router.get("/households/{household:path}")  # a household number may hold a slash
async def household(
    request: Request,
    household: str,
    user: Searcher,
    apis: ApisDep,
    region: str = "",
    on: Annotated[date | None, Query()] = None,
) -> Response:
    on = on or today()
    members = await attempt(
        apis.get(
            Service.eligibility,
            f"/v1/households/{quote(household, safe='')}",
            region=region,
            on=on.isoformat(),
        )
    )
    code = 404 if members.problem and members.problem.status == 404 else 200
    return render(request, "household.html", {"household": household, "members": members, "on": on}, code)
