"""The request guard (issue 11): token before body, body limits while streaming, values PostgreSQL cannot
take refused as 422 problems, the database down as 503, region-limited roles fail closed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel
from sqlalchemy import text

from huimin_shared.app import SessionDep, build_app
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.guard import body_limit, upload_route
from huimin_shared.settings import SharedSettings
from huimin_shared.testing import api_client, bearer, server_url

router = APIRouter(prefix="/v1")
Finance = Annotated[Principal, Depends(require_roles(Role.finance, Role.community_officer))]
LIMIT = 64 * 1024


class Note(BaseModel):
    memo: str
    count: int = 0


@router.post("/notes")
async def add_note(body: Note, _: Finance) -> dict[str, str]:
    return {"memo": body.memo}


@router.post("/big-notes")
@body_limit(4 * LIMIT)
async def add_big_note(body: Note, _: Finance) -> dict[str, int]:
    return {"length": len(body.memo)}


@router.get("/notes/{note_id}")
async def get_note(note_id: int, _: Finance, after: str | None = None) -> dict[str, int]:
    return {"note_id": note_id}


@router.post("/files")
@upload_route
async def upload(file: Annotated[UploadFile, File()], _: Finance) -> dict[str, int]:
    size = 0
    while chunk := await file.read(65536):
        size += len(chunk)
    return {"size": size}


@router.get("/database")
async def touch_database(session: SessionDep, _: Finance) -> dict[str, int]:
    return {"one": int(await session.scalar(text("SELECT 1")) or 0)}


class _Settings(SharedSettings):
    service_name = "guarded"


def _app(database_url: str | None = None) -> Any:
    settings = _Settings(
        database_url=database_url or server_url(),
        environment="test",
        max_body_bytes=LIMIT,
        max_upload_bytes=4 * LIMIT,
    )
    return build_app(settings, title="t", description="t", version="0", migrations=None, routers=[router])


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(_app()) as client:
        yield client


FINANCE = bearer(Role.finance)


class _Recorder:
    """Calls the ASGI app directly with a body of ``chunks`` chunks, counting how many it reads."""

    def __init__(self, chunk: bytes, chunks: int) -> None:
        self.chunk, self.left, self.read = chunk, chunks, 0
        self.status = 0
        self.body = b""

    async def receive(self) -> dict[str, Any]:
        if self.left == 0:
            return {"type": "http.disconnect"}
        self.left -= 1
        self.read += 1
        return {"type": "http.request", "body": self.chunk, "more_body": self.left > 0}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


async def _raw_post(path: str, headers: dict[str, str], recorder: _Recorder) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    await _app()(scope, recorder.receive, recorder.send)


async def test_a_body_without_a_token_is_refused_before_a_byte_is_read() -> None:
    """A 200 MB body with no token used to be parsed whole before the 401."""
    recorder = _Recorder(b"x" * 65536, 3200)  # 200 MiB if it were all read
    await _raw_post(
        "/v1/notes", {"content-type": "application/json", "transfer-encoding": "chunked"}, recorder
    )
    assert recorder.status == 401
    assert recorder.read == 0
    assert json.loads(recorder.body)["type"].endswith("/unauthenticated")


async def test_a_body_with_a_bad_token_is_refused_before_it_is_read() -> None:
    recorder = _Recorder(b"x" * 65536, 3200)
    headers = {
        "content-type": "application/json",
        "transfer-encoding": "chunked",
        "authorization": "Bearer x.y.z",
    }
    await _raw_post("/v1/notes", headers, recorder)
    assert (recorder.status, recorder.read) == (401, 0)


async def test_an_oversized_body_with_a_token_stops_being_read_at_the_limit() -> None:
    """Enforced while streaming (no Content-Length): 413 once the limit is passed, the rest never read."""
    recorder = _Recorder(b"x" * 16384, 3200)
    headers = {"content-type": "application/json", "transfer-encoding": "chunked", **FINANCE}
    await _raw_post("/v1/notes", headers, recorder)
    assert recorder.status == 413
    assert recorder.read == LIMIT // 16384 + 1
    assert json.loads(recorder.body)["type"].endswith("/payload-too-large")


async def test_a_declared_oversized_body_is_refused_from_its_content_length(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/notes",
        content=b"{" + b" " * LIMIT + b"}",
        headers={**FINANCE, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_uploads_take_the_larger_limit_and_are_refused_beyond_it(client: httpx.AsyncClient) -> None:
    fits = await client.post("/v1/files", files={"file": ("a.csv", b"a" * (3 * LIMIT))}, headers=FINANCE)
    assert fits.json() == {"size": 3 * LIMIT}
    too_big = await client.post("/v1/files", files={"file": ("a.csv", b"a" * (4 * LIMIT))}, headers=FINANCE)
    assert too_big.status_code == 413


async def test_a_route_may_take_a_larger_json_body_of_its_own(client: httpx.AsyncClient) -> None:
    memo = "x" * (3 * LIMIT)
    assert (await client.post("/v1/big-notes", json={"memo": memo}, headers=FINANCE)).json() == {
        "length": 3 * LIMIT
    }
    assert (await client.post("/v1/notes", json={"memo": memo}, headers=FINANCE)).status_code == 413
    too_big = await client.post("/v1/big-notes", json={"memo": memo + memo}, headers=FINANCE)
    assert too_big.status_code == 413


async def test_a_json_body_under_the_limit_reaches_the_route(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/notes", json={"memo": "备注 ok 😀"}, headers=FINANCE)
    assert (response.status_code, response.json()) == (200, {"memo": "备注 ok 😀"})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"memo": "a\\u0000b"}', "body.memo"),
        ('{"memo": "\\ud800"}', "body.memo"),
        ('{"memo": "x", "count": 18446744073709551616}', "body.count"),
        ('{"memo": "x", "count": 1e20}', "body.count"),
        ('{"memo": "\xff\xfe\x0b"}', "body"),
    ],
)
async def test_json_values_postgresql_cannot_store_are_422_naming_the_field(
    client: httpx.AsyncClient, body: str, field: str
) -> None:
    response = await client.post(
        "/v1/notes", content=body.encode("latin-1"), headers={**FINANCE, "content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert [problem["field"] for problem in response.json()["errors"]] == [field]


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/notes",
        content=b'{"memo": "C:\\\\u0000"}',
        headers={**FINANCE, "content-type": "application/json"},
    )
    assert response.json() == {"memo": "C:\\u0000"}


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/notes/18446744073709551616", "path.note_id"),
        ("/v1/notes/-9223372036854775809", "path.note_id"),
        ("/v1/notes/1?after=a%00b", "query.after"),
        ("/v1/notes/1?after=99999999999999999999", "query.after"),
        ("/v1/notes/a%00", "path.note_id"),
    ],
)
async def test_nul_and_integers_beyond_64_bits_in_path_and_query_are_422(
    client: httpx.AsyncClient, url: str, field: str
) -> None:
    response = await client.get(url, headers=FINANCE)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_the_largest_64_bit_integer_still_passes(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/notes/9223372036854775807", headers=FINANCE)
    assert response.json() == {"note_id": 2**63 - 1}


async def test_database_down_is_503_naming_the_database_with_retry_after() -> None:
    """Issue 11: a closed port (nothing listens on 127.0.0.1:1) is the database down, not a bug."""
    app = _app("postgresql://postgres@127.0.0.1:1/nothing")
    async with api_client(app) as client:
        response = await client.get("/v1/database", headers=FINANCE)
    assert response.status_code == 503, response.text
    problem = response.json()
    assert problem["service"] == "database"
    assert "guarded database" in problem["detail"]
    assert int(response.headers["retry-after"]) > 0


async def test_a_region_limited_role_without_a_region_is_forbidden(client: httpx.AsyncClient) -> None:
    """Fail closed: a community officer token with no region claim is not read as city-wide."""
    no_region = await client.get("/v1/notes/1", headers=bearer(Role.community_officer))
    assert no_region.status_code == 403
    assert "no region claim" in no_region.json()["detail"]
    with_region = await client.get("/v1/notes/1", headers=bearer(Role.community_officer, region="210502"))
    assert with_region.status_code == 200
    both = await client.get("/v1/notes/1", headers=bearer(Role.community_officer, Role.finance))
    assert both.status_code == 200  # acting as finance, which is city-wide
