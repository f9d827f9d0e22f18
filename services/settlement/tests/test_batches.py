"""Settlement batches (POLICY.md S3, S4): built from a pinned premium assessment, maker-checker,
executed once, variance, adjustments, refunds to the payee, traceable from person to ledger."""

from decimal import Decimal

import pytest
from sqlalchemy import text

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

from .conftest import record_own_shares

MAKER = bearer(Role.social_insurance, subject="si-clerk")
CHECKER = bearer(Role.finance, subject="finance-checker")
FINANCE = bearer(Role.finance, subject="finance-clerk")
MAF = "medical_assistance_fund:210500"
RIF = "resident_insurance_fund:210500"


@pytest.fixture
def residents(make_id):
    return {
        "p1": make_id("210502", "19800101", 11),  # 平山区 dibao adult
        "p2": make_id("210502", "20050301", 12),  # 平山区 dibao minor
        "p3": make_id("210521", "19400101", 13),  # 本溪县 dibao elderly (county, 5:5)
        "p4": make_id("210502", "19750101", 14),  # 平山区 marginal adult
        "p5": make_id("210503", "19700101", 15),  # 溪湖区 marginal adult, odd fen
    }


@pytest.fixture
def annual_2010(premium, make_line, residents):
    """Hand-worked: dibao 100 % (B§一(二)1), marginal 70 % (B§一(二)2); city:district 7:3, city:county 5:5 (B§三)."""
    lines = [
        make_line(residents["p1"], "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00")),
        make_line(residents["p2"], "210502", "dibao", "minor", ("0.00", "0.00", "35.00", "15.00")),
        make_line(residents["p3"], "210521", "dibao", "elderly", ("0.00", "0.00", "50.00", "50.00")),
        make_line(residents["p4"], "210502", "marginal", "adult", ("0.00", "0.00", "88.20", "37.80")),
        make_line(residents["p5"], "210503", "marginal", "adult", ("0.00", "0.00", "61.79", "26.47")),
    ]
    return premium.publish("A-2010", lines)


async def prepare(client, **body):
    if body.get("kind") == "marginal_instalment":
        await record_own_shares(client)  # S3: everybody paid their own share
    payload = {"city": "210500", "year": 2010, "assessment_id": "A-2010", "assessment_version": 1, **body}
    return await client.post("/v1/batches", json=payload, headers=MAKER)


async def approve(client, batch_id, headers=CHECKER):
    return await client.post(f"/v1/batches/{batch_id}/approve", json={}, headers=headers)


async def execute(client, batch_id, **body):
    return await client.post(
        f"/v1/batches/{batch_id}/execute", json={"value_date": "2010-01-14", **body}, headers=FINANCE
    )


async def test_dibao_collective_batch_takes_the_dibao_lines_with_control_totals(ledger, annual_2010) -> None:
    """B§四(一): dibao people are paid collectively by 15 January; 330.00 = 180 + 50 + 100, city 211.00."""
    response = await prepare(ledger.client, kind="dibao_collective")
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["state"] == "prepared"
    assert batch["due_on"] == "2010-01-15"
    assert batch["control"] == {
        "line_count": 3,
        "total": "330.00",
        "by_payer": {"central": "0.00", "province": "0.00", "city": "211.00", "district_or_county": "119.00"},
    }
    planned = {(t["region_code"], t["payer_level"]): t["amount"] for t in batch["transfers"]}
    assert planned == {
        ("210502", "city"): "161.00",
        ("210502", "district_or_county"): "69.00",
        ("210521", "city"): "50.00",
        ("210521", "district_or_county"): "50.00",
    }
    assert all(t["debit_account_id"] == ledger.accounts[MAF] for t in batch["transfers"])
    assert all(t["credit_account_id"] == ledger.accounts[RIF] for t in batch["transfers"])
    lines = (await ledger.client.get(f"/v1/batches/{batch['id']}/lines", headers=FINANCE)).json()["items"]
    assert [(line["region_code"], line["amount"]) for line in lines] == [
        ("210502", "180.00"),
        ("210502", "50.00"),
        ("210521", "100.00"),
    ]  # ordered by region, then ID number
    assert lines[0]["citation"] == "本政办发〔2009〕130号 B§一(二)"


async def test_marginal_instalments_split_each_line_in_halves_odd_fen_first(ledger, annual_2010) -> None:
    """B§四(二) / P6: 126.00 → 63.00 + 63.00; 88.26 → 44.14 + 44.12 (61.79 and 26.47 halved, odd fen first)."""
    first = (await prepare(ledger.client, kind="marginal_instalment", instalment=1)).json()
    second = (await prepare(ledger.client, kind="marginal_instalment", instalment=2)).json()
    assert first["due_on"] == "2010-01-15"
    assert second["due_on"] == "2010-07-10"
    assert first["control"]["total"] == "107.14"
    assert second["control"]["total"] == "107.12"
    assert first["control"]["by_payer"]["city"] == "75.00"
    assert second["control"]["by_payer"]["city"] == "74.99"
    assert Decimal(first["control"]["total"]) + Decimal(second["control"]["total"]) == Decimal("214.26")
    # instalment 2 is compared with the previous instalment 2, not with instalment 1 (whose odd fen
    # would show every odd line as "changed"): there is none yet, so every person is new
    variance = (await ledger.client.get(f"/v1/batches/{second['id']}/variance", headers=FINANCE)).json()
    assert variance["previous_batch_id"] is None
    assert variance["counts"] == {"new": 2, "exited": 0, "changed": 0}
    assert variance["totals"]["difference"] == variance["totals"]["current"]


