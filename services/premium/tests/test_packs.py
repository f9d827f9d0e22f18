"""Policy pack routes and the floor check (P4–P5)."""

from __future__ import annotations

import copy

import httpx

from huimin_policy.packs.files import shipped_packs

from .helpers import SOCIAL


async def test_packs_are_loaded_on_start_and_listed(client: httpx.AsyncClient) -> None:
    """P1–P6 as data: the national pack (民发〔2007〕156号) and the Benxi pack (本政办发〔2009〕130号) are stored."""
    body = (await client.get("/v1/packs", headers=SOCIAL)).json()
    documents = {(item["id"], item["version"]): item for item in body["items"]}
    assert documents[("national", 1)]["document"] == "民发〔2007〕156号"
    assert documents[("benxi", 1)]["document"] == "本政办发〔2009〕130号"
    assert documents[("benxi", 1)]["region"] == "210500"
    assert documents[("benxi", 1)]["illustrative"] is True
    detail = (await client.get("/v1/packs/benxi/versions/1", headers=SOCIAL)).json()
    marginal = detail["content"]["subsidy_rates"]["marginal"]["values"]["2010-01-01"]
    assert marginal == {
        "value": "0.70",
        "reference": "本政办发〔2009〕130号 B§一(二)2",
        "illustrative": False,
    }
    adult = detail["content"]["base_amounts"]["individual_contribution"]["adult"]["values"]["2010-01-01"]
    assert adult["illustrative"] is True
    assert (await client.get("/v1/packs/nowhere/versions", headers=SOCIAL)).status_code == 404


async def test_the_benxi_pack_meets_the_national_floors(client: httpx.AsyncClient) -> None:
    """P5: dibao 100 % of 40.00 / 150.00 / 90.00 is at least 10.00 / 60.00 / 60.00; severely disabled and
    low-income elderly are not Benxi categories (listed as uncovered, N§一), not shortfalls."""
    report = (
        await client.get("/v1/packs/benxi/versions/1/validation", params={"year": 2010}, headers=SOCIAL)
    ).json()
    assert report["valid"] is True
    assert report["shortfalls"] == []
    assert report["general_subsidy_minimum"] == "120.00"
    assert {(u["category"], u["age_group"]) for u in report["uncovered"]} == {
        ("severely_disabled", "minor"),
        ("severely_disabled", "adult"),
        ("severely_disabled", "elderly"),
        ("low_income_elderly", "elderly"),
    }


async def test_a_pack_below_the_floors_reports_each_shortfall(client: httpx.AsyncClient) -> None:
    """P4–P5: a candidate with dibao at 20 % and a general subsidy of 100.00: dibao minor 8.00 < 10.00 (short
    2.00), adult 30.00 < 60.00 (short 30.00), elderly 18.00 < 60.00 (short 42.00); general subsidy 100.00 <
    120.00 for each age group (short 20.00)."""
    benxi = next(p for p in shipped_packs() if p.id == "benxi")
    candidate = copy.deepcopy(benxi.model_dump(mode="json"))
    candidate["id"] = "benxi-draft"
    candidate["subsidy_rates"]["dibao"]["values"]["2010-01-01"]["value"] = "0.20"
    for group in ("minor", "adult", "elderly"):
        candidate["base_amounts"]["general_subsidy"][group]["values"]["2010-01-01"]["value"] = "100.00"
    response = await client.post("/v1/packs/validate", params={"year": 2010}, json=candidate, headers=SOCIAL)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["valid"] is False
    shortfalls = {
        (s["rule"], s["category"], s["age_group"]): (s["required"], s["provided"], s["short_by"])
        for s in report["shortfalls"]
    }
    assert shortfalls[("national_floor.N-minor", "dibao", "minor")] == ("10.00", "8.00", "2.00")
    assert shortfalls[("national_floor.N-other", "dibao", "adult")] == ("60.00", "30.00", "30.00")
    assert shortfalls[("national_floor.N-other", "dibao", "elderly")] == ("60.00", "18.00", "42.00")
    assert shortfalls[("general_subsidy_minimum", None, "adult")] == ("120.00", "100.00", "20.00")
    assert len(shortfalls) == 6


async def test_a_malformed_candidate_pack_is_a_422_naming_the_field(client: httpx.AsyncClient) -> None:
    """P6: amounts are decimal strings; a float is refused with the field named."""
    benxi = next(p for p in shipped_packs() if p.id == "benxi")
    candidate = benxi.model_dump(mode="json")
    candidate["subsidy_rates"]["dibao"]["values"]["2010-01-01"]["value"] = 1.0
    response = await client.post("/v1/packs/validate", params={"year": 2010}, json=candidate, headers=SOCIAL)
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.startswith("body.subsidy_rates.dibao.values.2010-01-01.value") for f in fields), fields
