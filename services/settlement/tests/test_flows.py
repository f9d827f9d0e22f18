"""Funding, bank side, schedule, reconciliation proofs, the R1 report and peer failures
(POLICY.md B§三, S1–S4, E6, R1)."""

import httpx
import pytest
from sqlalchemy import text

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

MAKER = bearer(Role.social_insurance, subject="si-clerk")
CHECKER = bearer(Role.finance, subject="finance-checker")
FINANCE = bearer(Role.finance, subject="finance-clerk")
HEAD_COUNTS = "http://eligibility.test/v1/head-counts"
MAF = "medical_assistance_fund:210500"
RIF = "resident_insurance_fund:210500"


@pytest.fixture
def assessment(premium, make_line, make_id):
    """Two dibao adults in 平山区 (126.00 + 54.00 each) and one in 本溪县 (90.00 + 90.00) — 540.00."""
    return premium.publish(
        "A-2010",
        [
            make_line(
                make_id("210502", "19800101", 21),
                "210502",
                "dibao",
                "adult",
                ("0.00", "0.00", "126.00", "54.00"),
            ),
            make_line(
                make_id("210502", "19800101", 22),
                "210502",
                "dibao",
                "adult",
                ("0.00", "0.00", "126.00", "54.00"),
            ),
            make_line(
                make_id("210521", "19800101", 23),
                "210521",
                "dibao",
                "adult",
                ("0.00", "0.00", "90.00", "90.00"),
            ),
        ],
    )


def head_counts(peers, counts):
    peers.get(HEAD_COUNTS).mock(
        return_value=httpx.Response(
            200,
            json={
                "on": "2009-10-31",
                "as_of": "2009-11-01T00:00:00+08:00",
                "counts": [
                    {"region_code": r, "category": c, "age_group": a, "count": n} for r, c, a, n in counts
                ],
            },
        )
    )


async def pre_allocate(ledger, key="pre", **extra):
    return await ledger.client.post(
        "/v1/funding/pre-allocations",
        headers={**FINANCE, "Idempotency-Key": key},
        json={
            "city": "210500",
            "year": 2010,
            "assessment_id": "A-2010",
            "assessment_version": 1,
            "value_date": "2009-12-20",
            **extra,
        },
    )


async def test_pre_allocation_prices_the_head_count_and_prices_an_empty_region_like_its_level(
    ledger, assessment, peers
) -> None:
    """B§三 / E7: 210503 has nobody in the assessment; its 2 dibao adults are priced like 平山区's (7:3)."""
    head_counts(
        peers,
        [("210502", "dibao", "adult", 3), ("210503", "dibao", "adult", 2), ("210521", "dibao", "adult", 1)],
    )
    response = await pre_allocate(ledger)
    assert response.status_code == 201, response.text
    amounts = {(a["region_code"], a["payer_level"]): a["amount"] for a in response.json()["basis"]["amounts"]}
    assert amounts == {
        ("210502", "city"): "378.00",
        ("210502", "district_or_county"): "162.00",
        ("210503", "city"): "252.00",
        ("210503", "district_or_county"): "108.00",
        ("210521", "city"): "90.00",
        ("210521", "district_or_county"): "90.00",
    }
    assert (await ledger.balance(MAF))["posted"] == "1080.00"
    assert (await ledger.balance("civil_affairs:210502"))["posted"] == "0.00"  # passed straight on
    assert (await ledger.balance("district_finance:210502"))["posted"] == "-162.00"  # its own 30 %
    again = await pre_allocate(ledger, key="pre-again")
    assert again.status_code == 409
    replay = await pre_allocate(ledger)
    assert replay.json() == response.json()


