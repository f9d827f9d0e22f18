"""Assessments over a respx-mocked roster, with hand-worked totals (B§一(二), B§三, B§四, P6).

Benxi 2010 illustrative contributions: minor 40.00, adult 150.00, elderly 90.00; dibao 100 %, marginal
70 %; districts 7:3, counties 5:5.

Roster at T1 (annual = certified on 1 January):
  A dibao adult, 平山 210502                 150.00 → city 105.00, district 45.00
  B marginal minor, 本溪县 210521             28.00 → city 14.00, county 14.00 (resident pays 12.00)
  C dibao + marginal elderly, 溪湖 210503     90.00 → city 63.00, district 27.00 (most favourable: dibao)
  D marginal adult, 桓仁 210522              105.00 → city 52.50, county 52.50 (resident pays 45.00)
  E dibao adult joining 2010-06-01 (new entrant, not annual)
  F marginal adult 210502, already paid (left out of annual; refunded: 105.00 → 73.50 / 31.50)
Annual v1: 373.00 = city 234.50 + district/county 138.50; contributions 430.00; residents pay 57.00.
"""

from __future__ import annotations

import json

import httpx
import respx

from .helpers import SOCIAL, mock_roster, money, stream_lines, wait_for_run
from .roster import person
from .scenario import ROSTER_T1, ROSTER_T2, T1, T2, T3, B, C, D, F, G, start


@respx.mock
async def test_annual_assessment_matches_hand_worked_totals(live_client: httpx.AsyncClient) -> None:
    """B§一(二), B§三, B§四(一)(二)(四): four annual residents; E (joins in June) and F (already paid) left out."""
    mock_roster(respx.mock, {T1: ROSTER_T1})
    assessment_id, run = await start(live_client, "annual", T1, paid=[F["id_number"]])
    assert run["status"] == "complete", run
    assert (run["version"], run["rows_read"], run["rows_assessed"]) == (1, 6, 4)
    version = (await live_client.get(f"/v1/assessments/{assessment_id}/versions/1", headers=SOCIAL)).json()
    totals = version["totals"]
    assert version["status"] == "complete"
    assert version["pack"] == {"id": "benxi", "version": 1}
    assert (version["line_count"], version["resident_count"]) == (4, 4)
    assert totals["assistance_subsidy"] == "373.00"
    assert totals["individual_contribution"] == "430.00"
    assert totals["resident_pays"] == "57.00"
    assert totals["by_payer"] == {
        "central": "0.00",
        "province": "0.00",
        "city": "234.50",
        "district_or_county": "138.50",
    }
    assert totals["by_category"]["dibao"]["assistance_subsidy"] == "240.00"
    assert totals["by_category"]["marginal"]["assistance_subsidy"] == "133.00"
    assert {k: v["assistance_subsidy"] for k, v in totals["by_age_group"].items()} == {
        "adult": "255.00",
        "elderly": "90.00",
        "minor": "28.00",
    }
    assert totals["by_region"]["210522"]["by_payer"]["district_or_county"] == "52.50"
    lines = await stream_lines(live_client, assessment_id, 1)
    by_id = {line["id_number"]: line for line in lines}
    assert by_id[C["id_number"]]["category"] == "dibao"
    assert by_id[C["id_number"]]["assistance_subsidy"] == "90.00"
    assert by_id[B["id_number"]]["resident_pays"] == "12.00"
    assert by_id[B["id_number"]]["citation"] == "本政办发〔2009〕130号 B§一(二)2"
    assert {line["line_kind"] for line in lines} == {"regular"}


@respx.mock
async def test_totals_equal_the_sum_of_the_lines_to_the_fen(live_client: httpx.AsyncClient) -> None:
    """P6: totals (computed in SQL) equal the sum of the streamed lines, per payer, and each line adds up."""
    mock_roster(respx.mock, {T1: ROSTER_T1})
    assessment_id, _run = await start(live_client, "annual", T1)
    lines = await stream_lines(live_client, assessment_id, 1)
    totals = (await live_client.get(f"/v1/assessments/{assessment_id}/versions/1", headers=SOCIAL)).json()[
        "totals"
    ]
    for payer in ("central", "province", "city", "district_or_county"):
        assert sum(money(line["by_payer"][payer]) for line in lines) == money(totals["by_payer"][payer])
    assert sum(money(line["assistance_subsidy"]) for line in lines) == money(totals["assistance_subsidy"])
    for line in lines:
        assert sum(money(v) for v in line["by_payer"].values()) == money(line["assistance_subsidy"])
    # 5 annual residents here (F is not excluded without a paid list): 373.00 + 105.00
    assert totals["assistance_subsidy"] == "478.00"


