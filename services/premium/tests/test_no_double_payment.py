"""Nobody paid twice (S4, R1, B§四(四)) and one run at a time, over the hand-worked Benxi roster.

Benxi 2010 (illustrative): minor 40.00, adult 150.00, elderly 90.00; dibao 100 %, marginal 70 %;
districts 7:3, counties 5:5. Annual at T1 without a paid list: A 150.00 + B 28.00 + C 90.00 + D 105.00
+ F 105.00 = 478.00; with F left out (already paid, refunded instead): 373.00. F's refund: 105.00
(city 73.50, district 31.50).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import httpx
import pytest
import respx
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from huimin_premium.assessments import service as assessments
from huimin_premium.assessments.models import Assessment, AssessmentRun
from huimin_premium.assessments.schemas import RunRequest
from huimin_shared.auth import Principal, Role
from huimin_shared.db import session_factory
from huimin_shared.errors import Conflict
from huimin_shared.testing import bearer

from .helpers import SOCIAL, mock_roster, publish_restated, stream_lines, wait_for_run
from .scenario import ROSTER_T1, ROSTER_T2, T1, T2, F, start

ASSESSOR = Principal(subject="test", roles=frozenset({Role.social_insurance}))


async def create(
    client: httpx.AsyncClient, region: str, kind: str, *, year: int = 2010, paid: list[str] | None = None
) -> httpx.Response:
    return await client.post(
        "/v1/assessments",
        json={"region": region, "year": year, "kind": kind, "as_of": T1, "paid": paid or []},
        headers=SOCIAL,
    )


async def settle(client: httpx.AsyncClient, *responses: httpx.Response) -> None:
    """Wait for the runs the accepted requests started (so the test ends with nothing running)."""
    for response in responses:
        if response.status_code == 202:
            body = response.json()
            await wait_for_run(client, body["assessment"]["id"], body["run"]["id"])


@respx.mock
async def test_assessments_of_one_kind_and_year_never_overlap_in_region(
    live_client: httpx.AsyncClient,
) -> None:
    """S4 / R1: 210500 annual and 210502 annual would both assess A and F (平山区) and R1 would count them
    twice: the second is a 409 in either order and also when both arrive at once; another kind or year is
    not an overlap."""
    mock_roster(respx.mock, {T1: ROSTER_T1})
    await publish_restated(live_client, "benxi", [2011, 2012, 2013])  # the pack states 2010 only
    city = await create(live_client, "210500", "annual")
    assert city.status_code == 202, city.text
    inside = await create(live_client, "210502", "annual")
    assert inside.status_code == 409
    assert "210500 contains 210502" in inside.json()["detail"]
    other_kind = await create(live_client, "210502", "new_entrants")
    assert other_kind.status_code == 202, other_kind.text
    await settle(live_client, city, other_kind)

    district = await create(live_client, "210503", "annual", year=2011)
    around = await create(live_client, "210500", "annual", year=2011)
    assert (district.status_code, around.status_code) == (202, 409)
    assert "210500 lies inside" not in around.json()["detail"]
    assert "210503 lies inside 210500" in around.json()["detail"]
    await settle(live_client, district)

    # Concurrent: nested regions, and the very same triple (was a 500 from the unique constraint).
    racing = await asyncio.gather(
        create(live_client, "210500", "annual", year=2012), create(live_client, "210504", "annual", year=2012)
    )
    assert sorted(r.status_code for r in racing) == [202, 409]
    same = await asyncio.gather(
        create(live_client, "210521", "annual", year=2013), create(live_client, "210521", "annual", year=2013)
    )
    assert sorted(r.status_code for r in same) == [202, 409]
    await settle(live_client, *racing, *same)
    listed = (await live_client.get("/v1/assessments", params={"kind": "annual"}, headers=SOCIAL)).json()
    assert len(listed["items"]) == 4  # 2010 210500, 2011 210503, one of 2012, 2013 210521


@respx.mock
async def test_a_refunds_list_keeps_its_people_out_of_annual_runs(live_client: httpx.AsyncClient) -> None:
    """B§四(四) / S4: F is listed as already paid only with the refunds run; the annual run sent without a
    paid list still leaves F out: 373.00 (not 478.00), city 234.50, districts/counties 138.50."""
    mock_roster(respx.mock, {T1: ROSTER_T1})
    refunds_id, refunds = await start(live_client, "refunds", T1, paid=[F["id_number"]])
    assert (refunds["status"], refunds["rows_assessed"]) == ("complete", 1)
    annual_id, annual = await start(live_client, "annual", T1)
    assert annual["status"] == "complete", annual
    assert (annual["rows_assessed"], annual["paid_listed"]) == (4, 1)
    totals = (await live_client.get(f"/v1/assessments/{annual_id}/versions/1", headers=SOCIAL)).json()[
        "totals"
    ]
    assert totals["assistance_subsidy"] == "373.00"
    assert totals["by_payer"]["city"] == "234.50"
    assert totals["by_payer"]["district_or_county"] == "138.50"
    assert F["id_number"] not in {line["id_number"] for line in await stream_lines(live_client, annual_id, 1)}
    refunded = await stream_lines(live_client, refunds_id, 1)
    assert [(line["id_number"], line["assistance_subsidy"]) for line in refunded] == [
        (F["id_number"], "105.00")
    ]


@respx.mock
async def test_a_refund_of_someone_already_subsidised_is_refused(live_client: httpx.AsyncClient) -> None:
    """B§四(四) / S4: the annual version 1 subsidises F (478.00 in all); refunding F too would pay F's
    105.00 twice → 409 saying so. Re-running the annual with F on its paid list gives version 2 with F's
    −105.00 adjustment (373.00); then the refund of 105.00 (73.50 / 31.50) is accepted."""
    mock_roster(respx.mock, {T1: ROSTER_T1, T2: ROSTER_T1})
    annual_id, annual = await start(live_client, "annual", T1)
    assert annual["status"] == "complete"
    refused = await create(live_client, "210500", "refunds", paid=[F["id_number"]])
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "already assessed as subsidised" in detail
    assert f"annual assessment {annual_id} version 1" in detail
    assert F["id_number"] not in detail  # masked
    assert (await live_client.get("/v1/assessments", params={"kind": "refunds"}, headers=SOCIAL)).json()[
        "items"
    ] == []

    rerun = await live_client.post(
        f"/v1/assessments/{annual_id}/runs", json={"as_of": T2, "paid": [F["id_number"]]}, headers=SOCIAL
    )
    assert rerun.status_code == 202, rerun.text
    run = await wait_for_run(live_client, annual_id, rerun.json()["id"])
    assert (run["status"], run["version"]) == ("complete", 2)
    version = (await live_client.get(f"/v1/assessments/{annual_id}/versions/2", headers=SOCIAL)).json()
    assert version["totals"]["assistance_subsidy"] == "373.00"
    exited = [line for line in await stream_lines(live_client, annual_id, 2) if line["change"] == "exited"]
    assert [(line["id_number"], line["assistance_subsidy"]) for line in exited] == [
        (F["id_number"], "-105.00")
    ]

    refunds_id, refunds = await start(live_client, "refunds", T1, paid=[F["id_number"]])
    assert refunds["status"] == "complete"
    lines = await stream_lines(live_client, refunds_id, 1)
    assert [(line["assistance_subsidy"], line["by_payer"]["city"]) for line in lines] == [("105.00", "73.50")]


@respx.mock
async def test_a_roster_row_outside_the_region_fails_the_run(live_client: httpx.AsyncClient) -> None:
    """S4: the 平山区 (210502) annual run is sent the whole city's roster (B in 210521, C in 210503 …): it
    must not pay for them — the run fails with the reason and makes no version."""
    mock_roster(respx.mock, {T1: ROSTER_T1})
    response = await create(live_client, "210502", "annual")
    assert response.status_code == 202, response.text
    body = response.json()
    run = await wait_for_run(live_client, body["assessment"]["id"], body["run"]["id"])
    assert run["status"] == "failed"
    assert "outside the assessment's region" in run["error"]
    assessment = (await live_client.get(f"/v1/assessments/{body['assessment']['id']}", headers=SOCIAL)).json()
    assert assessment["latest_version"] == 0


async def _assessment_with_a_running_run(engine: AsyncEngine) -> tuple[uuid.UUID, int]:
    sessions = session_factory(engine)
    async with sessions() as session:
        assessment = Assessment(
            region="210500",
            year=2010,
            kind="annual",
            pack_id="benxi",
            pack_version=1,
            national_pack_version=1,
            created_by="test",
        )
        session.add(assessment)
        await session.flush()
        run = AssessmentRun(
            assessment_id=assessment.id,
            as_of=datetime.fromisoformat(T1),
            status="running",
            paid_hash="x",
            created_by="test",
        )
        session.add(run)
        await session.commit()
        return assessment.id, run.id


async def test_one_running_run_per_assessment(live_client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """S4: two running runs of one assessment would race to make the same version: the database refuses the
    second (partial unique index), and a request that loses that race gets a 409, not a 500."""
    assessment_id, _run_id = await _assessment_with_a_running_run(engine)
    sessions = session_factory(engine)
    async with sessions() as session:
        session.add(
            AssessmentRun(
                assessment_id=assessment_id,
                as_of=datetime.fromisoformat(T2),
                status="running",
                paid_hash="y",
                created_by="test",
            )
        )
        with pytest.raises(IntegrityError, match="uq_assessment_runs_one_running"):
            await session.flush()
    async with sessions() as session:
        assessment = await session.get(Assessment, assessment_id)
        assert assessment is not None
        request = RunRequest(as_of=datetime.fromisoformat(T2))
        with pytest.raises(Conflict, match="still running"):  # past the pre-check, as in a race
            await assessments._new_run(session, assessment, ASSESSOR, request, [])
        await session.rollback()
    rerun = await live_client.post(
        f"/v1/assessments/{assessment_id}/runs", json={"as_of": T2}, headers=SOCIAL
    )
    assert rerun.status_code == 409


@respx.mock
async def test_a_region_limited_token_reads_only_assessments_inside_its_region(
    live_client: httpx.AsyncClient,
) -> None:
    """P3 / R2 (no more data than needed): a finance token for 平山区 (210502) does not see the city's
    (210500) assessment — not in the list, and its versions, lines (pages and NDJSON), diff, runs and
    simulations are 404; a city token reads them (version 2 − version 1 = 320.00 − 373.00 = −53.00)."""
    mock_roster(respx.mock, {T1: ROSTER_T1, T2: ROSTER_T2})
    assessment_id, _run = await start(live_client, "annual", T1, paid=[F["id_number"]])
    rerun = await live_client.post(
        f"/v1/assessments/{assessment_id}/runs", json={"as_of": T2, "paid": [F["id_number"]]}, headers=SOCIAL
    )
    await wait_for_run(live_client, assessment_id, rerun.json()["id"])
    base = f"/v1/assessments/{assessment_id}"
    district = bearer(Role.finance, region="210502")
    assert (await live_client.get("/v1/assessments", headers=district)).json()["items"] == []
    for path in (base, f"{base}/runs", f"{base}/versions", f"{base}/versions/2", f"{base}/versions/2/lines",
                 f"{base}/versions/2/diff"):  # fmt: skip
        assert (await live_client.get(path, headers=district)).status_code == 404, path
    ndjson = await live_client.get(
        f"{base}/versions/2/lines", headers={**district, "Accept": "application/x-ndjson"}
    )
    assert ndjson.status_code == 404
    simulation = await live_client.post(
        "/v1/simulations", json={"assessment_id": assessment_id, "changes": {}}, headers=district
    )
    assert simulation.status_code == 404

    city = bearer(Role.finance, region="210500")
    assert [i["id"] for i in (await live_client.get("/v1/assessments", headers=city)).json()["items"]] == [
        assessment_id
    ]
    diff = await live_client.get(f"{base}/versions/2/diff", headers=city)
    assert diff.json()["difference"]["total"] == "-53.00"
    lines = await live_client.get(
        f"{base}/versions/2/lines", headers={**city, "Accept": "application/x-ndjson"}
    )
    assert lines.status_code == 200
    simulated = await live_client.post(
        "/v1/simulations", json={"assessment_id": assessment_id, "changes": {}}, headers=city
    )
    assert simulated.json()["simulated"]["total"] == "320.00"
