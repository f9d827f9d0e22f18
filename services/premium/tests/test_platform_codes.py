"""Platform codes on quotes and assessment lines (issue 16.3, docs/codes.md): insutype 391, psn_type of the age
group on 1 January (14/15/16), the medical-assistance person type of the category applied (dibao 1,
low_income_elderly 5, severely_disabled 7, none for marginal). Expected values are written by hand AND read
from huimin_policy.codes, so a wrong map, a wrong schema or a wrong SQL all fail."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from huimin_policy import codes

from .helpers import SOCIAL, mock_roster
from .scenario import ROSTER_T1, T1, A, B, C, D, F, start

# (category, age group, birth date, residence, psn_type, medical-assistance type): Benxi's categories in 平山区,
# the national ones in 成都 (no city pack: the national floor quotes them, N§一).
QUOTES = [
    ("dibao", "minor", "2000-07-01", "210502", "14", "1"),
    ("dibao", "adult", "1975-07-01", "210502", "15", "1"),
    ("dibao", "elderly", "1945-07-01", "210502", "16", "1"),
    ("marginal", "minor", "2000-07-01", "210521", "14", None),
    ("marginal", "adult", "1975-07-01", "210521", "15", None),
    ("marginal", "elderly", "1945-07-01", "210521", "16", None),
    ("low_income_elderly", "elderly", "1940-01-01", "510104", "16", "5"),
    ("severely_disabled", "minor", "2000-07-01", "510104", "14", "7"),
    ("severely_disabled", "adult", "1975-07-01", "510104", "15", "7"),
]


@pytest.mark.parametrize(
    ("category", "group", "born", "region", "psn_type", "assistance"),
    QUOTES,
    ids=[f"{q[0]}-{q[1]}" for q in QUOTES],
)
async def test_a_quote_carries_the_platform_codes_of_its_category_and_age_group(
    client: httpx.AsyncClient,
    category: str,
    group: str,
    born: str,
    region: str,
    psn_type: str,
    assistance: str | None,
) -> None:
    response = await client.post(
        "/v1/quotes",
        json={"year": 2010, "facts": {"birth_date": born, "region_code": region, "categories": [category]}},
        headers=SOCIAL,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["category"], body["resident"]["age_group"]) == (category, group)
    assert (body["insutype"], body["psn_type"], body["assistance_psn_type"]) == ("391", psn_type, assistance)
    assert (body["psn_type"], body["assistance_psn_type"]) == (
        codes.psn_type(group),
        codes.assistance_psn_type(category),
    )


async def test_a_quote_without_a_subsidised_category_has_no_assistance_type(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/quotes",
        json={"year": 2010, "facts": {"birth_date": "1975-07-01", "region_code": "210502", "categories": []}},
        headers=SOCIAL,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["category"], body["insutype"], body["psn_type"], body["assistance_psn_type"]) == (
        None,
        "391",
        "15",
        None,
    )


# The annual assessment of the scenario (test_assessments.py): A dibao adult, B marginal minor, C dibao elderly
# (dibao takes precedence over marginal), D marginal adult.
LINES = {
    A["id_number"]: ("dibao", "adult", "15", "1"),
    B["id_number"]: ("marginal", "minor", "14", None),
    C["id_number"]: ("dibao", "elderly", "16", "1"),
    D["id_number"]: ("marginal", "adult", "15", None),
}


@respx.mock
async def test_assessment_lines_carry_the_platform_codes_in_pages_and_in_the_ndjson_stream(
    live_client: httpx.AsyncClient,
) -> None:
    mock_roster(respx.mock, {T1: ROSTER_T1})
    assessment_id, run = await start(live_client, "annual", T1, paid=[F["id_number"]])
    assert run["status"] == "complete", run
    path = f"/v1/assessments/{assessment_id}/versions/1/lines"
    page = await live_client.get(path, headers=SOCIAL)
    streamed = await live_client.get(path, headers={**SOCIAL, "Accept": "application/x-ndjson"})
    assert page.status_code == streamed.status_code == 200, page.text
    for lines in (page.json()["items"], [json.loads(text) for text in streamed.text.splitlines()]):
        got = {
            line["id_number"]: (
                line["category"],
                line["age_group"],
                line["psn_type"],
                line["assistance_psn_type"],
            )
            for line in lines
            if line["id_number"] in LINES
        }
        assert got == LINES
        assert {line["insutype"] for line in lines} == {"391"}
        for line in lines:
            assert (line["psn_type"], line["assistance_psn_type"]) == (
                codes.psn_type(line["age_group"]),
                codes.assistance_psn_type(line["category"]),
            )
