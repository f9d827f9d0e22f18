"""The `category` filter on a version's lines, the grouped read (`/groups`) and the NDJSON lines rendered by
PostgreSQL (B§三, B§四(一)(二), P6). Scenario as in test_assessments.py (Benxi 2010, dibao 100 %, marginal 70 %):

  v1 (F on the paid list): A dibao adult 210502 150.00 (city 105.00, district 45.00; contribution 150.00)
                           B marginal minor 210521 28.00 (14.00 / 14.00; contribution 40.00, pays 12.00)
                           C dibao elderly 210503 90.00 (63.00 / 27.00; contribution 90.00)
                           D marginal adult 210522 105.00 (52.50 / 52.50; contribution 150.00, pays 45.00)
  v2 adds adjustments: D exited −105.00, G (dibao minor 210504) new +40.00 (28.00 / 12.00),
                       B reversal −28.00 (marginal) and replacement +40.00 (dibao, 20.00 / 20.00).
"""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import respx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from huimin_premium.assessments.models import AssessmentLine, AssessmentVersion
from huimin_premium.assessments.views import ndjson_line

from .helpers import SOCIAL, mock_roster, money, wait_for_run
from .scenario import ROSTER_T1, ROSTER_T2, T1, T2, B, D, F, start

NDJSON = {**SOCIAL, "Accept": "application/x-ndjson"}
PAYERS = ("central", "province", "city", "district_or_county")


async def _version_two(client: httpx.AsyncClient) -> str:
    mock_roster(respx.mock, {T1: ROSTER_T1, T2: ROSTER_T2})
    assessment_id, run = await start(client, "annual", T1, paid=[F["id_number"]])
    assert run["status"] == "complete", run
    rerun = await client.post(
        f"/v1/assessments/{assessment_id}/runs", json={"as_of": T2, "paid": [F["id_number"]]}, headers=SOCIAL
    )
    assert rerun.status_code == 202, rerun.text
    assert (await wait_for_run(client, assessment_id, rerun.json()["id"]))["version"] == 2
    return assessment_id


@respx.mock
async def test_category_filter_keeps_only_that_categorys_lines(live_client: httpx.AsyncClient) -> None:
    """B§四(二): the marginal instalments read only marginal lines — B 28.00 and D 105.00 = 133.00, the
    version's by_category marginal total; dibao + none gives A and C (150.00 + 90.00 = 240.00)."""
    mock_roster(respx.mock, {T1: ROSTER_T1})
    assessment_id, _run = await start(live_client, "annual", T1, paid=[F["id_number"]])
    path = f"/v1/assessments/{assessment_id}/versions/1/lines"
    response = await live_client.get(path, params={"category": "marginal"}, headers=NDJSON)
    assert response.status_code == 200, response.text
    lines = [json.loads(text) for text in response.text.splitlines()]
    assert sorted(line["id_number"] for line in lines) == sorted([B["id_number"], D["id_number"]])
    assert sum(money(line["assistance_subsidy"]) for line in lines) == Decimal("133.00")
    page = await live_client.get(path, params=[("category", "dibao"), ("category", "none")], headers=SOCIAL)
    assert page.status_code == 200, page.text
    assert [line["assistance_subsidy"] for line in page.json()["items"]] == ["150.00", "90.00"]
    assert {line["category"] for line in page.json()["items"]} == {"dibao"}
    bad = await live_client.get(path, params={"category": "rich"}, headers=SOCIAL)
    assert bad.status_code == 422
    assert "category" in bad.text