@respx.mock
async def test_a_changed_roster_gives_a_new_version_with_adjustment_lines_and_a_diff(
    live_client: httpx.AsyncClient,
) -> None:
    """B§四(三) and E2: a back-dated change (B marginal → dibao), an exit (D) and a missed resident (G) give
    version 2 = version 1's lines unchanged + adjustments: D −105.00 (city −52.50, county −52.50),
    G +40.00 (28.00 / 12.00), B −28.00 (−14.00 / −14.00) and +40.00 (20.00 / 20.00).
    Total 373.00 − 105.00 + 40.00 − 28.00 + 40.00 = 320.00; city 216.00, districts/counties 104.00."""
    mock_roster(respx.mock, {T1: ROSTER_T1, T2: ROSTER_T2, T3: ROSTER_T2})
    assessment_id, _run = await start(live_client, "annual", T1, paid=[F["id_number"]])
    rerun = await live_client.post(
        f"/v1/assessments/{assessment_id}/runs", json={"as_of": T2, "paid": [F["id_number"]]}, headers=SOCIAL
    )
    assert rerun.status_code == 202, rerun.text
    run = await wait_for_run(live_client, assessment_id, rerun.json()["id"])
    assert (run["status"], run["version"]) == ("complete", 2)
    version = (await live_client.get(f"/v1/assessments/{assessment_id}/versions/2", headers=SOCIAL)).json()
    assert version["previous_version"] == 1
    assert version["totals"]["assistance_subsidy"] == "320.00"
    assert version["totals"]["by_payer"]["city"] == "216.00"
    assert version["totals"]["by_payer"]["district_or_county"] == "104.00"
    assert version["totals"]["by_category"]["marginal"]["assistance_subsidy"] == "0.00"  # 133 − 105 − 28
    assert version["totals"]["by_category"]["dibao"]["assistance_subsidy"] == "320.00"
    lines = await stream_lines(live_client, assessment_id, 2)
    assert len(lines) == 8
    regular = [line for line in lines if line["line_kind"] == "regular"]
    assert len(regular) == 4  # version 1's lines, not overwritten
    adjustments = {
        (line["id_number"], line["change"]): line for line in lines if line["line_kind"] == "adjustment"
    }
    assert {line["adjusts_version"] for line in adjustments.values()} == {1}
    assert adjustments[(D["id_number"], "exited")]["assistance_subsidy"] == "-105.00"
    assert adjustments[(D["id_number"], "exited")]["by_payer"]["district_or_county"] == "-52.50"
    assert adjustments[(G["id_number"], "new")]["by_payer"]["city"] == "28.00"
    assert adjustments[(B["id_number"], "reversal")]["assistance_subsidy"] == "-28.00"
    assert adjustments[(B["id_number"], "replacement")]["assistance_subsidy"] == "40.00"
    assert adjustments[(B["id_number"], "replacement")]["by_payer"]["city"] == "20.00"

    diff = (await live_client.get(f"/v1/assessments/{assessment_id}/versions/2/diff", headers=SOCIAL)).json()
    assert diff["counts"] == {"new": 1, "exited": 1, "changed": 1}
    assert diff["before"]["total"] == "373.00"
    assert diff["after"]["total"] == "320.00"
    assert diff["difference"] == {
        "central": "0.00",
        "province": "0.00",
        "city": "-18.50",
        "district_or_county": "-34.50",
        "total": "-53.00",
    }
    items = {item["id_number"]: item for item in diff["items"]}
    assert items[B["id_number"]]["change"] == "changed"
    assert items[B["id_number"]]["before"]["category"] == "marginal"
    assert items[B["id_number"]]["after"]["category"] == "dibao"
    assert items[B["id_number"]]["difference"] == "12.00"

    # Same results at a later as_of: no new version (the run ends unchanged, pointing at version 2).
    again = await live_client.post(
        f"/v1/assessments/{assessment_id}/runs", json={"as_of": T3, "paid": [F["id_number"]]}, headers=SOCIAL
    )
    unchanged = await wait_for_run(live_client, assessment_id, again.json()["id"])
    assert (unchanged["status"], unchanged["version"]) == ("unchanged", 2)
    # Same inputs as the latest version: answered at once, nothing run.
    same = await live_client.post(
        f"/v1/assessments/{assessment_id}/runs", json={"as_of": T2, "paid": [F["id_number"]]}, headers=SOCIAL
    )
    assert same.status_code == 200
    assert same.json()["version"] == 2
    assessment = (await live_client.get(f"/v1/assessments/{assessment_id}", headers=SOCIAL)).json()
    assert assessment["latest_version"] == 2
    assert assessment["versions"] == [1, 2]


