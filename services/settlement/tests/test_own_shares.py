"""Own shares before marginal instalments (POLICY.md S3, B§四(二)): civil affairs pays a marginal person's
subsidy only after the person has paid their own share; the others wait and are carried to a later batch
of the same instalment."""

import io
import json
from datetime import date

import openpyxl
import pytest

from huimin_settlement.own_shares.rules import days_waiting, own_share_paid
from huimin_shared.auth import Role
from huimin_shared.idnumber import mask
from huimin_shared.testing import bearer

MAKER = bearer(Role.social_insurance, subject="si-clerk")
CHECKER = bearer(Role.finance, subject="finance-checker")
FINANCE = bearer(Role.finance, subject="finance-clerk")
SI = bearer(Role.social_insurance, subject="si-system")
OFFICER_PINGSHAN = bearer(Role.community_officer, region="210502", subject="officer-210502")


@pytest.fixture
def people(make_id):
    return {
        "p4": make_id("210502", "19750101", 14),  # 平山区 marginal adult, 126.00 = 88.20 + 37.80
        "p5": make_id("210503", "19700101", 15),  # 溪湖区 marginal adult, 88.26 = 61.79 + 26.47
    }


@pytest.fixture
def annual(premium, make_line, people):
    return premium.publish(
        "A-2010",
        [
            make_line(people["p4"], "210502", "marginal", "adult", ("0.00", "0.00", "88.20", "37.80")),
            make_line(people["p5"], "210503", "marginal", "adult", ("0.00", "0.00", "61.79", "26.47")),
        ],
    )


def payment(number: str, region: str, paid_on: str, amount: str = "37.80") -> dict:
    return {
        "id_number": number,
        "region_code": region,
        "cover_year": 2010,
        "amount": amount,
        "paid_on": paid_on,
    }


async def instalment(client, number: int, **extra) -> dict:
    body = {"city": "210500", "year": 2010, "kind": "marginal_instalment", "instalment": number,
            "assessment_id": "A-2010", "assessment_version": 1, **extra}  # fmt: skip
    response = await client.post("/v1/batches", json=body, headers=MAKER)
    assert response.status_code == 201, response.text
    return response.json()


