"""Keyset page parameters: every list route bounds its pages the same way (bulk paths never OFFSET)."""

import httpx
import pytest
from fastapi import FastAPI

from huimin_shared.paging import DEFAULT_LIMIT, MAX_LIMIT, AfterId, PageLimit

app = FastAPI()


@app.get("/items")
async def items(after: AfterId = None, limit: PageLimit = DEFAULT_LIMIT) -> dict[str, int | None]:
    return {"after": after, "limit": limit}


async def _get(query: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(f"/items{query}")


async def test_the_first_page_has_no_cursor_and_the_default_size() -> None:
    response = await _get("")
    assert response.json() == {"after": None, "limit": 1000}


async def test_a_cursor_and_a_size_within_bounds_are_taken_as_given() -> None:
    response = await _get(f"?after=41&limit={MAX_LIMIT}")
    assert response.json() == {"after": 41, "limit": 10000}


@pytest.mark.parametrize(
    "query", ["?limit=0", "?limit=10001", "?after=-1", "?after=abc", "?after=9223372036854775808"]
)
async def test_a_page_out_of_bounds_is_refused(query: str) -> None:
    """Never a million rows in one answer: 10000 is the most a page holds; cursors are non-negative ids
    that fit the 64-bit keys of the tables (2**63 would reach the database and fail there)."""
    response = await _get(query)
    assert response.status_code == 422


def test_the_parameters_are_documented() -> None:
    parameters = {p["name"]: p for p in app.openapi()["paths"]["/items"]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["maximum"] == 10000
    assert "next_after" in parameters["after"]["description"]
