"""POST /v1/quotes against hand-worked figures (POLICY.md P1–P6).

Benxi 2010 (pack benxi v1, illustrative base amounts): contribution minor 40.00 / adult 150.00 /
elderly 90.00, general subsidy 120.00. Dibao 100 %, marginal 70 % (B§一(二)); districts 7:3,
counties 5:5 (B§三); Liaoning is eastern → central 0.00.
"""

import httpx
import pytest
import respx

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

SOCIAL = bearer(Role.social_insurance)
DISTRICTS = ("210502", "210503", "210504", "210505")
COUNTIES = ("210521", "210522")
BIRTHS = {"minor": "2000-07-01", "adult": "1975-07-01", "elderly": "1945-07-01"}
CONTRIBUTION = {"minor": "40.00", "adult": "150.00", "elderly": "90.00"}
# Hand-worked: subsidy, resident pays, (city, district) for 7:3 and (city, county) for 5:5.
BENXI = {
    ("dibao", "minor"): ("40.00", "0.00", ("28.00", "12.00"), ("20.00", "20.00")),
    ("dibao", "adult"): ("150.00", "0.00", ("105.00", "45.00"), ("75.00", "75.00")),
    ("dibao", "elderly"): ("90.00", "0.00", ("63.00", "27.00"), ("45.00", "45.00")),
    ("marginal", "minor"): ("28.00", "12.00", ("19.60", "8.40"), ("14.00", "14.00")),
    ("marginal", "adult"): ("105.00", "45.00", ("73.50", "31.50"), ("52.50", "52.50")),
    ("marginal", "elderly"): ("63.00", "27.00", ("44.10", "18.90"), ("31.50", "31.50")),
}
CASES = [(category, group, region) for (category, group) in BENXI for region in DISTRICTS + COUNTIES]