async def test_year_end_settlement_refuses_while_transfers_are_pending_then_closes_the_period(
    ledger, assessment, peers
) -> None:
    """B§三 / S4: the year is settled only when nothing is pending; afterwards 2010 refuses entries."""
    head_counts(peers, [("210502", "dibao", "adult", 2), ("210521", "dibao", "adult", 1)])
    assert (await pre_allocate(ledger)).status_code == 201
    pending = await ledger.transfer(MAF, RIF, "10.00", pending=True, value_date="2010-05-05")
    settle = {"city": "210500", "year": 2010}
    refused = await ledger.client.post(
        "/v1/funding/year-end-settlements", json=settle, headers={**FINANCE, "Idempotency-Key": "yes-1"}
    )
    assert refused.status_code == 409
    assert "pending" in refused.json()["detail"]
    transfer_id = pending.json()["transfers"][0]["id"]
    await ledger.client.post(f"/v1/transfers/{transfer_id}/void", json={}, headers=ledger.key())
    settled = await ledger.client.post(
        "/v1/funding/year-end-settlements", json=settle, headers={**FINANCE, "Idempotency-Key": "yes-2"}
    )
    assert settled.status_code == 201, settled.text
    assert settled.json()["transfers"] == []  # funded exactly what is due
    await ledger.transfer(MAF, RIF, "1.00", value_date="2010-12-31", expect=409)
    runs = (await ledger.client.get("/v1/funding/runs?city=210500&year=2010", headers=FINANCE)).json()[
        "items"
    ]
    assert [r["kind"] for r in runs] == ["pre_allocation", "year_end_settlement"]


