"""E1 at the door: a future birth date, an area code of no province and a residence that is not a real
district or county of the deployment's cities are refused with 422 naming the field, on every path
(registration, update, application, import); the import warns about rows that can never be assessed."""

from datetime import date

import httpx
import pytest
from eligibility_helpers import CIVIL, id_number, register
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import divisions
from huimin_eligibility.app import create_app
from huimin_eligibility.imports.parsing import CSV_COLUMNS
from huimin_eligibility.settings import EligibilitySettings
from huimin_shared.testing import api_client, bearer

OFFICER = bearer("community_officer", region="210502", subject="officer-dq")
FUTURE_BORN = id_number("210502", "20300101", 123)
NO_PROVINCE = id_number("990502", "19800101", 123)
HEADER = ",".join(h for h, _ in CSV_COLUMNS)


def _body(number: str, region_code: str = "210502") -> dict[str, object]:
    return {
        "id_number": number,
        "name": "王小明",
        "region_code": region_code,
        "community": "平山区东明社区",
        "household": "H-9",
    }


def _fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["field"] for error in response.json()["errors"]]


async def _absent(client: httpx.AsyncClient, number: str) -> None:
    assert (await client.get(f"/v1/residents/{number}", headers=CIVIL)).status_code == 404


async def test_e1_registration_refuses_a_birth_date_after_today(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/residents", json=_body(FUTURE_BORN), headers=CIVIL)
    assert _fields(response) == ["body.id_number"]
    assert "after today" in response.json()["errors"][0]["reason"]
    await _absent(client, FUTURE_BORN)


async def test_e1_registration_refuses_an_area_code_of_no_province(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/residents", json=_body(NO_PROVINCE), headers=CIVIL)
    assert _fields(response) == ["body.id_number"]
    assert "province" in response.json()["errors"][0]["reason"]
    await _absent(client, NO_PROVINCE)


@pytest.mark.parametrize("region_code", ["999999", "210599", "110101"])
async def test_e1_registration_refuses_a_residence_not_in_the_division_list(
    client: httpx.AsyncClient, region_code: str
) -> None:
    number = id_number(born="19800101", sequence=311)
    response = await client.post("/v1/residents", json=_body(number, region_code), headers=CIVIL)
    assert _fields(response) == ["body.region_code"]
    await _absent(client, number)


async def test_e1_both_fields_are_named_when_both_are_wrong(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/residents", json=_body(FUTURE_BORN, "999999"), headers=CIVIL)
    assert _fields(response) == ["body.id_number", "body.region_code"]


async def test_e1_an_id_of_another_province_and_a_replaced_county_code_are_accepted(
    client: httpx.AsyncClient,
) -> None:
    """The ID keeps the place of first registration (Beijing here); 510122 双流县 ended in 2015 but old
    records carry it."""
    await register(client, id_number("110101", "19700101", 315), region_code="210503")
    await register(client, id_number("210502", "19700101", 317), region_code="510122")


async def test_e1_a_city_the_deployment_does_not_serve_is_refused(
    settings: EligibilitySettings, session: AsyncSession
) -> None:
    benxi_only = settings.model_copy(update={"cities": ["210500"]})
    async with api_client(create_app(benxi_only), session) as client:
        number = id_number(born="19800101", sequence=319)
        response = await client.post("/v1/residents", json=_body(number, "510104"), headers=CIVIL)
        assert _fields(response) == ["body.region_code"]
        assert "outside the cities" in response.json()["errors"][0]["reason"]


async def test_e1_update_refuses_a_residence_not_in_the_division_list(client: httpx.AsyncClient) -> None:
    number = id_number(born="19800101", sequence=321)
    await register(client, number)
    body = _body(number, "999999")
    del body["id_number"]
    response = await client.put(f"/v1/residents/{number}", json=body, headers=CIVIL)
    assert _fields(response) == ["body.region_code"]
    assert (await client.get(f"/v1/residents/{number}", headers=CIVIL)).json()["region_code"] == "210502"


@pytest.mark.parametrize(
    ("number", "region_code", "field"),
    [
        (FUTURE_BORN, "210502", "body.id_number"),
        (NO_PROVINCE, "210502", "body.id_number"),
        (id_number(born="19800101", sequence=323), "210599", "body.region_code"),
    ],
)
async def test_e1_application_refuses_what_registration_refuses(
    client: httpx.AsyncClient, number: str, region_code: str, field: str
) -> None:
    sheet = {
        **_body(number, region_code),
        "household_size": 2,
        "category": "dibao",
        "requested_from": "2010-05-01",
        "reason": "家庭困难",
        "evidence_ref": "证〔2010〕1号",
    }
    response = await client.post("/v1/applications", json=sheet, headers=OFFICER)
    assert _fields(response) == [field]
    listed = await client.get("/v1/applications", params={"region": "210502"}, headers=CIVIL)
    assert all(item["id_number"] != number for item in listed.json()["items"])


async def test_e1_import_rejects_each_bad_row_and_warns_of_rows_never_assessed(
    client: httpx.AsyncClient,
) -> None:
    good = id_number(born="19800101", sequence=331)
    ended_before_pack = id_number(born="19800101", sequence=333)
    after_employee = id_number(born="19800101", sequence=335)
    lines = [
        HEADER,
        f"{FUTURE_BORN},甲,210502,东明社区,H1,低保,2009-06-01,,,平山区民政局,x",
        f"{NO_PROVINCE},乙,210502,东明社区,H1,低保,2009-06-01,,,平山区民政局,x",
        f"{id_number(born='19800101', sequence=337)},丙,999999,东明社区,H1,低保,2009-06-01,,,平山区民政局,x",
        f"{good},丁,210502,东明社区,H1,低保,2009-06-01,,,平山区民政局,x",
        # Benxi's pack begins on 2010-01-01: a certification that ended in 2009 is never assessed.
        f"{ended_before_pack},戊,210502,东明社区,H1,低保,2008-01-01,2009-06-30,,平山区民政局,x",
        # Certified after employee insurance began: never an eligible day (E3).
        f"{after_employee},己,210502,东明社区,H1,低保,2010-03-01,,2009-01-01,平山区民政局,x",
    ]
    response = await client.post(
        "/v1/imports",
        files={"file": ("roster.csv", ("\n".join(lines) + "\n").encode())},
        data={"mode": "partial"},
        headers=CIVIL,
    )
    assert response.status_code == 201, response.text
    job = response.json()
    assert (job["accepted"], job["rejected"]) == (3, 3)
    rows = (await client.get(f"/v1/imports/{job['id']}/rows", headers=CIVIL)).json()["items"]
    by_row = {r["row_number"]: r for r in rows}
    assert by_row[2]["outcome"] == "rejected"
    assert "after today" in by_row[2]["reason"]
    assert by_row[3]["outcome"] == "rejected"
    assert "province" in by_row[3]["reason"]
    assert by_row[4]["outcome"] == "rejected"
    assert by_row[4]["reason"].startswith("region_code")
    assert (by_row[5]["outcome"], by_row[5]["reason"]) == ("accepted", None)
    assert by_row[6]["outcome"] == "accepted"
    assert "never assessed" in by_row[6]["reason"]
    assert by_row[7]["outcome"] == "accepted"
    assert "employee insurance" in by_row[7]["reason"]
    await _absent(client, FUTURE_BORN)


async def test_e1_import_in_all_or_nothing_mode_applies_nothing_for_a_future_birth(
    client: httpx.AsyncClient,
) -> None:
    good = id_number(born="19800101", sequence=341)
    content = "\n".join(
        [
            HEADER,
            f"{good},丁,210502,东明社区,H1,低保,2009-06-01,,,平山区民政局,x",
            f"{FUTURE_BORN},甲,210502,东明社区,H1,低保,2009-06-01,,,平山区民政局,x",
        ]
    )
    response = await client.post(
        "/v1/imports",
        files={"file": ("roster.csv", content.encode())},
        data={"mode": "all_or_nothing"},
        headers=CIVIL,
    )
    assert response.json()["status"] == "rolled_back"
    await _absent(client, good)


def test_e1_division_list_is_consistent() -> None:
    """Every county-level code lies under a city the list holds; a province code ends in 0000; validity
    periods run forwards."""
    listed = divisions.divisions()
    for division in listed.values():
        if division.level in ("district", "county"):
            assert listed[division.code[:4] + "00"].level == "city", division
        if division.level == "province":
            assert division.code.endswith("0000"), division
        if division.valid_from and division.valid_to:
            assert division.valid_from < division.valid_to, division
    assert divisions.id_number_problem("210502", date(2000, 1, 1), date(2026, 1, 1)) is None
