"""Errors are RFC 9457 problems naming the field and reason; logs never show an ID number."""

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel

from huimin_shared.app import build_app
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.errors import PROBLEM_MEDIA_TYPE, PayloadTooLarge, problem_responses
from huimin_shared.idnumber import ResidentIdNumber
from huimin_shared.money import Money
from huimin_shared.settings import SharedSettings
from huimin_shared.testing import api_client, bearer, server_url

router = APIRouter(prefix="/v1")
ID_NUMBER = "210502198001011234"


class Payment(BaseModel):
    id_number: ResidentIdNumber
    amount: Money


@router.post("/payments")
async def pay(body: Payment, _: Principal = Depends(require_roles(Role.finance))) -> dict[str, str]:
    return {"id_number": body.id_number, "amount": str(body.amount)}


@router.get("/residents/{id_number}/boom")
async def boom(id_number: str, _: Principal = Depends(require_roles(Role.finance))) -> None:
    raise RuntimeError(f"unexpected failure for {id_number}")


class _Settings(SharedSettings):
    pass


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = _Settings(database_url=server_url(), environment="test")
    app = build_app(settings, title="t", description="t", version="0", migrations=None, routers=[router])
    async with api_client(app) as client:
        yield client


async def test_validation_errors_list_each_field_and_reason(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/payments",
        json={"id_number": "210502198001011235", "amount": "1.001"},
        headers=bearer(Role.finance),
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert "check character" in errors["body.id_number"]
    assert "more than two decimal places" in errors["body.amount"]
    assert ID_NUMBER[:14] not in response.text  # even a refused number is masked when echoed


async def test_an_unexpected_error_is_a_500_problem_without_a_traceback(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/residents/{ID_NUMBER}/boom", headers=bearer(Role.finance))
    assert response.status_code == 500
    body = response.json()
    assert body["type"].endswith("/internal-error")
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]


async def test_log_lines_mask_resident_id_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    settings = _Settings(database_url=server_url(), environment="test")
    app = build_app(settings, title="t", description="t", version="0", migrations=None, routers=[router])
    async with api_client(app) as client:
        logging.getLogger("huimin.test").warning("looked up %s", ID_NUMBER)
        await client.get(f"/v1/residents/{ID_NUMBER}/boom", headers=bearer(Role.finance, subject="x"))
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines, "expected JSON log lines"
    assert ID_NUMBER not in err
    assert "210502********1234" in err
    assert any(line.get("path") == "/v1/residents/210502********1234/boom" for line in lines)


async def test_a_request_id_is_taken_from_the_caller_and_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"


def test_a_413_is_documented_as_a_problem_like_the_others() -> None:
    """A route refusing a large upload (PayloadTooLarge) documents its 413 the same way as its 4xx peers."""
    documented = problem_responses(413, 422)
    assert set(documented) == {413, 422}
    assert "larger than this route accepts" in documented[413]["description"]
    assert documented[413]["content"] == documented[422]["content"]
    assert documented[413]["content"] == {
        PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    problem = PayloadTooLarge("a confirmation file is at most 10 MB").to_problem()
    assert problem["status"] == 413
    assert problem["type"].endswith("/payload-too-large")
