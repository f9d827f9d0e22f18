"""Helpers for assessment tests: mock the roster with respx and wait for a run to finish."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import respx

from huimin_shared.auth import Role
from huimin_shared.readiness import ready_timeout_seconds
from huimin_shared.testing import bearer

from .roster import ndjson

SOCIAL = bearer(Role.social_insurance)
ROSTER_URL = "http://127.0.0.1:8001/v1/roster"


def mock_roster(router: respx.Router, by_as_of: dict[str, Iterable[dict[str, Any]]]) -> respx.Route:
    """The roster as eligibility knew it at each `as_of`, in ID-number order from after `after` (the rows are
    serialised once when no `after` is asked); also its ID-list form, POST /v1/roster/selection, answering
    the rows of the numbers named."""
    ordered = {
        datetime.fromisoformat(as_of): sorted(rows, key=lambda row: row["id_number"])
        for as_of, rows in by_as_of.items()
    }
    rows_at = ordered
    bodies = {as_of: ndjson(rows) for as_of, rows in ordered.items()}

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["accept"] == "application/x-ndjson"
        as_of = datetime.fromisoformat(request.url.params["as_of"])
        after = request.url.params.get("after", "")
        body = ndjson([row for row in ordered[as_of] if row["id_number"] > after]) if after else bodies[as_of]
        return httpx.Response(200, content=body, headers={"content-type": "application/x-ndjson"})

    def selection(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        named = set(body["id_numbers"])
        rows = [row for row in rows_at[datetime.fromisoformat(body["as_of"])] if row["id_number"] in named]
        return httpx.Response(200, content=ndjson(rows), headers={"content-type": "application/x-ndjson"})

    router.post(ROSTER_URL + "/selection").mock(side_effect=selection)
    return router.get(ROSTER_URL).mock(side_effect=answer)


async def wait_for_run(
    client: httpx.AsyncClient, assessment_id: str, run_id: int, timeout: float | None = None
) -> dict:  # type: ignore[type-arg]
    """Poll the run until it stops running; bounded by HUIMIN_READY_TIMEOUT_SECONDS unless told."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (ready_timeout_seconds() if timeout is None else timeout)
    while True:
        response = await client.get(f"/v1/assessments/{assessment_id}/runs/{run_id}", headers=SOCIAL)
        assert response.status_code == 200, response.text
        run = response.json()
        if run["status"] != "running":
            return run
        assert loop.time() < deadline, f"run {run_id} still running: {run}"
        await asyncio.sleep(0.05)


async def stream_lines(client: httpx.AsyncClient, assessment_id: str, version: int) -> list[dict]:  # type: ignore[type-arg]
    response = await client.get(
        f"/v1/assessments/{assessment_id}/versions/{version}/lines",
        headers={**SOCIAL, "Accept": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines() if line]


def money(value: str) -> Decimal:
    return Decimal(value)


async def publish_restated(client: httpx.AsyncClient, pack_id: str, years: list[int]) -> dict[str, Any]:
    """Publish the next version of a pack restating its figures for ``years``, through the API: proposed by
    one social-insurance officer, validated, approved by another (maker-checker)."""
    from huimin_policy.packs.files import restated

    versions = (await client.get(f"/v1/packs/{pack_id}/versions", headers=SOCIAL)).json()["items"]
    latest = versions[-1]["version"]
    content = (await client.get(f"/v1/packs/{pack_id}/versions/{latest}", headers=SOCIAL)).json()["content"]
    national = (await client.get("/v1/packs/national/versions/1", headers=SOCIAL)).json()["content"]
    minimum = national["national"]["general_subsidy_minimum"]["values"]
    raised = {year: minimum[max(day for day in minimum if day <= f"{year}-01-01")]["value"] for year in years}
    body = restated(content, latest + 1, years, f"restated for {years} (test fixture)", raised)
    maker, checker = (
        bearer(Role.social_insurance, subject="pack-maker"),
        bearer(Role.finance, subject="pack-checker"),
    )
    proposed = await client.post(f"/v1/packs/{pack_id}/versions", json=body, headers=maker)
    assert proposed.status_code == 201, proposed.text
    validated = await client.post(f"/v1/packs/{pack_id}/versions/{latest + 1}/validate", headers=maker)
    assert validated.status_code == 200, validated.text
    assert validated.json()["valid"], validated.text
    approved = await client.post(f"/v1/packs/{pack_id}/versions/{latest + 1}/approve", headers=checker)
    assert approved.status_code == 200, approved.text
    return approved.json()