async def test_a_batch_from_an_outdated_assessment_version_is_refused(
    ledger, premium, annual_2010, make_line, residents
) -> None:
    """S3 / S4: a batch is pinned to the latest version; building from an older one is refused and writes nothing."""
    premium.publish(
        "A-2010",
        [
            make_line(
                residents["p1"],
                "210502",
                "dibao",
                "adult",
                ("0.00", "0.00", "-126.00", "-54.00"),
                line_kind="adjustment",
                adjusts_version=1,
            )
        ],
    )
    refused = await prepare(ledger.client, kind="dibao_collective", assessment_version=1)
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/assessment-outdated")
    assert refused.json()["latest_version"] == 2
    listing = (await ledger.client.get("/v1/batches?city=210500", headers=FINANCE)).json()
    assert listing["items"] == []


async def test_approving_a_batch_whose_assessment_moved_on_is_refused(
    ledger, premium, annual_2010, make_line, residents
) -> None:
    """S3: the checker cannot approve a batch whose assessment has a newer version."""
    batch = (await prepare(ledger.client, kind="dibao_collective")).json()
    premium.publish(
        "A-2010",
        [
            make_line(
                residents["p1"],
                "210502",
                "dibao",
                "adult",
                ("0.00", "0.00", "-126.00", "-54.00"),
                line_kind="adjustment",
                adjusts_version=1,
            )
        ],
    )
    refused = await approve(ledger.client, batch["id"])
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/assessment-outdated")