@respx.mock
async def test_groups_sum_the_lines_per_region_category_age_group_and_kind(
    live_client: httpx.AsyncClient,
) -> None:
    """P6: v2's groups, hand-worked — 210521 marginal minor has the regular 28.00 and the reversal −28.00;
    210521 dibao minor the replacement +40.00 (20.00 / 20.00); 210522 marginal adult 105.00 and −105.00;
    all groups add up to 320.00 (city 216.00, district/county 104.00) and each equals its lines to the fen."""
    assessment_id = await _version_two(live_client)
    response = await live_client.get(f"/v1/assessments/{assessment_id}/versions/2/groups", headers=SOCIAL)
    assert response.status_code == 200, response.text
    groups = {
        (g["region_code"], g["category"], g["age_group"], g["line_kind"]): g for g in response.json()["items"]
    }
    assert groups[("210521", "marginal", "minor", "regular")] == {
        "region_code": "210521",
        "category": "marginal",
        "age_group": "minor",
        "line_kind": "regular",
        "count": 1,
        "individual_contribution": "40.00",
        "assistance_subsidy": "28.00",
        "resident_pays": "12.00",
        "by_payer": {"central": "0.00", "province": "0.00", "city": "14.00", "district_or_county": "14.00"},
    }
    assert groups[("210521", "marginal", "minor", "adjustment")]["assistance_subsidy"] == "-28.00"
    replacement = groups[("210521", "dibao", "minor", "adjustment")]
    assert (replacement["count"], replacement["assistance_subsidy"]) == (1, "40.00")
    assert replacement["by_payer"]["city"] == replacement["by_payer"]["district_or_county"] == "20.00"
    assert groups[("210522", "marginal", "adult", "adjustment")]["assistance_subsidy"] == "-105.00"
    assert sum(money(g["assistance_subsidy"]) for g in groups.values()) == Decimal("320.00")
    assert sum(money(g["by_payer"]["city"]) for g in groups.values()) == Decimal("216.00")
    assert sum(g["count"] for g in groups.values()) == 8
    streamed = await live_client.get(f"/v1/assessments/{assessment_id}/versions/2/lines", headers=NDJSON)
    sums: dict[tuple[str, str, str, str], list[Decimal]] = {}
    for line in (json.loads(text) for text in streamed.text.splitlines()):
        key = (line["region_code"], line["category"], line["age_group"], line["line_kind"])
        amounts = [line["assistance_subsidy"], line["individual_contribution"], line["resident_pays"]]
        amounts += [line["by_payer"][p] for p in PAYERS]
        row = sums.setdefault(key, [Decimal(0)] * 8)
        for i, value in enumerate(amounts):
            row[i] += money(value)
        row[7] += 1
    for key, row in sums.items():
        group = groups[key]
        expected = [group["assistance_subsidy"], group["individual_contribution"], group["resident_pays"]]
        expected += [group["by_payer"][p] for p in PAYERS]
        assert [*map(money, expected), group["count"]] == row, key


@respx.mock
async def test_lines_rendered_by_postgresql_equal_the_python_rendering(
    live_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """P6: the NDJSON rendered in SQL keeps every field and format of the line contract — each streamed line
    parses to exactly what the former Python renderer (`ndjson_line`) gives for the same row, amounts as
    "0.00" strings (negative adjustments included), in line-id order."""
    assessment_id = await _version_two(live_client)
    streamed = await live_client.get(f"/v1/assessments/{assessment_id}/versions/2/lines", headers=NDJSON)
    assert streamed.status_code == 200, streamed.text
    new = [json.loads(text) for text in streamed.text.splitlines()]
    async with AsyncSession(engine) as session:
        version_id = await session.scalar(
            select(AssessmentVersion.id).where(
                AssessmentVersion.assessment_id == assessment_id, AssessmentVersion.version == 2
            )
        )
        rows = await session.scalars(
            select(AssessmentLine).where(AssessmentLine.version_id == version_id).order_by(AssessmentLine.id)
        )
        old = [json.loads(ndjson_line(row)) for row in rows]
    assert len(new) == 8
    assert new == old
    assert [list(line) for line in new] == [list(line) for line in old]  # same keys in the same order
    assert "-105.00" in {line["assistance_subsidy"] for line in new}
    page = await live_client.get(
        f"/v1/assessments/{assessment_id}/versions/2/lines", params={"limit": 100}, headers=SOCIAL
    )
    assert page.json()["items"] == new
