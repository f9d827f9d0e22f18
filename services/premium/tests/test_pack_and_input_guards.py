"""Review fixes on the pure rules, the pack checks and the input bounds (P4, P5, P6; a 500 is a bug).

Illustrative Benxi 2010 amounts (pack benxi v1): individual contribution minor 40.00, adult 150.00,
elderly 90.00. National floors (N§二): minor 10.00, other dibao 60.00; central shares in central and
western provinces 5.00 / 30.00.
"""

from __future__ import annotations

import copy
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy.enums import Category
from huimin_policy.packs.files import shipped_packs
from huimin_policy.packs.model import Pack
from huimin_premium import rules
from huimin_premium.assessments.models import Assessment

from .helpers import SOCIAL

BIG = 2**40  # beyond a PostgreSQL integer (int32)
HUGE = 2**70  # beyond a bigint (int64)


def shipped(pack_id: str) -> dict[str, Any]:
    return copy.deepcopy(next(p for p in shipped_packs() if p.id == pack_id).model_dump(mode="json"))


def value(amount: str) -> dict[str, dict[str, str]]:
    return {"2010-01-01": {"value": amount, "reference": "test candidate"}}


def western_pack() -> Pack:
    """A city pack for 成都 (510100, a western province) holding Benxi's shape, with dibao at 30 %."""
    content = shipped("benxi")
    content.update(id="chengdu-draft", region="510100")
    content["subsidy_rates"]["dibao"]["values"] = value("0.30")
    return Pack.model_validate(content)


@pytest.mark.parametrize(
    ("held", "category", "subsidy", "payers"),
    [
        # dibao 30 % = 45.00 < floor 60.00 → 60.00; central 30.00; local 30.00 at 7:3 → 21.00 / 9.00
        (["dibao"], "dibao", "60.00", ("30.00", "0.00", "21.00", "9.00")),
        # marginal 70 % = 105.00; no national floor for marginal → no central share; 73.50 / 31.50
        (["marginal"], "marginal", "105.00", ("0.00", "0.00", "73.50", "31.50")),
        # both: marginal's 105.00 wins, and the dibao floor's central 30.00 stays: local 75.00 → 52.50 / 22.50
        (["dibao", "marginal"], "marginal", "105.00", ("30.00", "0.00", "52.50", "22.50")),
    ],
)
def test_the_central_share_follows_every_held_category_with_a_floor(
    held: list[str], category: str, subsidy: str, payers: tuple[str, ...]
) -> None:
    """N§二 / P4: central finance pays 30.00 for a dibao adult in a western province even when the local
    marginal rate gives the larger subsidy (before: central 0.00, city 73.50, district 31.50)."""
    national = next(p for p in shipped_packs() if p.id == "national")
    params = rules.resolve(western_pack(), national, 2010)
    outcome = rules.calculate(date(1980, 5, 5), "510104", [Category(c) for c in held], params)
    assert outcome.category == Category(category)
    assert outcome.assistance_subsidy.value == Decimal(subsidy)
    assert tuple(str(v) for v in rules.payer_amounts(outcome)) == payers
    assert sum(rules.payer_amounts(outcome)) == outcome.assistance_subsidy.value


async def test_a_pack_that_leaves_out_dibao_falls_short_of_the_floors(client: httpx.AsyncClient) -> None:
    """P5 / N§一: dibao is defined nationally, so a pack subsidising only marginal gives dibao nothing:
    minor 10.00 short 10.00, adult 60.00 short 60.00, elderly min(60.00, 90.00) = 60.00 short 60.00.
    Only severely_disabled and low_income_elderly are left to local definition (uncovered)."""
    candidate = shipped("benxi")
    candidate.update(id="benxi-draft", categories=["marginal"])
    candidate["subsidy_rates"] = {"marginal": candidate["subsidy_rates"]["marginal"]}
    response = await client.post("/v1/packs/validate", params={"year": 2010}, json=candidate, headers=SOCIAL)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["valid"] is False
    assert {
        (s["rule"], s["category"], s["age_group"]): (s["required"], s["provided"], s["short_by"])
        for s in report["shortfalls"]
    } == {
        ("national_floor.N-minor", "dibao", "minor"): ("10.00", "0.00", "10.00"),
        ("national_floor.N-other", "dibao", "adult"): ("60.00", "0.00", "60.00"),
        ("national_floor.N-other", "dibao", "elderly"): ("60.00", "0.00", "60.00"),
    }
    assert "dibao" not in {u["category"] for u in report["uncovered"]}
    assert {u["category"] for u in report["uncovered"]} == {"severely_disabled", "low_income_elderly"}
    assert all("N§一 leaves its definition to local government" in u["note"] for u in report["uncovered"])


