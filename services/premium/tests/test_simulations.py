"""POST /v1/simulations: the annual Benxi assessment re-costed under changed parameters, storing nothing.

Baseline (annual v1, F already paid): A dibao adult 210502 150.00 (105.00/45.00), B marginal minor 210521
28.00 (14.00/14.00), C dibao elderly 210503 90.00 (63.00/27.00), D marginal adult 210522 105.00 (52.50/52.50).
"""

from __future__ import annotations

import httpx
import respx

from .helpers import SOCIAL, mock_roster
from .roster import person
from .scenario import ROSTER_T1, T1, F, start


@respx.mock
async def test_marginal_at_eighty_percent_and_a_six_to_four_district_ratio(
    live_client: httpx.AsyncClient,
) -> None:
    """B§一(二)2 at 80 %: B 32.00 (+4.00: 16.00/16.00), D 120.00 (+15.00: 60.00/60.00); B§三 at 6:4 in districts:
    A 90.00/60.00 (was 105.00/45.00), C 54.00/36.00 (was 63.00/27.00). City +2.00 +7.50 −15.00 −9.00 = −14.50;
    districts and counties +2.00 +7.50 +15.00 +9.00 = +33.50; total +19.00. Nothing is stored."""
    mock_roster(respx.mock, {T1: ROSTER_T1})
    assessment_id, _run = await start(live_client, "annual", T1, paid=[F["id_number"]])
    response = await live_client.post(
        "/v1/simulations",
        json={
            "assessment_id": assessment_id,
            "changes": {
                "subsidy_rates": {"marginal": "0.80"},
                "cost_sharing": {"district": {"city": 6, "district_or_county": 4}},
            },
        },
        headers=SOCIAL,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["residents"] == 4
    assert body["baseline"]["total"] == "373.00"
    assert body["simulated"]["total"] == "392.00"
    assert body["difference"] == {
        "central": "0.00",
        "province": "0.00",
        "city": "-14.50",
        "district_or_county": "33.50",
        "total": "19.00",
    }
    regions = {r["region_code"]: r for r in body["by_region"]}
    assert regions["210521"]["difference"]["total"] == "4.00"
    assert regions["210522"]["difference"]["district_or_county"] == "7.50"
    assert regions["210502"]["simulated"]["district_or_county"] == "60.00"
    assert body["stored"] is False
    version = (await live_client.get(f"/v1/assessments/{assessment_id}/versions/1", headers=SOCIAL)).json()
    assert version["totals"]["assistance_subsidy"] == "373.00"
    assessment = (await live_client.get(f"/v1/assessments/{assessment_id}", headers=SOCIAL)).json()
    assert assessment["versions"] == [1]


@respx.mock
async def test_a_higher_national_floor_where_no_city_pack_applies(live_client: httpx.AsyncClient) -> None:
    """N§二 in 成都 (western, national pack): a dibao adult gets 60.00 (central 30.00, city 30.00), a dibao child
    10.00 (5.00 / 5.00). Floors raised to 80.00 and 20.00: 80.00 (30.00 / 50.00) and 20.00 (5.00 / 15.00);
    the central share is fixed, so the city pays the whole +30.00."""
    adult = person("510104", "1970-03-03", 21, [("dibao", "2008-01-01", None)])
    child = person("510121", "2004-03-03", 22, [("dibao", "2008-01-01", None)])
    mock_roster(respx.mock, {T1: sorted([adult, child], key=lambda r: r["id_number"])})
    response = await live_client.post(
        "/v1/assessments",
        json={"region": "510100", "year": 2010, "kind": "annual", "as_of": T1},
        headers=SOCIAL,
    )
    assert response.status_code == 202, response.text
    assert response.json()["assessment"]["pack"] == {"id": "national", "version": 1}
    from .helpers import wait_for_run

    assessment_id = response.json()["assessment"]["id"]
    await wait_for_run(live_client, assessment_id, response.json()["run"]["id"])
    body = (
        await live_client.post(
            "/v1/simulations",
            json={
                "assessment_id": assessment_id,
                "changes": {"floors": {"N-other": "80.00", "N-minor": "20.00"}},
            },
            headers=SOCIAL,
        )
    ).json()
    assert body["baseline"] == {
        "central": "35.00",
        "province": "0.00",
        "city": "35.00",
        "district_or_county": "0.00",
        "total": "70.00",
    }
    assert body["simulated"]["total"] == "100.00"
    assert body["difference"]["city"] == "30.00"
    assert body["difference"]["central"] == "0.00"


async def test_an_unknown_floor_is_a_422_and_an_unknown_assessment_a_404(
    live_client: httpx.AsyncClient,
) -> None:
    """Bad input names its reason; nothing is stored."""
    missing = await live_client.post(
        "/v1/simulations",
        json={"assessment_id": "00000000-0000-0000-0000-000000000000", "changes": {}},
        headers=SOCIAL,
    )
    assert missing.status_code == 404
    bad_rate = await live_client.post(
        "/v1/simulations",
        json={
            "assessment_id": "00000000-0000-0000-0000-000000000000",
            "changes": {"subsidy_rates": {"marginal": "1.5"}},
        },
        headers=SOCIAL,
    )
    assert bad_rate.status_code == 422
    assert bad_rate.json()["errors"][0]["field"] == "body.changes.subsidy_rates.marginal"
