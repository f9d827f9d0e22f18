"""Refunds reach each person (POLICY.md S3, B§四(四)): a payee account per resident (maker-checker, masked,
audited), one payment instruction per person, the bank's per-person answers, a returned refund into the
suspense account and retried once the account is corrected — and the reconciliation explains the money
in suspense line by line until it is paid."""

import csv
import io
import logging

import pytest

from huimin_shared.auth import Role
from huimin_shared.idnumber import mask
from huimin_shared.testing import bearer

MAKER = bearer(Role.social_insurance, subject="si-clerk")
CHECKER = bearer(Role.finance, subject="finance-checker")
FINANCE = bearer(Role.finance, subject="finance-clerk")
CIVIL_AFFAIRS = bearer(Role.civil_affairs, subject="ca-li")
AUDITOR = bearer(Role.auditor, subject="auditor")
MAF = "medical_assistance_fund:210500"
ACCOUNTS = {
    "f1": "6217000012345678901",
    "f2": "6222020200112233445",
    "f2_new": "6228480010998877",
    "f3": "12345678",
}


@pytest.fixture
def people(make_id):
    return {
        "f1": make_id("210505", "19820909", 16),  # 南芬区: 105.00 = 73.50 city + 31.50 district
        "f2": make_id("210502", "19750101", 14),  # 平山区: 126.00 = 88.20 + 37.80
        "f3": make_id("210503", "19700101", 15),  # 溪湖区: 50.00 = 35.00 + 15.00, no account at first
    }


@pytest.fixture
async def refunds_batch(ledger, premium, make_line, people) -> dict:
    premium.publish(
        "R-2010",
        [
            make_line(people["f1"], "210505", "marginal", "adult", ("0.00", "0.00", "73.50", "31.50")),
            make_line(people["f2"], "210502", "marginal", "adult", ("0.00", "0.00", "88.20", "37.80")),
            make_line(people["f3"], "210503", "marginal", "adult", ("0.00", "0.00", "35.00", "15.00")),
        ],
        kind="refunds",
    )
    await ledger.fund(MAF, "400.00")
    body = {
        "city": "210500",
        "year": 2010,
        "kind": "refunds",
        "assessment_id": "R-2010",
        "assessment_version": 1,
    }
    batch = (await ledger.client.post("/v1/batches", json=body, headers=MAKER)).json()
    assert (
        await ledger.client.post(f"/v1/batches/{batch['id']}/approve", json={}, headers=CHECKER)
    ).status_code == 200
    executed = await ledger.client.post(
        f"/v1/batches/{batch['id']}/execute",
        json={"value_date": "2010-12-20", "settle": "ledger"},
        headers=FINANCE,
    )
    assert executed.status_code == 200, executed.text
    return executed.json()


async def register(client, number: str, region: str, account: str, proposer: dict, approver: dict) -> dict:
    body = {"region_code": region, "kind": "bank_account", "account_number": account, "bank_name": "工商银行本溪分行",
            "holder_name": "居民"}  # fmt: skip
    proposed = await client.post(f"/v1/payees/{number}/proposals", json=body, headers=proposer)
    assert proposed.status_code == 201, proposed.text
    approved = await client.post(
        f"/v1/payee-proposals/{proposed.json()['id']}/approve", json={}, headers=approver
    )
    assert approved.status_code == 200, approved.text
    return approved.json()


def confirmations(rows: list[tuple[str, str, str]]) -> dict:
    text = "指令编号,结果,银行流水号,说明\r\n" + "".join(f"{i},{r},{ref},\r\n" for i, r, ref in rows)
    return {"file": ("answer.csv", text.encode("gb18030"), "text/csv")}


