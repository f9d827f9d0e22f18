"""Packs for every year, published through the API (issue: a Benxi quote for 2012 silently reused 2010's
values). A pack covers only the cover years its values are dated in; a new version is proposed as a
draft, validated against the national floors (P4–P5) in every year it covers, and approved by another
person before it prices anything (maker-checker)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy.packs.files import restated
from huimin_shared.auth import Role
from huimin_shared.testing import bearer

MAKER = bearer(Role.social_insurance, subject="pack-maker")
CHECKER = bearer(Role.finance, subject="pack-checker")
READER = bearer(Role.auditor)
DIBAO_ADULT_IN_PINGSHAN = {"birth_date": "1975-07-01", "region_code": "210502", "categories": ["dibao"]}


async def quote(
    client: httpx.AsyncClient, year: int, facts: dict[str, Any] = DIBAO_ADULT_IN_PINGSHAN
) -> httpx.Response:
    return await client.post("/v1/quotes", json={"year": year, "facts": facts}, headers=READER | MAKER)


async def benxi_content(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/v1/packs/benxi/versions/1", headers=READER)
    return response.json()["content"]


def benxi_2012(content: dict[str, Any]) -> dict[str, Any]:
    """Benxi v2 restating its 2010 figures for 2011 and 2012, with each year's general subsidy raised to
    the national minimum (200.00, 240.00). It covers 2010–2012: a value holds until the pack changes it."""
    return restated(content, 2, [2011, 2012], "本溪市 restatement (test)", {2011: "200.00", 2012: "240.00"})


async def test_a_quote_for_a_year_no_pack_covers_is_refused_not_priced_on_old_values(
    client: httpx.AsyncClient,
) -> None:
    """Benxi's pack states 2010 only: 2012 is refused naming the pack and the years it covers; the
    national pack states 2007–2015 (POLICY.md reference data), so 2016 in 成都 is refused too."""
    assert (await quote(client, 2010)).status_code == 200
    refused = await quote(client, 2012)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/year-not-covered")
    assert problem["errors"][0]["field"] == "year"
    assert "benxi v1" in problem["errors"][0]["reason"]
    assert "cover year 2010, not 2012" in problem["errors"][0]["reason"]
    chengdu = {"birth_date": "1975-07-01", "region_code": "510104", "categories": ["dibao"]}
    assert (await quote(client, 2015, chengdu)).status_code == 200
    assert (await quote(client, 2016, chengdu)).json()["type"].endswith("/year-not-covered")
    packs = {item["id"]: item for item in (await client.get("/v1/packs", headers=READER)).json()["items"]}
    assert packs["benxi"]["cover_years"] == [2010]
    assert packs["national"]["cover_years"] == list(range(2007, 2016))


async def test_a_pack_version_prices_only_after_validation_and_approval_by_another_person(
    client: httpx.AsyncClient,
) -> None:
    """Maker-checker: the draft prices nothing; approving before validation is a 409; the maker cannot
    approve (403); another person's approval puts v2 in force and the 2012 quote cites it."""
    proposed = await client.post(
        "/v1/packs/benxi/versions", json=benxi_2012(await benxi_content(client)), headers=MAKER
    )
    assert proposed.status_code == 201, proposed.text
    assert (proposed.json()["state"], proposed.json()["cover_years"]) == ("draft", [2010, 2011, 2012])
    assert (await quote(client, 2012)).status_code == 422  # a draft prices nothing
    early = await client.post("/v1/packs/benxi/versions/2/approve", headers=CHECKER)
    assert early.status_code == 409, early.text

    validated = await client.post("/v1/packs/benxi/versions/2/validate", headers=MAKER)
    assert validated.status_code == 200, validated.text
    assert (validated.json()["state"], validated.json()["valid"]) == ("validated", True)
    assert [report["year"] for report in validated.json()["years"]] == [2010, 2011, 2012]
    by_maker = await client.post(
        "/v1/packs/benxi/versions/2/approve", headers=MAKER | bearer(Role.finance, subject="pack-maker")
    )
    assert by_maker.status_code == 403, by_maker.text

    approved = await client.post("/v1/packs/benxi/versions/2/approve", headers=CHECKER)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["approved_by"]) == ("approved", "pack-checker")
    priced = await quote(client, 2012)
    assert priced.status_code == 200, priced.text
    assert priced.json()["pack"] == {"id": "benxi", "version": 2}
    assert priced.json()["general_subsidy"] == "240.00"
    assert priced.json()["assistance_subsidy"] == "150.00"  # dibao 100 % of the adult's 150.00 (B§一(二)1)
    assert (await quote(client, 2010)).json()["pack"] == {"id": "benxi", "version": 2}  # same 2010 figures


async def test_a_version_short_of_the_national_general_subsidy_stays_a_draft(
    client: httpx.AsyncClient,
) -> None:
    """P5: restating 2010's general subsidy (120.00) for 2011 falls short of 2011's national minimum
    (200.00): validation reports it with the citation, the version stays a draft and cannot be approved."""
    body = restated(await benxi_content(client), 2, [2011], "restated (test)")
    assert (await client.post("/v1/packs/benxi/versions", json=body, headers=MAKER)).status_code == 201
    report = (await client.post("/v1/packs/benxi/versions/2/validate", headers=MAKER)).json()
    assert (report["state"], report["valid"]) == ("draft", False)
    shortfalls = {
        (s["rule"], s["age_group"], s["short_by"]) for y in report["years"] for s in y["shortfalls"]
    }
    assert ("general_subsidy_minimum", "adult", "80.00") in shortfalls
    assert (await client.post("/v1/packs/benxi/versions/2/approve", headers=CHECKER)).status_code == 409


@pytest.mark.parametrize(
    ("change", "headers", "status", "field"),
    [
        ({"version": 3}, MAKER, 409, "body.version"),
        ({"version": 1}, MAKER, 409, "body.version"),
        ({"id": "benxi-other"}, MAKER, 422, "body.id"),
        ({}, bearer(Role.social_insurance, subject="dalian", region="210200"), 403, None),
        ({}, CHECKER, 403, None),  # finance approves, the social insurance bureau proposes
    ],
)
async def test_a_proposal_is_refused_when_misnumbered_misnamed_or_out_of_the_tokens_region(
    client: httpx.AsyncClient, change: dict[str, Any], headers: dict[str, str], status: int, field: str | None
) -> None:
    body = {**benxi_2012(await benxi_content(client)), **change}
    response = await client.post("/v1/packs/benxi/versions", json=body, headers=headers)
    assert response.status_code == status, response.text
    if field is not None:
        assert response.json()["errors"][0]["field"] == field
    listed = (await client.get("/v1/packs/benxi/versions", headers=READER)).json()["items"]
    assert [item["version"] for item in listed] == [1]  # nothing written


async def test_the_database_refuses_a_version_approved_by_its_maker(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """Maker-checker holds below the API too: the CHECK constraint refuses approved_by = proposed_by."""
    assert (
        await client.post(
            "/v1/packs/benxi/versions", json=benxi_2012(await benxi_content(client)), headers=MAKER
        )
    ).status_code == 201
    with pytest.raises(IntegrityError, match="ck_packs_approved_by_another"):
        async with session.begin_nested():
            await session.execute(
                text(
                    "UPDATE packs SET state = 'approved', validated_at = now(), approved_by = proposed_by "
                    "WHERE pack_id = 'benxi' AND version = 2"
                )
            )