async def test_only_people_who_paid_their_own_share_by_the_due_date_are_paid_and_the_other_waits(
    ledger, annual, people
) -> None:
    """S3: p4 paid on 2009-12-20, before 15 January; p5 pays on 2010-02-01. Instalment 1 pays p4 alone:
    63.00 = 44.10 city + 18.90 district; p5's 44.14 (30.90 + 13.24, odd fen first) waits from 2010-01-15 —
    20 days on 2010-02-04 — and is carried to a second batch of instalment 1 once the payment is recorded."""
    client = ledger.client
    recorded = await client.post(
        "/v1/own-share-payments",
        json={"payments": [payment(people["p4"], "210502", "2009-12-20")]},
        headers=SI,
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json() == {"received": 1, "recorded": 1, "duplicates": 0}

    first = await instalment(client, 1)
    assert first["control"]["line_count"] == 1
    assert first["control"]["total"] == "63.00"
    assert first["control"]["by_payer"]["city"] == "44.10"
    assert first["carry_no"] == 0

    waiting = await client.get(
        "/v1/own-shares/waiting", params={"city": "210500", "year": 2010, "on": "2010-02-04"}, headers=FINANCE
    )
    assert waiting.status_code == 200, waiting.text
    [item] = waiting.json()["items"]
    assert item["id_number"] == mask(people["p5"])
    assert (item["amount"], item["waiting_since"], item["days_waiting"]) == ("44.14", "2010-01-15", 20)
    assert item["own_share_paid_on"] is None
    # a Pingshan officer sees Pingshan only: nobody waits there
    pingshan = await client.get(
        "/v1/own-shares/waiting", params={"city": "210500", "year": 2010}, headers=OFFICER_PINGSHAN
    )
    assert pingshan.status_code == 200, pingshan.text
    assert pingshan.json()["items"] == []

    nothing = await client.post(
        "/v1/own-shares/carry-batches", json={"batch_id": first["id"], "paid_by": "2010-02-04"}, headers=MAKER
    )
    assert nothing.status_code == 409, nothing.text
    assert nothing.json()["nothing_to_carry"] is True

    # p5 pays on 1 February, sent as NDJSON
    ndjson = json.dumps(payment(people["p5"], "210503", "2010-02-01", "26.47")) + "\n"
    late = await client.post(
        "/v1/own-share-payments",
        content=ndjson,
        headers={**SI, "Content-Type": "application/x-ndjson"},
    )
    assert late.status_code == 201, late.text
    carry = await client.post(
        "/v1/own-shares/carry-batches", json={"batch_id": first["id"], "paid_by": "2010-02-04"}, headers=MAKER
    )
    assert carry.status_code == 201, carry.text
    assert (carry.json()["carry_no"], carry.json()["line_count"], carry.json()["total"]) == (1, 1, "44.14")
    carried = (await client.get(f"/v1/batches/{carry.json()['batch_id']}", headers=FINANCE)).json()
    assert (carried["instalment"], carried["carry_no"]) == (1, 1)
    assert carried["control"]["by_payer"] == {
        "central": "0.00", "province": "0.00", "city": "30.90", "district_or_county": "13.24"
    }  # fmt: skip
    approved = await client.post(f"/v1/batches/{carried['id']}/approve", json={}, headers=CHECKER)
    assert approved.status_code == 200, approved.text
    after = await client.get(
        "/v1/own-shares/waiting", params={"city": "210500", "year": 2010}, headers=FINANCE
    )
    assert after.json()["items"] == []

    # instalment 2 (10 July): both have paid, so both are paid — streamed, as instalment 1 left p5 out
    second = await instalment(client, 2)
    assert second["control"]["total"] == "107.12"  # 63.00 + 44.12: the odd fen went with instalment 1


async def test_a_payment_sent_twice_by_route_and_file_is_stored_once(ledger, annual, people) -> None:
    """S4 for the feed: natural key (person, cover year, amount, paid date) — a CSV and an XLSX carrying the
    payment the route already sent record nothing new."""
    client = ledger.client
    body = {"payments": [payment(people["p4"], "210502", "2009-12-20")]}
    assert (await client.post("/v1/own-share-payments", json=body, headers=SI)).json()["recorded"] == 1
    csv_text = f"身份证号,区划代码,缴费年度,缴费金额,缴费日期,缴费流水号\r\n{people['p4']},210502,2010,37.80,2009-12-20,SB1\r\n"
    again = await client.post(
        "/v1/own-share-payments/imports",
        files={"file": ("sb.csv", csv_text.encode("gb18030"), "text/csv")},
        headers=SI,
    )
    assert again.status_code == 201, again.text
    assert again.json() == {"received": 1, "recorded": 0, "duplicates": 1}

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["身份证号", "区划代码", "缴费年度", "缴费金额", "缴费日期"])
    sheet.append([people["p4"], "210502", 2010, "37.80", date(2009, 12, 20)])
    sheet.append([people["p5"], "210503", 2010, "26.47", "2009-12-21"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx = await client.post(
        "/v1/own-share-payments/imports",
        files={"file": ("sb.xlsx", buffer.getvalue(), "application/octet-stream")},
        headers=SI,
    )
    assert xlsx.status_code == 201, xlsx.text
    assert xlsx.json() == {"received": 2, "recorded": 1, "duplicates": 1}


async def test_a_bad_payment_is_refused_naming_the_field_and_nothing_is_recorded(
    ledger, annual, people
) -> None:
    """RFC 9457: one bad row refuses the request; the good row beside it is not stored."""
    client = ledger.client
    bad = await client.post(
        "/v1/own-share-payments",
        json={
            "payments": [
                payment(people["p4"], "210502", "2009-12-20"),
                payment("210502197501010000", "210502", "x"),
            ]
        },
        headers=SI,
    )
    assert bad.status_code == 422, bad.text
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"body.payments.1.id_number", "body.payments.1.paid_on"} <= fields
    csv_text = "身份证号,区划代码,缴费年度,缴费金额,缴费日期\r\n{},210502,2010,-1.00,2009-12-20\r\n".format(
        people["p4"]
    )
    file_bad = await client.post(
        "/v1/own-share-payments/imports",
        files={"file": ("sb.csv", csv_text.encode(), "text/csv")},
        headers=SI,
    )
    assert file_bad.status_code == 422, file_bad.text
    assert [e["field"] for e in file_bad.json()["errors"]] == ["file.row2.amount"]
    first = await instalment(client, 1)
    assert first["control"]["line_count"] == 0, "nobody's payment was recorded, so nobody is paid yet"


async def test_only_social_insurance_records_payments_and_an_officer_reads_only_their_region(
    ledger, annual, people
) -> None:
    """Roles: civil affairs cannot record what the social-insurance system says people paid; a Pingshan
    officer asking for 溪湖区 is refused."""
    body = {"payments": [payment(people["p4"], "210502", "2009-12-20")]}
    refused = await ledger.client.post(
        "/v1/own-share-payments", json=body, headers=bearer(Role.civil_affairs, subject="ca")
    )
    assert refused.status_code == 403
    other = await ledger.client.get(
        "/v1/own-shares/waiting",
        params={"city": "210500", "year": 2010, "region": "210503"},
        headers=OFFICER_PINGSHAN,
    )
    assert other.status_code == 403


def test_the_gate_pays_a_payment_made_on_or_before_the_batch_date_only() -> None:
    """S3, the rule the gate's SQL mirrors: paid on the due date counts, the day after does not."""
    due = date(2010, 1, 15)
    assert own_share_paid([date(2010, 1, 15)], due)
    assert not own_share_paid([date(2010, 1, 16)], due)
    assert not own_share_paid([], due)
    assert days_waiting(due, date(2010, 3, 15)) == 59
    assert days_waiting(due, date(2010, 1, 1)) == 0