@respx.mock
async def test_new_entrants_and_refunds(live_client: httpx.AsyncClient) -> None:
    """B§四(三): E joins on 2010-06-01 as dibao adult → 150.00 (105.00 / 45.00, full year).
    B§四(四): F had already paid → refunded 105.00 (73.50 / 31.50); a listed person not on the roster is
    reported unmatched, not refunded."""
    roster = mock_roster(respx.mock, {T1: ROSTER_T1})
    entrants_id, entrants = await start(live_client, "new_entrants", T1)
    assert entrants["rows_assessed"] == 1
    # only the people eligibility finds first eligible after 1 January are sent, not the whole roster
    assert roster.calls.last.request.url.params["first_eligible_after"] == "2010-01-01"
    totals = (await live_client.get(f"/v1/assessments/{entrants_id}/versions/1", headers=SOCIAL)).json()[
        "totals"
    ]
    assert totals["assistance_subsidy"] == "150.00"
    assert totals["by_payer"]["city"] == "105.00"

    stranger = person("210505", "1960-06-06", 19, [("dibao", "2009-01-01", None)])["id_number"]
    refunds_id, refunds = await start(live_client, "refunds", T1, paid=[F["id_number"], stranger])
    assert (refunds["paid_listed"], refunds["paid_unmatched"], refunds["rows_assessed"]) == (2, 1, 1)
    # the refund run asked eligibility for the paid list's rows only, not the whole roster
    asked = [c.request for c in respx.mock.calls if c.request.url.path == "/v1/roster/selection"]
    assert [json.loads(r.content)["id_numbers"] for r in asked] == [sorted([F["id_number"], stranger])]
    lines = await stream_lines(live_client, refunds_id, 1)
    assert [(line["id_number"], line["assistance_subsidy"]) for line in lines] == [(F["id_number"], "105.00")]
    assert lines[0]["by_payer"]["city"] == "73.50"


@respx.mock
async def test_lines_page_by_keyset(live_client: httpx.AsyncClient) -> None:
    """Bulk reads: keyset pages by line id give every line once, in order."""
    mock_roster(respx.mock, {T1: ROSTER_T1})
    assessment_id, _run = await start(live_client, "annual", T1)
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = (
            await live_client.get(
                f"/v1/assessments/{assessment_id}/versions/1/lines", params=params, headers=SOCIAL
            )
        ).json()
        seen.extend(line["id_number"] for line in page["items"])
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(r["id_number"] for r in ROSTER_T1 if r["certified_at_year_start"])


@respx.mock
async def test_a_broken_roster_fails_the_run_and_stores_no_results(live_client: httpx.AsyncClient) -> None:
    """S4: a run whose roster cannot be read ends failed with the reason; nothing half-written counts."""
    respx.mock.get("http://127.0.0.1:8001/v1/roster").mock(return_value=httpx.Response(503))
    response = await live_client.post(
        "/v1/assessments",
        json={"region": "210500", "year": 2010, "kind": "annual", "as_of": T1},
        headers=SOCIAL,
    )
    body = response.json()
    run = await wait_for_run(live_client, body["assessment"]["id"], body["run"]["id"])
    assert run["status"] == "failed"
    assert "503" in run["error"]
    assessment = (await live_client.get(f"/v1/assessments/{body['assessment']['id']}", headers=SOCIAL)).json()
    assert assessment["latest_version"] == 0


async def test_assessment_requests_are_checked(live_client: httpx.AsyncClient) -> None:
    """Bad input is a 422 naming the field and writes nothing; refunds need the paid list (B§四(四));
    only social insurance assesses (B§四: 市社保局核定); a token for another region is refused."""
    bad = await live_client.post(
        "/v1/assessments",
        json={"region": "2105", "year": 2010, "kind": "annual", "as_of": T1},
        headers=SOCIAL,
    )
    assert bad.status_code == 422
    assert "body.region" in [e["field"] for e in bad.json()["errors"]]
    naive = await live_client.post(
        "/v1/assessments",
        json={"region": "210500", "year": 2010, "kind": "annual", "as_of": "2010-01-05T00:00:00"},
        headers=SOCIAL,
    )
    assert naive.status_code == 422
    refunds = await live_client.post(
        "/v1/assessments",
        json={"region": "210500", "year": 2010, "kind": "refunds", "as_of": T1},
        headers=SOCIAL,
    )
    assert refunds.status_code == 422
    from huimin_shared.auth import Role
    from huimin_shared.testing import bearer

    finance = await live_client.post(
        "/v1/assessments",
        json={"region": "210500", "year": 2010, "kind": "annual", "as_of": T1},
        headers=bearer(Role.finance),
    )
    assert finance.status_code == 403
    elsewhere = await live_client.post(
        "/v1/assessments",
        json={"region": "210500", "year": 2010, "kind": "annual", "as_of": T1},
        headers=bearer(Role.social_insurance, region="510100"),
    )
    assert elsewhere.status_code == 403
    listed = (await live_client.get("/v1/assessments", headers=SOCIAL)).json()
    assert listed["items"] == []


@respx.mock
async def test_a_kind_with_nobody_in_it_completes_with_zero_totals(live_client: httpx.AsyncClient) -> None:
    """B§四(三): a year with no new entrants is a complete, empty assessment (0.00), not a failed run —
    settlement reads it and has nothing to pay."""
    mock_roster(respx.mock, {T1: [row for row in ROSTER_T1 if row["certified_at_year_start"]]})
    assessment_id, run = await start(live_client, "new_entrants", T1)
    assert run["status"] == "complete", run
    version = (await live_client.get(f"/v1/assessments/{assessment_id}/versions/1", headers=SOCIAL)).json()
    assert version["line_count"] == 0
    assert version["totals"]["assistance_subsidy"] == "0.00"
    assert version["totals"]["by_payer"]["city"] == "0.00"
