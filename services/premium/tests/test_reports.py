"""GET /v1/reports/r1 (N§一, R1): enrolment split minors/adults, standards, fiscal subsidy in place.

Annual v1 (F already paid): A adult, B minor, C elderly, D adult → 373.00 (city 234.50, districts/counties
138.50). Refunds v1: F adult → 105.00 (city 73.50, district 31.50). Enrolled: 1 minor, 4 adults (1 elderly).
Assessed: 478.00 (city 308.00, districts/counties 170.00). Settlement says it moved city 300.00,
districts/counties 170.00 — 470.00 in place.
"""

from __future__ import annotations

import io

import httpx
import respx
from openpyxl import load_workbook

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

from .helpers import mock_roster
from .scenario import ROSTER_T1, T1, F, start

CIVIL = bearer(Role.civil_affairs)
MOVED = {
    "region": "210500",
    "year": 2010,
    "moved": {
        "central": "0.00",
        "province": "0.00",
        "city": "300.00",
        "district_or_county": "170.00",
        "total": "470.00",
    },
}


@respx.mock
async def test_r1_reports_enrolment_standards_and_the_subsidy_in_place(
    live_client: httpx.AsyncClient,
) -> None:
    """N§一 / R1: minors and adults enrolled, the standard per group, and the fiscal subsidy from settlement."""
    mock_roster(respx.mock, {T1: ROSTER_T1})
    fiscal = respx.mock.get("http://127.0.0.1:8003/v1/reports/fiscal-subsidy").mock(
        return_value=httpx.Response(200, json=MOVED)
    )
    await start(live_client, "annual", T1, paid=[F["id_number"]])
    await start(live_client, "refunds", T1, paid=[F["id_number"]])

    response = await live_client.get(
        "/v1/reports/r1", params={"region": "210000", "year": 2010}, headers=CIVIL
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert fiscal.calls.last.request.url.params["region"] == "210500"
    assert body["enrolled"] == {"minors": 1, "adults": 4, "of_which_elderly": 1, "total": 5}
    (city,) = body["cities"]
    assert (city["city"], city["name"]) == ("210500", "本溪市")
    assert city["assessed"] == {
        "central": "0.00",
        "province": "0.00",
        "city": "308.00",
        "district_or_county": "170.00",
        "total": "478.00",
    }
    assert city["local_fiscal_subsidy_assessed"] == "478.00"
    assert city["local_fiscal_subsidy_moved"] == "470.00"
    standards = {(s["category"], s["age_group"]): s["assistance_subsidy"] for s in city["standards"]}
    assert standards == {
        ("dibao", "minor"): "40.00",
        ("dibao", "adult"): "150.00",
        ("dibao", "elderly"): "90.00",
        ("marginal", "minor"): "28.00",
        ("marginal", "adult"): "105.00",
        ("marginal", "elderly"): "63.00",
    }

    xlsx = await live_client.get(
        "/v1/reports/r1", params={"region": "210500", "year": 2010, "format": "xlsx"}, headers=CIVIL
    )
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content))["R1"]
    assert [cell.value for cell in sheet[3]][:6] == ["210500", "本溪市", 1, 4, 1, 5]
    assert sheet.cell(row=3, column=7).value == 478


@respx.mock
async def test_r1_answers_503_when_settlement_is_down(live_client: httpx.AsyncClient) -> None:
    """S1 / R1: the subsidy in place comes from settlement; if it is down the report says so (503), not 500."""
    respx.mock.get("http://127.0.0.1:8003/v1/reports/fiscal-subsidy").mock(return_value=httpx.Response(500))
    response = await live_client.get(
        "/v1/reports/r1", params={"region": "210500", "year": 2010}, headers=CIVIL
    )
    assert response.status_code == 503
    assert response.json()["service"] == "settlement"


async def test_r1_is_for_a_province_or_city_and_role_checked(live_client: httpx.AsyncClient) -> None:
    """N§一: provinces report for their cities; a district is refused with 422; a community officer with 403."""
    district = await live_client.get(
        "/v1/reports/r1", params={"region": "210502", "year": 2010}, headers=CIVIL
    )
    assert district.status_code == 422
    officer = await live_client.get(
        "/v1/reports/r1", params={"region": "210500", "year": 2010}, headers=bearer(Role.community_officer)
    )
    assert officer.status_code == 403