async def test_bank_refusal_voids_the_transfer_and_contradictions_are_refused(ledger, assessment) -> None:
    """S4 bank side: 失败 voids and frees the reservation; a file contradicting a settled transfer writes nothing."""
    await ledger.fund(MAF, "1000.00")
    batch = (
        await ledger.client.post(
            "/v1/batches",
            headers=MAKER,
            json={
                "city": "210500",
                "year": 2010,
                "kind": "dibao_collective",
                "assessment_id": "A-2010",
                "assessment_version": 1,
            },
        )
    ).json()
    await ledger.client.post(f"/v1/batches/{batch['id']}/approve", json={}, headers=CHECKER)
    reserved = (
        await ledger.client.post(
            f"/v1/batches/{batch['id']}/execute",
            headers=FINANCE,
            json={"value_date": "2010-01-14", "settle": "bank"},
        )
    ).json()
    ids = [t["id"] for t in reserved["transfers"]]
    assert len(ids) == 4
    csv_file = await ledger.client.get(f"/v1/batches/{batch['id']}/payment-instructions", headers=FINANCE)
    assert csv_file.content.startswith("\ufeff指令编号".encode())
    assert csv_file.headers["content-type"].startswith("text/csv")
    lines = [f"{ids[0]},失败,,账户冻结"] + [f"{i},成功,B{n}," for n, i in enumerate(ids[1:])]
    body = ("指令编号,结果,银行流水号,说明\n" + "\n".join(lines) + "\n").encode("utf-8")
    result = await ledger.client.post(
        "/v1/bank/confirmations", headers=FINANCE, files={"file": ("c.csv", body, "text/csv")}
    )
    assert result.status_code == 200, result.text
    assert (result.json()["posted"], result.json()["voided"]) == (3, 1)
    again = await ledger.client.post(
        "/v1/bank/confirmations", headers=FINANCE, files={"file": ("c.csv", body, "text/csv")}
    )
    assert again.json()["unchanged"] == 4
    contradiction = f"指令编号,结果\n{ids[0]},成功\n".encode()
    refused = await ledger.client.post(
        "/v1/bank/confirmations", headers=FINANCE, files={"file": ("c.csv", contradiction, "text/csv")}
    )
    assert refused.status_code == 409
    detail = (await ledger.client.get(f"/v1/batches/{batch['id']}", headers=FINANCE)).json()
    assert detail["state"] == "executed"
    assert "1 transfers voided by the bank" in detail["history"][-1]["reason"]
    voided_amount = next(t["amount"] for t in reserved["transfers"] if t["id"] == ids[0])
    assert float(voided_amount) > 0
    bad = await ledger.client.post(
        "/v1/bank/confirmations",
        headers=FINANCE,
        files={"file": ("c.csv", "指令编号,结果\nnot-an-id,成功\n".encode(), "text/csv")},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "file.row2.指令编号"


async def test_reconciliation_lists_a_tampered_balance(ledger, assessment, session) -> None:
    """S4: each balance equals its entries — a balance changed behind the ledger's back is shown."""
    await ledger.fund(MAF, "100.00")
    clean = (await ledger.client.get("/v1/reconciliation?city=210500&year=2010", headers=FINANCE)).json()
    assert clean["proofs"]["balances_equal_entries"] is True
    await session.execute(
        text("UPDATE balances SET posted = posted + 1 WHERE account_id = :a"), {"a": ledger.accounts[RIF]}
    )
    tampered = (await ledger.client.get("/v1/reconciliation?city=210500&year=2010", headers=FINANCE)).json()
    assert tampered["balanced"] is False
    (mismatch,) = tampered["proofs"]["mismatched_accounts"]
    assert mismatch["code"] == RIF
    assert mismatch["stored"]["posted"] == "1.00"


async def test_fiscal_subsidy_report_contract(ledger, assessment) -> None:
    """R1: premium reads what moved; a province is not a report region; other roles are refused."""
    empty = await ledger.client.get(
        "/v1/reports/fiscal-subsidy?region=210500&year=2010", headers=bearer(Role.service)
    )
    nothing = {
        "central": "0.00",
        "province": "0.00",
        "city": "0.00",
        "district_or_county": "0.00",
        "total": "0.00",
    }
    assert empty.json() == {
        "region": "210500",
        "year": 2010,
        "moved": nothing,
        "to_insurance_fund": nothing,
        "refunded": nothing,
    }
    province = await ledger.client.get("/v1/reports/fiscal-subsidy?region=210000&year=2010", headers=FINANCE)
    assert province.status_code == 422
    assert province.json()["errors"][0]["field"] == "query.region"
    officer = await ledger.client.get(
        "/v1/reports/fiscal-subsidy?region=210500&year=2010", headers=bearer(Role.community_officer)
    )
    assert officer.status_code == 403
    elsewhere = await ledger.client.get(
        "/v1/reports/fiscal-subsidy?region=210500&year=2010", headers=bearer(Role.service, region="510100")
    )
    assert elsewhere.status_code == 403


async def test_schedule_submissions_are_filed_by_the_right_department(ledger) -> None:
    """E6: monthly change reports are filed by civil affairs, once, with a month."""
    body = {
        "city": "210500",
        "year": 2010,
        "obligation": "monthly_change_report",
        "month": 3,
        "submitted_on": "2010-03-09",
    }
    assert (
        await ledger.client.post("/v1/schedule/submissions", json=body, headers=FINANCE)
    ).status_code == 403
    civil = bearer(Role.civil_affairs)
    filed = await ledger.client.post("/v1/schedule/submissions", json=body, headers=civil)
    assert filed.status_code == 201
    march = next(
        i for i in filed.json()["items"] if i["obligation"] == "monthly_change_report" and i["month"] == 3
    )
    assert (march["status"], march["late"], march["done_on"]) == ("done", False, "2010-03-09")
    assert (await ledger.client.post("/v1/schedule/submissions", json=body, headers=civil)).status_code == 409
    no_month = await ledger.client.post("/v1/schedule/submissions", json={**body, "month": 0}, headers=civil)
    assert no_month.status_code == 422


async def test_premium_down_is_a_503_naming_it_and_a_short_stream_is_refused(
    ledger, peers, premium, make_line, make_id
) -> None:
    """S4: a batch is never built from a peer's failure or from lines that do not add up to its header."""
    peers.get("http://premium.test/v1/assessments/DOWN").mock(return_value=httpx.Response(503))
    down = await ledger.client.post(
        "/v1/batches",
        headers=MAKER,
        json={
            "city": "210500",
            "year": 2010,
            "kind": "dibao_collective",
            "assessment_id": "DOWN",
            "assessment_version": 1,
        },
    )
    assert down.status_code == 503
    assert down.json()["service"] == "premium"
    premium.publish(
        "SHORT",
        [
            make_line(
                make_id("210502", "19800101", 31),
                "210502",
                "dibao",
                "adult",
                ("0.00", "0.00", "126.00", "54.00"),
            )
        ],
    )
    header, _ = premium.versions[("SHORT", 1)]
    header["line_count"] = 2
    peers.get("http://premium.test/v1/assessments/SHORT/versions/1").mock(
        return_value=httpx.Response(200, json=header)
    )
    short = await ledger.client.post(
        "/v1/batches",
        headers=MAKER,
        json={
            "city": "210500",
            "year": 2010,
            "kind": "dibao_collective",
            "assessment_id": "SHORT",
            "assessment_version": 1,
        },
    )
    assert short.status_code == 503
    assert "header says 2 lines" in short.json()["detail"]
    assert (await ledger.client.get("/v1/batches?city=210500", headers=FINANCE)).json()["items"] == []


async def test_central_share_arrives_as_a_special_transfer_into_the_fund(
    ledger, premium, peers, make_line, make_id
) -> None:
    """S1 / P4: in a western province (成都, 51) central finance pays 30.00 of a dibao adult's 60.00; it goes
    straight from central finance into the medical assistance fund, the local shares along B§三's path."""
    await ledger.open("510100")
    premium.publish(
        "C-2010",
        [
            make_line(
                make_id("510104", "19800101", 41),
                "510104",
                "dibao",
                "adult",
                ("30.00", "0.00", "21.00", "9.00"),
            ),
        ],
        region="510100",
    )
    peers.get(HEAD_COUNTS).mock(
        return_value=httpx.Response(
            200,
            json={
                "on": "2009-10-31",
                "as_of": "2009-11-01T00:00:00+08:00",
                "counts": [{"region_code": "510104", "category": "dibao", "age_group": "adult", "count": 10}],
            },
        )
    )
    response = await ledger.client.post(
        "/v1/funding/pre-allocations",
        headers={**FINANCE, "Idempotency-Key": "pre-cd"},
        json={
            "city": "510100",
            "year": 2010,
            "assessment_id": "C-2010",
            "assessment_version": 1,
            "value_date": "2009-12-20",
        },
    )
    assert response.status_code == 201, response.text
    central = [t for t in response.json()["transfers"] if t["payer_level"] == "central"]
    assert [(t["code"], t["amount"], t["debit_account_id"], t["credit_account_id"]) for t in central] == [
        (
            "central_transfer",
            "300.00",
            ledger.accounts["central_finance:100000"],
            ledger.accounts["medical_assistance_fund:510100"],
        )
    ]
    assert (await ledger.balance("medical_assistance_fund:510100"))["posted"] == "600.00"


async def test_a_short_pre_allocation_is_topped_up_by_exactly_the_shortfall(
    ledger, peers, assessment
) -> None:
    """B§三: the pre-allocation is an advance on the 2009-10-31 head count. One 平山区 dibao adult was
    certified after the base date, so the head count funds 1 × 180.00 there (126.00 city + 54.00 district)
    and 本溪县's 180.00 — 360.00 for 540.00 due. The supplementary allocation pays the missing 180.00
    (126.00 city, 54.00 district) and nothing for 本溪县; a second call finds nothing owed."""
    head_counts(peers, [("210502", "dibao", "adult", 1), ("210521", "dibao", "adult", 1)])
    assert (await pre_allocate(ledger)).status_code == 201
    topped = await ledger.client.post(
        "/v1/funding/supplementary-allocations",
        headers={**FINANCE, "Idempotency-Key": "top-up-1"},
        json={"city": "210500", "year": 2010, "value_date": "2010-01-10"},
    )
    assert topped.status_code == 201, topped.text
    rows = {(r["region_code"], r["payer_level"]): r["difference"] for r in topped.json()["basis"]["rows"]}
    assert rows == {("210502", "city"): "126.00", ("210502", "district_or_county"): "54.00"}
    accounts = {
        a["code"]: a
        for a in (await ledger.client.get("/v1/accounts?city=210500", headers=FINANCE)).json()["items"]
    }
    assert accounts[MAF]["balance"]["posted"] == "540.00"

    again = await ledger.client.post(
        "/v1/funding/supplementary-allocations",
        headers={**FINANCE, "Idempotency-Key": "top-up-2"},
        json={"city": "210500", "year": 2010, "value_date": "2010-01-11"},
    )
    assert again.status_code == 409
    assert again.json()["nothing_owed"] is True