@pytest.mark.parametrize(("category", "group", "region"), CASES)
async def test_benxi_quote_for_every_category_age_group_and_area_code(
    client: httpx.AsyncClient, category: str, group: str, region: str
) -> None:
    """P2 (B§一(二)1–2: dibao 100 %, marginal 70 %) and P3 (B§三: districts 7:3, counties 5:5)."""
    response = await client.post(
        "/v1/quotes",
        json={
            "year": 2010,
            "facts": {"birth_date": BIRTHS[group], "region_code": region, "categories": [category]},
        },
        headers=SOCIAL,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    subsidy, pays, district_split, county_split = BENXI[(category, group)]
    city, local = district_split if region in DISTRICTS else county_split
    assert body["pack"] == {"id": "benxi", "version": 1}
    assert body["individual_contribution"] == CONTRIBUTION[group]
    assert body["general_subsidy"] == "120.00"
    assert body["assistance_subsidy"] == subsidy
    assert body["resident_pays"] == pays
    assert body["by_payer"] == {
        "central": "0.00",
        "province": "0.00",
        "city": city,
        "district_or_county": local,
    }
    expected_clause = "B§一(二)1" if category == "dibao" else "B§一(二)2"
    assert body["citation"] == f"本政办发〔2009〕130号 {expected_clause}"
    assert "B§三" in body["working"]["by_payer.city"]["citation"]
    assert body["illustrative"] is True


async def test_every_figure_in_a_quote_carries_rule_parameters_and_citation(
    client: httpx.AsyncClient,
) -> None:
    """P6 traceability: each figure names its rule, parameters and clause; amounts are two-decimal strings."""
    response = await client.post(
        "/v1/quotes",
        json={
            "year": 2010,
            "supplementary": True,
            "facts": {"birth_date": "1975-07-01", "region_code": "210521", "categories": ["marginal"]},
        },
        headers=SOCIAL,
    )
    body = response.json()
    for name in (
        "financing_standard",
        "general_subsidy",
        "individual_contribution",
        "assistance_subsidy",
        "resident_pays",
        "supplementary_premium",
        "total_resident_pays",
        "by_payer.central",
        "by_payer.province",
        "by_payer.city",
        "by_payer.district_or_county",
    ):
        figure = body["working"][name]
        assert figure["rule"], name
        assert figure["citation"], name
        assert isinstance(figure["parameters"], dict)
    # 150.00 - 105.00 = 45.00 of the contribution, plus 12.00 supplementary (never subsidised, B§一(二)2)
    assert body["supplementary_premium"] == "12.00"
    assert body["total_resident_pays"] == "57.00"
    assert body["financing_standard"] == "270.00"
    assert "B§一(二)2" in body["working"]["supplementary_premium"]["citation"]


@respx.mock
async def test_quote_by_id_number_reads_the_status_on_the_first_of_january(client: httpx.AsyncClient) -> None:
    """P1 / E3: the service asks eligibility for the status on 1 January; a dibao adult in 210503 → 150.00."""
    route = respx.get("http://127.0.0.1:8001/v1/residents/210502198001011234/status").mock(
        return_value=httpx.Response(
            200,
            json={
                "id_number": "210502198001011234",
                "on": "2010-01-01",
                "as_of": "2010-01-01T00:00:00+08:00",
                "eligible": True,
                "categories": ["dibao"],
                "age_group": "adult",
                "birth_date": "1980-01-01",
                "sex": "male",
                "region_code": "210503",
                "employee_insurance": False,
                "excluded_reason": None,
                "insutype": "391",
                "psn_type": "15",
                "certificate": "x.y.z",
            },
        )
    )
    response = await client.post(
        "/v1/quotes", json={"year": 2010, "id_number": "210502198001011234"}, headers=SOCIAL
    )
    assert response.status_code == 200, response.text
    assert route.calls.last.request.url.params["on"] == "2010-01-01"
    assert route.calls.last.request.headers["authorization"].startswith("Bearer ")
    body = response.json()
    assert body["assistance_subsidy"] == "150.00"
    assert body["by_payer"]["city"] == "105.00"
    assert body["resident"]["eligible"] is True


@respx.mock
async def test_an_excluded_resident_is_quoted_with_no_subsidy(client: httpx.AsyncClient) -> None:
    """E3 (B§一(一)): someone covered by employee insurance is not subsidised: pays the full 150.00."""
    respx.get("http://127.0.0.1:8001/v1/residents/210502198001011234/status").mock(
        return_value=httpx.Response(
            200,
            json={
                "id_number": "210502198001011234",
                "on": "2010-01-01",
                "as_of": "2010-01-01T00:00:00+08:00",
                "eligible": False,
                "categories": ["dibao"],
                "age_group": "adult",
                "birth_date": "1980-01-01",
                "sex": "male",
                "region_code": "210502",
                "employee_insurance": True,
                "excluded_reason": "employee_insurance",
                "insutype": "391",
                "psn_type": "15",
                "certificate": "x.y.z",
            },
        )
    )
    response = await client.post(
        "/v1/quotes", json={"year": 2010, "id_number": "210502198001011234"}, headers=SOCIAL
    )
    body = response.json()
    assert body["assistance_subsidy"] == "0.00"
    assert body["resident_pays"] == "150.00"
    assert body["resident"]["excluded_reason"] == "employee_insurance"


@respx.mock
async def test_an_unknown_resident_is_a_404_and_an_eligibility_outage_a_503(
    client: httpx.AsyncClient,
) -> None:
    """E1: eligibility's 404 is passed on; a peer down is a 503 naming it, never a 500."""
    respx.get("http://127.0.0.1:8001/v1/residents/210502198001011234/status").mock(
        return_value=httpx.Response(
            404, json={"type": "x", "title": "Not found", "status": 404, "detail": "unknown"}
        )
    )
    respx.get("http://127.0.0.1:8001/v1/residents/210502198001012018/status").mock(
        return_value=httpx.Response(502)
    )
    missing = await client.post(
        "/v1/quotes", json={"year": 2010, "id_number": "210502198001011234"}, headers=SOCIAL
    )
    assert missing.status_code == 404
    down = await client.post(
        "/v1/quotes", json={"year": 2010, "id_number": "210502198001012018"}, headers=SOCIAL
    )
    assert down.status_code == 503
    assert down.json()["service"] == "eligibility"


async def test_western_resident_under_the_national_pack(client: httpx.AsyncClient) -> None:
    """N§二: no city pack in 成都 → national floor: dibao adult 60.00, central 30.00, city 30.00; general subsidy
    120.00 (2010 minimum) + contribution 150.00 = 270.00; the resident pays 90.00."""
    response = await client.post(
        "/v1/quotes",
        json={
            "year": 2010,
            "facts": {"birth_date": "1975-07-01", "region_code": "510104", "categories": ["dibao"]},
        },
        headers=SOCIAL,
    )
    body = response.json()
    assert body["pack"] == {"id": "national", "version": 1}
    assert body["assistance_subsidy"] == "60.00"
    assert body["resident_pays"] == "90.00"
    assert body["by_payer"] == {
        "central": "30.00",
        "province": "0.00",
        "city": "30.00",
        "district_or_county": "0.00",
    }
    assert body["citation"] == "民发〔2007〕156号 N§二"
    assert body["resident"]["region_class"] == "western"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"year": 2010}, "body"),
        ({"year": 2010, "id_number": "210502198001011235"}, "body.id_number"),
        (
            {"year": 2010, "facts": {"birth_date": "1980-01-01", "region_code": "210500"}},
            "body.facts.region_code",
        ),
        (
            {
                "year": 2010,
                "facts": {"birth_date": "1980-01-01", "region_code": "210502", "categories": ["vip"]},
            },
            "body.facts.categories.0",
        ),
        ({"year": 1999, "facts": {"birth_date": "1980-01-01", "region_code": "210502"}}, "body.year"),
    ],
)
async def test_bad_quote_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict, field: str
) -> None:  # type: ignore[type-arg]
    """E1 and request rules: bad input → 422 problem naming the field and reason."""
    response = await client.post("/v1/quotes", json=body, headers=SOCIAL)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_quotes_need_a_role_and_respect_the_token_region(client: httpx.AsyncClient) -> None:
    """Every route is role-checked; a token limited to 本溪 cannot quote 成都."""
    facts = {
        "year": 2010,
        "facts": {"birth_date": "1975-07-01", "region_code": "510104", "categories": ["dibao"]},
    }
    assert (await client.post("/v1/quotes", json=facts)).status_code == 401
    limited = bearer(Role.civil_affairs, region="210500")
    assert (await client.post("/v1/quotes", json=facts, headers=limited)).status_code == 403


