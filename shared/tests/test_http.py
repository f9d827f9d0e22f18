"""Calls between services: timeouts, bounded retries on idempotent calls only, 503 naming the peer."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from huimin_shared.errors import DependencyUnavailable
from huimin_shared.http import PeerClient, PeerResponseError
from huimin_shared.logging import request_id_var


class EligibilityClient(PeerClient):
    service = "eligibility"


@pytest.fixture
async def client() -> EligibilityClient:
    return EligibilityClient(httpx.AsyncClient(), "http://eligibility.test", lambda: "tok", attempts=3)


@respx.mock
async def test_an_idempotent_call_is_retried_until_it_succeeds(client: EligibilityClient) -> None:
    route = respx.get("http://eligibility.test/v1/x").mock(
        side_effect=[httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(200, json={"ok": 1})]
    )
    assert await client.get_json("/v1/x") == {"ok": 1}
    assert route.call_count == 3


@respx.mock
async def test_a_post_without_an_idempotency_key_is_sent_once(client: EligibilityClient) -> None:
    route = respx.post("http://eligibility.test/v1/x").mock(return_value=httpx.Response(502))
    with pytest.raises(DependencyUnavailable) as raised:
        await client.post_json("/v1/x", {})
    assert route.call_count == 1
    assert raised.value.status == 503
    assert raised.value.service == "eligibility"


@respx.mock
async def test_retries_are_bounded_and_end_in_a_503_naming_the_peer(client: EligibilityClient) -> None:
    route = respx.get("http://eligibility.test/v1/x").mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(DependencyUnavailable, match="eligibility service is unavailable"):
        await client.get_json("/v1/x")
    assert route.call_count == 3


@respx.mock
async def test_a_peer_problem_is_passed_on_with_its_status(client: EligibilityClient) -> None:
    respx.get("http://eligibility.test/v1/x").mock(
        return_value=httpx.Response(404, json={"title": "Not found", "detail": "no such resident"})
    )
    with pytest.raises(PeerResponseError) as raised:
        await client.get_json("/v1/x")
    assert raised.value.status == 404
    assert "no such resident" in raised.value.detail


@respx.mock
async def test_the_request_id_and_service_token_travel_with_the_call(client: EligibilityClient) -> None:
    route = respx.get("http://eligibility.test/v1/x").mock(return_value=httpx.Response(200, json={}))
    token = request_id_var.set("req-42")
    try:
        await client.get_json("/v1/x")
    finally:
        request_id_var.reset(token)
    sent = route.calls.last.request
    assert sent.headers["X-Request-ID"] == "req-42"
    assert sent.headers["Authorization"] == "Bearer tok"


async def _body(*parts: bytes | Exception) -> AsyncIterator[bytes]:
    """A streamed answer arriving in ``parts``; an exception part breaks the connection there."""
    for part in parts:
        if isinstance(part, Exception):
            raise part
        yield part


async def _lines(
    client: EligibilityClient, path: str = "/v1/roster", *, into: list[bytes] | None = None, **kwargs: Any
) -> list[bytes]:
    """Every line of the stream, also appended to ``into`` as it comes (to see what came before a failure)."""
    lines = into if into is not None else []
    async for line in client.stream_ndjson(path, **kwargs):
        lines.append(line)
    return lines


@respx.mock
async def test_ndjson_lines_are_yielded_whole_across_chunk_boundaries(client: EligibilityClient) -> None:
    """Bulk paths stream: a line split over chunks comes out whole; blank lines are skipped; the last
    line may lack its newline."""
    route = respx.get("http://eligibility.test/v1/roster").mock(
        return_value=httpx.Response(200, content=_body(b'{"n": 1}\n{"n"', b": 2}\n\n", b'{"n": 3}'))
    )
    lines = await _lines(client, params={"year": "2010", "region": "210500"})
    assert lines == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
    sent = route.calls.last.request
    assert sent.headers["Accept"] == "application/x-ndjson"
    assert sent.headers["Authorization"] == "Bearer tok"
    assert sent.url.params["year"] == "2010"
    assert sent.url.params["region"] == "210500"


@respx.mock
async def test_opening_a_stream_is_retried_before_the_first_line(client: EligibilityClient) -> None:
    """Nothing has been yielded yet, so a 503, a 429 or a refused connection is safe to retry."""
    route = respx.get("http://eligibility.test/v1/roster").mock(
        side_effect=[
            httpx.Response(503),
            httpx.ConnectError("refused"),
            httpx.Response(200, content=b'{"n": 1}\n'),
        ]
    )
    assert await _lines(client) == [b'{"n": 1}']
    assert route.call_count == 3


@pytest.mark.parametrize("status", [500, 503, 429])
@respx.mock
async def test_a_stream_that_never_opens_is_a_503_naming_the_peer(
    client: EligibilityClient, status: int
) -> None:
    """5xx and 429 on every attempt: DependencyUnavailable naming eligibility, after the bounded retries."""
    route = respx.get("http://eligibility.test/v1/roster").mock(return_value=httpx.Response(status))
    with pytest.raises(
        DependencyUnavailable, match=f"eligibility service is unavailable.*answered {status}"
    ) as raised:
        await _lines(client)
    assert raised.value.service == "eligibility"
    assert route.call_count == 3


@respx.mock
async def test_a_refused_stream_is_a_503_naming_the_peer(client: EligibilityClient) -> None:
    respx.get("http://eligibility.test/v1/roster").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(DependencyUnavailable, match="could not connect: ConnectError") as raised:
        await _lines(client)
    assert raised.value.service == "eligibility"


@respx.mock
async def test_a_4xx_stream_is_the_peers_problem_and_is_not_retried(client: EligibilityClient) -> None:
    route = respx.get("http://eligibility.test/v1/roster").mock(
        return_value=httpx.Response(
            422, json={"title": "Request is not valid", "detail": "query.year: too small"}
        )
    )
    with pytest.raises(PeerResponseError) as raised:
        await _lines(client)
    assert raised.value.status == 422
    assert "query.year: too small" in raised.value.detail
    assert route.call_count == 1


@respx.mock
async def test_a_stream_broken_after_a_line_is_a_503_and_is_not_retried(client: EligibilityClient) -> None:
    """A retry after a line was yielded would hand the caller that line twice: fail instead, saying where."""
    route = respx.get("http://eligibility.test/v1/roster").mock(
        return_value=httpx.Response(200, content=_body(b'{"n": 1}\n{"n": 2}\n{"n"', httpx.ReadError("reset")))
    )
    seen: list[bytes] = []
    with pytest.raises(DependencyUnavailable, match="broke off after line 2: ReadError") as raised:
        await _lines(client, into=seen)
    assert seen == [b'{"n": 1}', b'{"n": 2}']
    assert raised.value.service == "eligibility"
    assert route.call_count == 1


@respx.mock
async def test_a_stream_timing_out_mid_way_is_a_503(client: EligibilityClient) -> None:
    respx.get("http://eligibility.test/v1/roster").mock(
        return_value=httpx.Response(200, content=_body(b'{"n": 1}\n', httpx.ReadTimeout("slow")))
    )
    with pytest.raises(DependencyUnavailable, match="timed out after line 1"):
        await _lines(client)


@respx.mock
async def test_a_byte_stream_passes_chunks_on_and_a_break_names_the_bytes_so_far(
    client: EligibilityClient,
) -> None:
    """``stream_bytes`` (what a COPY is fed from) yields the body as it arrives; a connection broken after
    some bytes is DependencyUnavailable saying how far it got (a retry would repeat them)."""
    respx.get("http://eligibility.test/v1/roster").mock(
        return_value=httpx.Response(200, content=_body(b'{"n": 1}\n{"n"', b": 2}\n"))
    )
    assert [chunk async for chunk in client.stream_bytes("/v1/roster")] == [b'{"n": 1}\n{"n"', b": 2}\n"]
    respx.get("http://eligibility.test/v1/broken").mock(
        return_value=httpx.Response(200, content=_body(b"12345", httpx.ReadError("reset")))
    )
    with pytest.raises(DependencyUnavailable, match="broke off after 5 bytes"):
        async for _chunk in client.stream_bytes("/v1/broken"):
            pass
