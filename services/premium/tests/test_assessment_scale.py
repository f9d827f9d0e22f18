"""An assessment of 100,000 synthetic residents through a respx-mocked NDJSON roster (P6, issue 5 "done when").

The totals, computed in SQL from the lines, must equal (1) the sum of the streamed lines and (2) a
sum made here by applying the pure rules to the same roster rows — to the fen, per payer. This
checks the pipeline (stream, calculator, COPY, SQL totals) at scale, not the rules themselves: those
are checked against hand-worked figures in test_rules.py and test_quotes.py.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import httpx
import respx

from huimin_policy.enums import Category
from huimin_policy.packs.files import shipped_packs
from huimin_premium import rules

from .helpers import SOCIAL, mock_roster, stream_lines, wait_for_run
from .roster import synthetic_roster

AS_OF = "2010-12-31T16:00:00+08:00"
COUNT = 100_000


def expected_totals(rows: list[dict]) -> dict[str, Decimal]:  # type: ignore[type-arg]
    packs = {pack.id: pack for pack in shipped_packs()}
    params = rules.resolve(packs["benxi"], packs["national"], 2010)
    totals: Counter[str] = Counter()
    cache: dict[tuple[frozenset[Category], str, str], rules.Outcome] = {}
    for row in rows:
        if not row["certified_at_year_start"]:
            continue
        held = rules.categories_on(
            [
                (
                    c["category"],
                    date.fromisoformat(c["valid_from"]),
                    c["valid_to"] and date.fromisoformat(c["valid_to"]),
                )
                for c in row["categories"]
            ],
            date(2010, 1, 1),
        )
        born = date.fromisoformat(row["birth_date"])
        key = (held, rules.age_group(born, 2010).value, row["region_code"])
        if key not in cache:
            cache[key] = rules.calculate(born, row["region_code"], held, params)
        outcome = cache[key]
        totals["assistance_subsidy"] += outcome.assistance_subsidy.value  # type: ignore[assignment]
        for payer, cited in outcome.by_payer.items():
            totals[payer.value] += cited.value  # type: ignore[assignment]
        totals["residents"] += 1
    return dict(totals)  # type: ignore[arg-type]


@respx.mock
async def test_an_assessment_of_100000_synthetic_residents_reconciles_to_the_fen(
    live_client: httpx.AsyncClient,
) -> None:
    """P6: 100,000 synthetic residents (annual kind); totals = sum of lines = independent sum, to the fen."""
    rows = list(synthetic_roster(COUNT, year=2010, seed=7))
    mock_roster(respx.mock, {AS_OF: rows})
    response = await live_client.post(
        "/v1/assessments",
        json={"region": "210500", "year": 2010, "kind": "annual", "as_of": AS_OF},
        headers=SOCIAL,
    )
    assert response.status_code == 202, response.text
    assessment_id = response.json()["assessment"]["id"]
    run = await wait_for_run(live_client, assessment_id, response.json()["run"]["id"])
    assert run["status"] == "complete", run
    assert run["rows_read"] == len(rows)
    version = (await live_client.get(f"/v1/assessments/{assessment_id}/versions/1", headers=SOCIAL)).json()
    totals = version["totals"]
    expected = expected_totals(rows)
    assert version["resident_count"] == expected["residents"] == run["rows_assessed"]
    assert Decimal(totals["assistance_subsidy"]) == expected["assistance_subsidy"]
    for payer in ("central", "province", "city", "district_or_county"):
        assert Decimal(totals["by_payer"][payer]) == expected[payer], payer
    lines = await stream_lines(live_client, assessment_id, 1)
    assert len(lines) == version["line_count"]
    assert sum(Decimal(line["assistance_subsidy"]) for line in lines) == Decimal(totals["assistance_subsidy"])
    for payer in ("central", "province", "city", "district_or_county"):
        assert sum(Decimal(line["by_payer"][payer]) for line in lines) == Decimal(totals["by_payer"][payer])
    assert sum(Decimal(g["assistance_subsidy"]) for g in totals["by_region"].values()) == Decimal(
        totals["assistance_subsidy"]
    )