def _status(id_number: str, region_code: str) -> dict:  # type: ignore[type-arg]
    return {
        "id_number": id_number,
        "on": "2010-01-01",
        "as_of": "2010-01-01T00:00:00+08:00",
        "eligible": True,
        "categories": ["dibao"],
        "age_group": "adult",
        "birth_date": "1980-01-01",
        "sex": "male",
        "region_code": region_code,
        "employee_insurance": False,
        "excluded_reason": None,
        "insutype": "391",
        "psn_type": "15",
        "certificate": "x.y.z",
    }


@respx.mock
async def test_a_region_limited_token_cannot_learn_whether_an_outside_resident_exists(
    client: httpx.AsyncClient,
) -> None:
    """R2 (no more personal data than needed): a 平山区 (210502) token quoting an ID number gets the same 404
    for a resident eligibility does not know and for one it knows in 本溪县 (210521) — before, the second was
    a 403, which told the caller the person exists. Its own resident is quoted: dibao adult 150.00 (city
    105.00, district 45.00)."""
    inside, outside, unknown = "210502198001011234", "210502198001012018", "210502198001015438"
    respx.get(f"http://127.0.0.1:8001/v1/residents/{inside}/status").mock(
        return_value=httpx.Response(200, json=_status(inside, "210502"))
    )
    respx.get(f"http://127.0.0.1:8001/v1/residents/{outside}/status").mock(
        return_value=httpx.Response(200, json=_status(outside, "210521"))
    )
    respx.get(f"http://127.0.0.1:8001/v1/residents/{unknown}/status").mock(
        return_value=httpx.Response(
            404, json={"type": "x", "title": "Not found", "status": 404, "detail": "unknown"}
        )
    )
    limited = bearer(Role.civil_affairs, region="210502")
    answers = [
        await client.post("/v1/quotes", json={"year": 2010, "id_number": n}, headers=limited)
        for n in (outside, unknown)
    ]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json()["detail"] == answers[1].json()["detail"]
    assert "210521" not in answers[0].text
    own = await client.post("/v1/quotes", json={"year": 2010, "id_number": inside}, headers=limited)
    assert own.status_code == 200, own.text
    assert (own.json()["assistance_subsidy"], own.json()["by_payer"]["city"]) == ("150.00", "105.00")