async def test_a_payee_change_needs_a_second_officer_and_is_shown_masked_and_audited(
    ledger, people, caplog
) -> None:
    """B§四(四), maker-checker: the officer who proposes cannot approve; the number is answered and logged
    only as its last four digits; every step is in the person's history."""
    caplog.set_level(logging.DEBUG)
    client = ledger.client
    officer = bearer(Role.community_officer, region="210505", subject="officer-nanfen")
    body = {"region_code": "210505", "kind": "social_security_card", "account_number": ACCOUNTS["f1"],
            "bank_name": "建设银行", "holder_name": "居民F"}  # fmt: skip
    proposed = await client.post(f"/v1/payees/{people['f1']}/proposals", json=body, headers=officer)
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["account"] == "***************8901"
    own = await client.post(
        f"/v1/payee-proposals/{proposed.json()['id']}/approve",
        json={},
        headers=bearer(Role.civil_affairs, subject="officer-nanfen"),
    )
    assert own.status_code == 403, "the proposer does not approve their own change"
    elsewhere = await client.post(
        f"/v1/payees/{people['f2']}/proposals",
        json={**body, "region_code": "210502"},
        headers=officer,
    )
    assert elsewhere.status_code == 403, "an officer of 南芬区 registers nobody in 平山区"
    approved = await client.post(
        f"/v1/payee-proposals/{proposed.json()['id']}/approve", json={}, headers=CIVIL_AFFAIRS
    )
    assert approved.json()["state"] == "active"
    shown = await client.get(f"/v1/payees/{people['f1']}", headers=AUDITOR)
    assert shown.json()["id_number"] == mask(people["f1"])
    assert [e["action"] for e in shown.json()["history"]] == ["proposed", "approved"]
    assert ACCOUNTS["f1"] not in shown.text
    assert all(ACCOUNTS["f1"] not in record.getMessage() for record in caplog.records)