@pytest.mark.parametrize(
    ("path", "edit", "field"),
    [
        # P1/P4: a negative contribution would make the subsidy and the payers negative
        (
            ("base_amounts", "individual_contribution", "adult", "values"),
            value("-150.00"),
            "base_amounts.individual_contribution.adult",
        ),
        (
            ("base_amounts", "general_subsidy", "minor", "values"),
            value("-1.00"),
            "base_amounts.general_subsidy",
        ),
        # a rate that is not a finite number cannot be compared with 0 and 1 (was a 500)
        (("subsidy_rates", "marginal", "values"), value("NaN"), "subsidy_rates.marginal"),
        (("subsidy_rates", "marginal", "values"), value("sNaN"), "subsidy_rates.marginal"),
        (("subsidy_rates", "marginal", "values"), value("Infinity"), "subsidy_rates.marginal"),
        # P6: beyond the largest amount a column holds
        (("base_amounts", "individual_contribution", "adult", "values"), value("1e27"), "base_amounts"),
        # P6: central pays a fixed share and never takes a remainder fen
        (("cost_sharing", "remainder"), {"to": "central", "reference": "test"}, ""),
        # P6: the province carries 0 in every Benxi split, so it could never take the fen
        (("cost_sharing", "remainder"), {"to": "province", "reference": "test"}, ""),
        (("version",), BIG, "version"),
    ],
)
async def test_a_candidate_pack_with_an_impossible_value_is_a_422(
    client: httpx.AsyncClient, path: tuple[str, ...], edit: Any, field: str
) -> None:
    """P1, P4, P6: impossible pack values are refused with the field named, never reported valid or a 500."""
    candidate = shipped("benxi")
    node = candidate
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = edit
    response = await client.post("/v1/packs/validate", params={"year": 2010}, json=candidate, headers=SOCIAL)
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    expected = f"body.{field}" if field else "body"
    assert any(f.startswith(expected) for f in fields), fields


@pytest.mark.parametrize(
    "changes",
    [
        {"individual_contribution": {"adult": "-150.00"}},
        {"floors": {"N-minor": "-10.00"}},
        {"eastern_central_share": {"N-other": "-30.00"}},
        {"floors": {"N-minor": "1e27"}},
        {"subsidy_rates": {"marginal": "NaN"}},
        {"cost_sharing": {"district": {"city": 10**40, "district_or_county": 3}}},
    ],
)
async def test_simulation_changes_are_never_negative_or_unbounded(
    client: httpx.AsyncClient, changes: dict[str, Any]
) -> None:
    """P1/P4/P6: a simulated contribution, floor or share is a non-negative, bounded, finite amount (422)."""
    response = await client.post(
        "/v1/simulations", json={"assessment_id": str(uuid.uuid4()), "changes": changes}, headers=SOCIAL
    )
    assert response.status_code == 422, response.text
    assert all(e["field"].startswith("body.changes") for e in response.json()["errors"])


async def test_integers_beyond_the_columns_are_a_422_not_a_500(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A 500 is a bug: version numbers, years, pack versions and run ids beyond int32/int64 are refused as
    input (before: asyncpg overflowed on an existing assessment and answered 500)."""
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
    base = f"/v1/assessments/{assessment.id}"
    for path in (
        f"{base}/versions/{BIG}",
        f"{base}/versions/{BIG}/lines",
        f"{base}/versions/{BIG}/diff",
        f"{base}/runs/{HUGE}",
        f"/v1/assessments?year={BIG}",
        f"/v1/packs/benxi/versions/{BIG}",
        f"/v1/packs/benxi/versions/{BIG}/validation?year=2010",
    ):
        response = await client.get(path, headers=SOCIAL)
        assert response.status_code == 422, (path, response.text)
    # A run id within bigint but unknown is a plain 404.
    assert (await client.get(f"{base}/runs/{2**62}", headers=SOCIAL)).status_code == 404
    for url, body in (
        ("/v1/simulations", {"assessment_id": str(assessment.id), "version": BIG, "changes": {}}),
        (
            "/v1/assessments",
            {
                "region": "210503",
                "year": 2010,
                "kind": "annual",
                "as_of": "2010-01-05T00:00:00+08:00",
                "pack": {"id": "benxi", "version": BIG},
            },
        ),
        (
            "/v1/quotes",
            {
                "year": 2010,
                "facts": {"birth_date": "1980-01-01", "region_code": "210502"},
                "pack": {"id": "benxi", "version": BIG},
            },
        ),
    ):
        response = await client.post(url, json=body, headers=SOCIAL)
        assert response.status_code == 422, (url, response.text)


async def test_a_paid_list_of_the_largest_size_is_not_refused_as_too_large(client: httpx.AsyncClient) -> None:
    """B§四(四): up to MAX_PAID ID numbers come from social insurance — about 4 MB of JSON, more than the
    default body limit; the route takes it (the list one longer is a 422 about the list, not a 413)."""
    from huimin_premium.assessments.schemas import MAX_PAID

    body = {"region": "210503", "year": 2010, "kind": "refunds", "as_of": "2010-12-31T00:00:00+08:00"}
    paid = ["210502198001011234"] * (MAX_PAID + 1)
    response = await client.post("/v1/assessments", json={**body, "paid": paid}, headers=SOCIAL)
    assert response.status_code == 422, response.text[:300]
    assert response.json()["errors"][0]["field"] == "body.paid"