async def test_maker_cannot_check_and_only_finance_approves(ledger, annual_2010) -> None:
    """S4 maker-checker: prepared by one user, approved by another with the finance role."""
    maker = bearer(Role.finance, Role.social_insurance, subject="same-person")
    batch = (
        await ledger.client.post(
            "/v1/batches",
            json={
                "city": "210500",
                "year": 2010,
                "kind": "dibao_collective",
                "assessment_id": "A-2010",
                "assessment_version": 1,
            },
            headers=maker,
        )
    ).json()
    assert (await approve(ledger.client, batch["id"], headers=maker)).status_code == 403
    assert (
        await approve(ledger.client, batch["id"], headers=bearer(Role.social_insurance))
    ).status_code == 403
    approved = await approve(ledger.client, batch["id"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == "finance-checker"
    assert [h["to_state"] for h in approved.json()["history"]] == ["prepared", "approved"]


async def test_approving_a_batch_whose_lines_no_longer_match_its_control_totals_is_refused(
    ledger, annual_2010, session
) -> None:
    """S4: a line changed after preparation (here by hand in the database) stops the approval."""
    batch = (await prepare(ledger.client, kind="dibao_collective")).json()
    await session.execute(
        text(
            "UPDATE batch_lines SET amount = amount + 1, city = city + 1 WHERE batch_id = :b AND line_no = 1"
        ),
        {"b": batch["id"]},
    )
    refused = await approve(ledger.client, batch["id"])
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/control-totals-mismatch")


async def test_executing_twice_moves_the_money_once(ledger, annual_2010) -> None:
    """S4: the second execution finds the batch executed and its derived transfers already written."""
    await ledger.fund(MAF, "1000.00")
    batch = (await prepare(ledger.client, kind="dibao_collective")).json()
    unapproved = await execute(ledger.client, batch["id"])
    assert unapproved.status_code == 409
    await approve(ledger.client, batch["id"])
    first = await execute(ledger.client, batch["id"])
    assert first.status_code == 200, first.text
    assert first.json()["state"] == "executed"
    assert {t["state"] for t in first.json()["transfers"]} == {"posted"}
    second = await execute(ledger.client, batch["id"])
    assert second.status_code == 200
    assert second.json()["transfers"] == first.json()["transfers"]
    assert (await ledger.balance(MAF))["posted"] == "670.00"
    assert (await ledger.balance(RIF))["posted"] == "330.00"


async def test_a_batch_larger_than_the_fund_is_refused_and_stays_approved(ledger, annual_2010) -> None:
    """S4: the guarded medical assistance fund cannot pay more than it holds; nothing is reserved."""
    await ledger.fund(MAF, "329.99")
    batch = (await prepare(ledger.client, kind="dibao_collective")).json()
    await approve(ledger.client, batch["id"])
    refused = await execute(ledger.client, batch["id"])
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/insufficient-funds")
    detail = (await ledger.client.get(f"/v1/batches/{batch['id']}", headers=FINANCE)).json()
    assert detail["state"] == "approved"
    assert {t["state"] for t in detail["transfers"]} == {None}


async def test_refunds_pay_the_external_payee(ledger, premium, make_line, residents) -> None:
    """B§四(四): people who had paid already get the subsidy back once at year end, to the payee account."""
    premium.publish(
        "R-2010",
        [make_line(residents["p4"], "210502", "marginal", "adult", ("0.00", "0.00", "88.20", "37.80"))],
        kind="refunds",
    )
    await ledger.fund(MAF, "200.00")
    batch = (await prepare(ledger.client, kind="refunds", assessment_id="R-2010")).json()
    assert batch["due_on"] == "2010-12-31"
    await approve(ledger.client, batch["id"])
    executed = (await execute(ledger.client, batch["id"], value_date="2010-12-20")).json()
    assert executed["state"] == "executed"
    assert (await ledger.balance("external_payee:210500"))["posted"] == "126.00"
    assert {t["credit_account_id"] for t in executed["transfers"]} == {
        ledger.accounts["external_payee:210500"]
    }
    assert {t["state"] for t in executed["transfers"]} == {"posted"}


async def test_adjustment_batch_pays_the_difference_of_a_new_version_both_ways(
    ledger, premium, annual_2010, make_line, residents
) -> None:
    """S3: a newer version's adjustment lines net per paying level and region. v2 carries v1's lines and
    adds p1 changed 180.00 → 234.00 (reversal −126.00/−54.00, replacement +163.80/+70.20: +37.80 city,
    +16.20 district) and p3 changed 100.00 → 50.00 (reversal −50.00/−50.00, replacement +25.00/+25.00):
    +54.00 − 50.00 = 4.00."""
    await ledger.fund(MAF, "1000.00")
    batch = (await prepare(ledger.client, kind="dibao_collective")).json()
    await approve(ledger.client, batch["id"])
    await execute(ledger.client, batch["id"])

    def adjustment(person: str, region: str, age: str, city: str, district: str) -> dict[str, object]:
        return make_line(
            residents[person],
            region,
            "dibao",
            age,
            ("0.00", "0.00", city, district),
            line_kind="adjustment",
            adjusts_version=1,
        )

    premium.publish(
        "A-2010",
        [
            adjustment("p1", "210502", "adult", "-126.00", "-54.00"),
            adjustment("p1", "210502", "adult", "163.80", "70.20"),
            adjustment("p3", "210521", "elderly", "-50.00", "-50.00"),
            adjustment("p3", "210521", "elderly", "25.00", "25.00"),
        ],
    )
    adjustment = await prepare(
        ledger.client, kind="adjustment", assessment_version=2, adjusts_batch_id=batch["id"]
    )
    assert adjustment.status_code == 201, adjustment.text
    body = adjustment.json()
    assert body["control"]["total"] == "4.00"
    moves = {
        (t["region_code"], t["payer_level"]): (t["amount"], t["debit_account_id"]) for t in body["transfers"]
    }
    assert moves[("210502", "city")] == ("37.80", ledger.accounts[MAF])
    assert moves[("210521", "city")] == ("25.00", ledger.accounts[RIF])  # money back to the fund
    await approve(ledger.client, body["id"])
    await execute(ledger.client, body["id"])
    assert (await ledger.balance(RIF))["posted"] == "334.00"


async def test_trace_leads_from_a_person_to_the_clause_and_the_transfers(
    ledger, annual_2010, residents
) -> None:
    """S4: every movement can be traced from the person and clause to the ledger entry."""
    await ledger.fund(MAF, "1000.00")
    batch = (await prepare(ledger.client, kind="dibao_collective")).json()
    await approve(ledger.client, batch["id"])
    await execute(ledger.client, batch["id"])
    trace = (await ledger.client.get(f"/v1/traces/{residents['p1']}?year=2010", headers=FINANCE)).json()
    (found,) = trace["lines"]
    assert found["line"]["amount"] == "180.00"
    assert found["line"]["citation"].endswith("B§一(二)")
    assert {(t["payer_level"], t["amount"], t["state"]) for t in found["transfers"]} == {
        ("city", "161.00", "posted"),
        ("district_or_county", "69.00", "posted"),
    }
    transfer = (
        await ledger.client.get(f"/v1/transfers/{found['transfers'][0]['id']}", headers=FINANCE)
    ).json()
    assert len(transfer["entries"]) == 2
    assert transfer["citation"] == "本政办发〔2009〕130号 B§四(一)"


async def test_a_second_batch_of_the_same_kind_for_the_same_assessment_is_refused(
    ledger, annual_2010
) -> None:
    """S4: no payment twice — one live batch per kind, instalment and assessment."""
    first = await prepare(ledger.client, kind="dibao_collective")
    again = await prepare(ledger.client, kind="dibao_collective")
    assert again.status_code == 409
    assert again.json()["batch_id"] == first.json()["id"]
    bad = await prepare(ledger.client, kind="marginal_instalment")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.instalment"