async def test_a_bad_account_number_is_refused_naming_the_field_and_nothing_is_written(
    ledger, people
) -> None:
    body = {
        "region_code": "210505",
        "kind": "bank_account",
        "account_number": "62-17",
        "bank_name": "x",
        "holder_name": "y",
    }
    refused = await ledger.client.post(
        f"/v1/payees/{people['f1']}/proposals", json=body, headers=CIVIL_AFFAIRS
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["body.account_number"]
    assert (await ledger.client.get(f"/v1/payees/{people['f1']}", headers=AUDITOR)).status_code == 404


async def test_refunds_are_paid_person_by_person_a_return_waits_in_suspense_and_is_retried(
    ledger, refunds_batch, people
) -> None:
    """B§四(四): 281.00 reached the refund payee account. f1 and f2 have accounts, f3 none: two instructions
    (105.00, 126.00) and f3's 50.00 into suspense. The bank pays f1 and returns f2 (account closed): 126.00
    back into suspense — the reconciliation's refund rows for 平山区 and 溪湖区 are short by exactly the two
    suspense lines it lists. f2's corrected account and f3's first are approved; the retry sends both again
    (attempt 2) out of suspense; paid, the refunds reconcile to zero and R1's refunded figure is 281.00."""
    client = ledger.client
    batch_id = refunds_batch["id"]
    ca2 = bearer(Role.civil_affairs, subject="ca-zhao")
    await register(client, people["f1"], "210505", ACCOUNTS["f1"], CIVIL_AFFAIRS, FINANCE)
    await register(client, people["f2"], "210502", ACCOUNTS["f2"], CIVIL_AFFAIRS, FINANCE)

    written = await client.post(
        f"/v1/refunds/{batch_id}/instructions", json={"value_date": "2010-12-20"}, headers=FINANCE
    )
    assert written.status_code == 201, written.text
    assert written.json()["counts"] == {"sent": 2, "paid": 0, "returned": 0, "awaiting_account": 1}
    again = await client.post(
        f"/v1/refunds/{batch_id}/instructions", json={"value_date": "2010-12-20"}, headers=FINANCE
    )
    assert again.json()["counts"] == written.json()["counts"], "written once"
    assert (await ledger.balance("refund_suspense:210500"))["posted"] == "50.00"
    assert (await ledger.balance("external_payee:210500"))["posted"] == "231.00"

    file = await client.get(
        f"/v1/refunds/{batch_id}/bank-file", params={"encoding": "gb18030"}, headers=FINANCE
    )
    assert file.status_code == 200, file.text
    rows = list(csv.DictReader(io.StringIO(file.content.decode("gb18030"))))
    assert sorted((r["收款账号"], r["金额(元)"], r["证件号码"]) for r in rows) == sorted(
        [(ACCOUNTS["f1"], "105.00", mask(people["f1"])), (ACCOUNTS["f2"], "126.00", mask(people["f2"]))]
    )
    by_account = {r["收款账号"]: r["指令编号"] for r in rows}
    answer = confirmations(
        [(by_account[ACCOUNTS["f1"]], "成功", "B1"), (by_account[ACCOUNTS["f2"]], "退回", "B2")]
    )
    confirmed = await client.post(
        "/v1/refunds/confirmations", params={"value_date": "2010-12-22"}, files=answer, headers=FINANCE
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {"paid": 1, "returned": 1, "unchanged": 0}
    replay = await client.post(
        "/v1/refunds/confirmations", params={"value_date": "2010-12-22"}, files=answer, headers=FINANCE
    )
    assert replay.json() == {"paid": 0, "returned": 0, "unchanged": 2}
    assert (await ledger.balance("refund_suspense:210500"))["posted"] == "176.00"

    reconciliation = (
        await client.get("/v1/reconciliation", params={"city": "210500", "year": 2010}, headers=AUDITOR)
    ).json()
    short = {(r["region_code"], r["payer_level"]): r["difference"] for r in reconciliation["differences"]}
    assert short == {
        ("210502", "city"): "-88.20", ("210502", "district_or_county"): "-37.80",
        ("210503", "city"): "-35.00", ("210503", "district_or_county"): "-15.00",
    }  # fmt: skip
    explained = {(s["id_number"], s["amount"], s["state"]) for s in reconciliation["refunds_in_suspense"]}
    assert explained == {
        (mask(people["f2"]), "126.00", "returned"),
        (mask(people["f3"]), "50.00", "awaiting_account"),
    }

    nothing = await client.post(
        f"/v1/refunds/{batch_id}/retries", json={"value_date": "2010-12-23"}, headers=FINANCE
    )
    assert nothing.json()["retried"] == 0, "f2's account is the one that was returned; f3 has none"
    await register(client, people["f2"], "210502", ACCOUNTS["f2_new"], CIVIL_AFFAIRS, ca2)
    await register(client, people["f3"], "210503", ACCOUNTS["f3"], CIVIL_AFFAIRS, ca2)
    retried = await client.post(
        f"/v1/refunds/{batch_id}/retries", json={"value_date": "2010-12-28"}, headers=FINANCE
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["retried"] == 2
    assert (await ledger.balance("refund_suspense:210500"))["posted"] == "0.00"

    rows = list(
        csv.DictReader(
            io.StringIO(
                (await client.get(f"/v1/refunds/{batch_id}/bank-file", headers=FINANCE)).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert sorted((r["收款账号"], r["次数"]) for r in rows) == sorted(
        [(ACCOUNTS["f2_new"], "2"), (ACCOUNTS["f3"], "2")]
    )
    paid = await client.post(
        "/v1/refunds/confirmations",
        files=confirmations([(r["指令编号"], "成功", "B3") for r in rows]),
        headers=FINANCE,
        params={"value_date": "2010-12-29"},
    )
    assert paid.json() == {"paid": 2, "returned": 0, "unchanged": 0}
    listed = (await client.get(f"/v1/refunds/{batch_id}/instructions", headers=AUDITOR)).json()["items"]
    assert sorted(i["state"] for i in listed) == ["awaiting_account", "paid", "paid", "paid", "returned"]
    assert all(i["account"] is None or i["account"].startswith("*") for i in listed)

    reconciliation = (
        await client.get("/v1/reconciliation", params={"city": "210500", "year": 2010}, headers=AUDITOR)
    ).json()
    assert reconciliation["differences"] == []
    assert reconciliation["refunds_in_suspense"] == []
    fiscal = (
        await client.get(
            "/v1/reports/fiscal-subsidy", params={"region": "210500", "year": 2010}, headers=AUDITOR
        )
    ).json()
    assert fiscal["refunded"]["total"] == "281.00"
    assert fiscal["moved"]["total"] == "281.00"  # nothing went to the insurance fund in this test


async def test_instructions_wait_for_an_executed_refunds_batch(ledger, premium, make_line, people) -> None:
    """Per-person instructions pay what reached the refund payee account: a prepared batch has moved nothing."""
    premium.publish(
        "R-2010",
        [make_line(people["f1"], "210505", "marginal", "adult", ("0.00", "0.00", "73.50", "31.50"))],
        kind="refunds",
    )
    body = {
        "city": "210500",
        "year": 2010,
        "kind": "refunds",
        "assessment_id": "R-2010",
        "assessment_version": 1,
    }
    batch = (await ledger.client.post("/v1/batches", json=body, headers=MAKER)).json()
    refused = await ledger.client.post(f"/v1/refunds/{batch['id']}/instructions", json={}, headers=FINANCE)
    assert refused.status_code == 409
    officer = await ledger.client.post(
        f"/v1/refunds/{batch['id']}/instructions", json={}, headers=bearer(Role.civil_affairs, subject="x")
    )
    assert officer.status_code == 403
