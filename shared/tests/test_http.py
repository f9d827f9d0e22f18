"""Calls between services: timeouts, bounded retries on idempotent calls only, 503 naming the peer."""

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
