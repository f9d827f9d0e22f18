"""How settlement reads premium (S3, S4, B§三, B§四(一)(二), P6): the grouped read for snapshots and
pre-allocation, only the categories a batch takes, and marginal instalment 2 computed from instalment 1.

Assessment A-2010 v1 (hand-worked, city:district 7:3, city:county 5:5):
  p1 平山 dibao adult 126.00 + 54.00 = 180.00      p4 平山 marginal adult 88.20 + 37.80 = 126.00
  p2 平山 dibao minor  35.00 + 15.00 =  50.00      p5 溪湖 marginal adult 61.79 + 26.47 =  88.26
  p3 本溪县 dibao elderly 50.00 + 50.00 = 100.00
v2 adds adjustment lines: p5 reversal −61.79 / −26.47 and replacement +61.81 / +26.49 (88.30), and
p6 new 溪湖 marginal minor 0.01 + 0.01 (0.02: instalment 1 takes 0.01 + 0.01, instalment 2 nothing).
"""

from decimal import Decimal

import httpx
import pytest

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

from .conftest import groups_of, record_own_shares
from .test_flows import head_counts, pre_allocate

MAKER = bearer(Role.social_insurance, subject="si-clerk")
CHECKER = bearer(Role.finance, subject="finance-checker")
FINANCE = bearer(Role.finance, subject="finance-clerk")
HEAD_COUNTS = "http://eligibility.test/v1/head-counts"


@pytest.fixture
def residents(make_id):
    return {
        "p1": make_id("210502", "19800101", 11),
        "p2": make_id("210502", "20050301", 12),
        "p3": make_id("210521", "19400101", 13),
        "p4": make_id("210502", "19750101", 14),
        "p5": make_id("210503", "19700101", 15),
        "p6": make_id("210503", "20060101", 16),
    }


@pytest.fixture
def annual(premium, make_line, residents):
    return premium.publish(
        "A-2010",
        [
            make_line(residents["p1"], "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00")),
            make_line(residents["p2"], "210502", "dibao", "minor", ("0.00", "0.00", "35.00", "15.00")),
            make_line(residents["p3"], "210521", "dibao", "elderly", ("0.00", "0.00", "50.00", "50.00")),
            make_line(residents["p4"], "210502", "marginal", "adult", ("0.00", "0.00", "88.20", "37.80")),
            make_line(residents["p5"], "210503", "marginal", "adult", ("0.00", "0.00", "61.79", "26.47")),
        ],
    )


def adjust(premium, make_line, residents):
    def adjustment(who, region, age, by_payer):
        return make_line(who, region, "marginal", age, by_payer, line_kind="adjustment", adjusts_version=1)

    return premium.publish(
        "A-2010",
        [
            adjustment(residents["p5"], "210503", "adult", ("0.00", "0.00", "-61.79", "-26.47")),
            adjustment(residents["p5"], "210503", "adult", ("0.00", "0.00", "61.81", "26.49")),
            adjustment(residents["p6"], "210503", "minor", ("0.00", "0.00", "0.01", "0.01")),
        ],
    )


async def prepare(client, **body):
    if body.get("kind") == "marginal_instalment":
        await record_own_shares(client)  # S3: everybody paid their own share
    payload = {"city": "210500", "year": 2010, "assessment_id": "A-2010", "assessment_version": 1, **body}
    response = await client.post("/v1/batches", json=payload, headers=MAKER)
    assert response.status_code == 201, response.text
    return response.json()


async def lines_of(client, batch_id):
    page = (await client.get(f"/v1/batches/{batch_id}/lines?limit=1000", headers=FINANCE)).json()
    return [{k: v for k, v in line.items()} for line in page["items"]]


def line_requests(peers):
    return [call.request.url for call in peers.calls if call.request.url.path.endswith("/lines")]


async def test_each_batch_streams_only_the_categories_it_pays(ledger, peers, annual) -> None:
    """B§四(一)(二): the dibao batch asks premium for dibao lines only (330.00 = 180 + 50 + 100), the marginal
    instalment for marginal lines only (107.14 = 63.00 + 44.14, halves of 126.00 and 88.26, odd fen first)."""
    dibao = await prepare(ledger.client, kind="dibao_collective")
    assert dibao["control"]["line_count"] == 3
    assert dibao["control"]["total"] == "330.00"
    first = await prepare(ledger.client, kind="marginal_instalment", instalment=1)
    assert (first["control"]["line_count"], first["control"]["total"]) == (2, "107.14")
    asked = line_requests(peers)
    assert [url.params.get_list("category") for url in asked] == [["dibao"], ["marginal"]]


