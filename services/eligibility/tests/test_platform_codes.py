"""Platform codes on the roster (issue 16.3, docs/codes.md): every row carries insutype 391 and the psn_type of
its age group on 1 January of the cover year; every category the medical-assistance person type that applies.
Expected values are written by hand AND read from huimin_policy.codes, so a wrong map or a wrong SQL both fail."""

import json

import pytest
from eligibility_helpers import SERVICE, certify, id_number, register

from huimin_policy import codes

# (category, residence, birth date, age group on 2010-01-01, psn_type, medical-assistance type): dibao and
# marginal in Benxi (E3), low_income_elderly and severely_disabled in Chengdu (E4, national scope).
CASES = [
    ("dibao", "210502", "19950601", "minor", "14", "1"),
    ("dibao", "210502", "19800101", "adult", "15", "1"),
    ("dibao", "210502", "19450101", "elderly", "16", "1"),
    ("marginal", "210503", "19920102", "minor", "14", None),  # 17 on 1 January 2010
    ("marginal", "210503", "19920101", "adult", "15", None),  # 18 that day
    ("marginal", "210503", "19500101", "elderly", "16", None),  # 60 that day
    ("low_income_elderly", "510104", "19400101", "elderly", "16", "5"),
    ("severely_disabled", "510104", "19980101", "minor", "14", "7"),
    ("severely_disabled", "510104", "19700101", "adult", "15", "7"),
]


@pytest.mark.parametrize(
    ("category", "region", "born", "age_group", "psn_type", "assistance"),
    CASES,
    ids=[f"{c[0]}-{c[3]}" for c in CASES],
)
async def test_a_roster_row_carries_the_platform_codes_of_its_category_and_age_group(
    client, category: str, region: str, born: str, age_group: str, psn_type: str, assistance: str | None
) -> None:
    number = id_number(region, born, 301)
    await register(client, number, region_code=region)
    await certify(client, number, category, "2009-01-01")
    city = region[:4] + "00"
    paged = await client.get("/v1/roster", params={"year": 2010, "region": city}, headers=SERVICE)
    streamed = await client.get(
        "/v1/roster",
        params={"year": 2010, "region": city},
        headers={**SERVICE, "Accept": "application/x-ndjson"},
    )
    assert paged.status_code == streamed.status_code == 200, paged.text
    [row] = paged.json()["items"]
    assert [json.loads(line) for line in streamed.text.splitlines()] == [row]
    assert (row["insutype"], row["psn_type"], row["categories"][0]["assistance_psn_type"]) == (
        "391",
        psn_type,
        assistance,
    )
    assert (row["psn_type"], row["categories"][0]["assistance_psn_type"]) == (
        codes.psn_type(age_group),
        codes.assistance_psn_type(category),
    )


async def test_a_person_in_two_categories_carries_each_categorys_type(client) -> None:
    """Marginal from 2009 and dibao from February 2010: one row, the codes per certification."""
    number = id_number("210521", "19800202", 303)
    await register(client, number, region_code="210521")
    await certify(client, number, "marginal", "2009-01-01")
    await certify(client, number, "dibao", "2010-02-01")
    [row] = (
        await client.get("/v1/roster", params={"year": 2010, "region": "210500"}, headers=SERVICE)
    ).json()["items"]
    assert [(c["category"], c["assistance_psn_type"]) for c in row["categories"]] == [
        ("marginal", None),
        ("dibao", "1"),
    ]