async def test_pre_allocation_prices_heads_from_the_grouped_read_without_streaming_lines(
    ledger, peers, annual
) -> None:
    """B§三: a head is priced by the groups of premium's grouped read — 平山 dibao adult 126.00 / 54.00, 溪湖
    marginal adult 61.79 / 26.47 — so 2 + 1 heads cost 252.00 + 61.79 city, 108.00 + 26.47 district; no line
    is streamed from premium."""
    head_counts(peers, [("210502", "dibao", "adult", 2), ("210503", "marginal", "adult", 1)])
    response = await pre_allocate(ledger)
    assert response.status_code == 201, response.text
    amounts = {(a["region_code"], a["payer_level"]): a["amount"] for a in response.json()["basis"]["amounts"]}
    assert amounts == {
        ("210502", "city"): "252.00",
        ("210502", "district_or_county"): "108.00",
        ("210503", "city"): "61.79",
        ("210503", "district_or_county"): "26.47",
    }
    assert line_requests(peers) == []


async def test_groups_that_disagree_with_the_header_are_refused(ledger, peers, premium, annual) -> None:
    """S3: the grouped read must add up to the version's header (540.00 + 214.26 = 544.26, 5 lines) — a group
    short of 0.01 is refused as a malformed peer answer and no batch is written."""
    groups_url = "http://premium.test/v1/assessments/A-2010/versions/1/groups"
    _header, lines = premium.versions[("A-2010", 1)]
    groups = groups_of(lines)
    groups[0]["assistance_subsidy"] = str(Decimal(groups[0]["assistance_subsidy"]) - Decimal("0.01"))
    groups[0]["by_payer"]["city"] = str(Decimal(groups[0]["by_payer"]["city"]) - Decimal("0.01"))
    peers.get(groups_url).mock(return_value=httpx.Response(200, json={"items": groups}))
    payload = {"city": "210500", "year": 2010, "assessment_id": "A-2010", "assessment_version": 1}
    response = await ledger.client.post(
        "/v1/batches", json={**payload, "kind": "dibao_collective"}, headers=MAKER
    )
    assert response.status_code == 503, response.text
    assert "header" in response.json()["detail"]
    listed = (await ledger.client.get("/v1/batches?city=210500", headers=FINANCE)).json()
    assert listed["items"] == []


async def test_second_instalment_is_computed_from_the_first_without_reading_premium_again(
    ledger, peers, premium, make_line, residents, annual
) -> None:
    """B§四(二) / P6: instalment 2 of v2 after instalment 1 of v2 copies instalment 1's lines in SQL — no
    line request to premium — and equals what streaming v2's marginal lines gives, line by line: p4 63.00,
    p5 44.12 (regular: 30.89 + 13.23), −44.12 (reversal: the odd fen −30.90 / −13.24 went to instalment 1),
    +44.14 (replacement 30.90 + 13.24), and p6's 0.02 paid whole in instalment 1 (0.01 + 0.01) is left out of
    instalment 2. Total 63.00 + 44.12 − 44.12 + 44.14 = 107.14; with instalment 1 it is v2's 214.32."""
    adjust(premium, make_line, residents)
    first = await prepare(ledger.client, kind="marginal_instalment", instalment=1, assessment_version=2)
    assert first["control"]["line_count"] == 5
    asked_before = len(line_requests(peers))
    copied = await prepare(ledger.client, kind="marginal_instalment", instalment=2, assessment_version=2)
    assert len(line_requests(peers)) == asked_before  # no second stream
    assert copied["control"]["line_count"] == 4  # p6's 0.01 + 0.01 went whole into instalment 1
    assert copied["control"]["total"] == "107.14"
    assert Decimal(first["control"]["total"]) + Decimal(copied["control"]["total"]) == Decimal(
        "126.00"
    ) + Decimal("88.26") - Decimal("88.26") + Decimal("88.30") + Decimal("0.02")
    copied_lines = await lines_of(ledger.client, copied["id"])
    assert [line["amount"] for line in copied_lines if line["line_kind"] == "adjustment"] == [
        "-44.12",
        "44.14",
    ]
    # the same batch streamed from premium (instalment 1 cancelled, so there is nothing to copy)
    for batch in (copied, first):
        cancelled = await ledger.client.post(
            f"/v1/batches/{batch['id']}/cancel", json={"reason": "test"}, headers=FINANCE
        )
        assert cancelled.status_code == 200, cancelled.text
    streamed = await prepare(ledger.client, kind="marginal_instalment", instalment=2, assessment_version=2)
    assert len(line_requests(peers)) == asked_before + 1
    assert streamed["control"] == copied["control"]
    assert await lines_of(ledger.client, streamed["id"]) == copied_lines
    assert [
        (t["region_code"], t["payer_level"], t["amount"], t["line_first"], t["line_last"])
        for t in streamed["transfers"]
    ] == [
        (t["region_code"], t["payer_level"], t["amount"], t["line_first"], t["line_last"])
        for t in copied["transfers"]
    ]
