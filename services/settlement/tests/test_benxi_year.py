"""A whole Benxi year through the API (issue 6, "Done when"): pre-allocation from the 2009-10-31 head
count, the collective dibao payment, both marginal instalments, refunds through the bank, the year-end
settlement, new entrants in January 2011 — and a reconciliation with zero differences.

Illustrative 2010 contributions (not in the notices, see POLICY.md): minor 50.00, adult 180.00,
elderly 100.00. dibao 100 %, marginal 70 % (B§一(二)); city:district 7:3, city:county 5:5 (B§三).
"""

import csv
import io
from decimal import Decimal

import httpx
import pytest

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

from .conftest import record_own_shares

MAKER = bearer(Role.social_insurance, subject="si-clerk")
CHECKER = bearer(Role.finance, subject="finance-checker")
FINANCE = bearer(Role.finance, subject="finance-clerk")
CIVIL = bearer(Role.civil_affairs, subject="civil-affairs")
PREMIUM_SERVICE = bearer(Role.service, subject="service:premium")
CITY = "210500"
DISTRICTS = ("210502", "210503", "210504", "210505")
COUNTIES = ("210521", "210522")
CONTRIBUTION = {"minor": Decimal("50.00"), "adult": Decimal("180.00"), "elderly": Decimal("100.00")}
SHARE = {"dibao": Decimal("1.00"), "marginal": Decimal("0.70")}


def by_payer(region: str, category: str, age_group: str) -> tuple[str, str, str, str]:
    subsidy = CONTRIBUTION[age_group] * SHARE[category]
    city = subsidy * (Decimal("0.7") if region in DISTRICTS else Decimal("0.5"))
    return (
        "0.00",
        "0.00",
        str(city.quantize(Decimal("0.01"))),
        str((subsidy - city).quantize(Decimal("0.01"))),
    )


@pytest.fixture
def people(make_id):
    counter = iter(range(100, 999))

    def person(region: str, category: str, age_group: str) -> tuple[str, str, str, str]:
        born = {"minor": "20030615", "adult": "19700101", "elderly": "19400101"}[age_group]
        return make_id(region, born, next(counter)), region, category, age_group

    return person


async def api(client: httpx.AsyncClient, method: str, path: str, *, headers=FINANCE, expect=200, **kwargs):
    response = await client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == expect, response.text
    return response.json()


async def batch_through(client, kind, assessment_id, value_date, instalment=0, settle="ledger"):
    body = {
        "city": CITY,
        "year": 2010,
        "kind": kind,
        "instalment": instalment,
        "assessment_id": assessment_id,
        "assessment_version": 1,
    }
    if kind == "marginal_instalment":
        await record_own_shares(client)  # S3: everybody paid their own share
    batch = await api(client, "POST", "/v1/batches", json=body, headers=MAKER, expect=201)
    await api(client, "POST", f"/v1/batches/{batch['id']}/approve", json={}, headers=CHECKER)
    return await api(
        client,
        "POST",
        f"/v1/batches/{batch['id']}/execute",
        json={"value_date": value_date, "settle": settle},
    )


async def test_a_whole_benxi_year_reconciles_to_zero(client, premium, peers, make_line, people) -> None:
    """B§三, B§四(一)–(四), N§二, S1–S4, R1: the year's money, from head count to reconciliation."""
    await api(client, "POST", "/v1/ledger/charts", json={"city": CITY}, expect=201)

    # Annual assessment (year end 2009): per region 2 dibao adults, a dibao minor, a dibao elderly,
    # a marginal adult and a marginal minor — 510.00 dibao + 161.00 marginal per region.
    annual = [
        people(r, c, a)
        for r in DISTRICTS + COUNTIES
        for c, a in (
            ("dibao", "adult"),
            ("dibao", "adult"),
            ("dibao", "minor"),
            ("dibao", "elderly"),
            ("marginal", "adult"),
            ("marginal", "minor"),
        )
    ]
    premium.publish("A-2010", [make_line(n, r, c, a, by_payer(r, c, a)) for n, r, c, a in annual])
    # 2009-10-31 head count (E7): 3 dibao adults (one left before 2010), no marginal minor yet.
    counts = [
        {"region_code": r, "category": c, "age_group": a, "count": n}
        for r in DISTRICTS + COUNTIES
        for c, a, n in (
            ("dibao", "adult", 3),
            ("dibao", "minor", 1),
            ("dibao", "elderly", 1),
            ("marginal", "adult", 1),
            ("marginal", "minor", 0),
        )
    ]
    head_counts = peers.get(
        "http://eligibility.test/v1/head-counts",
        params={"region": CITY, "on": "2009-10-31", "cover_year": "2010"},
    )
    head_counts.mock(
        return_value=httpx.Response(
            200, json={"on": "2009-10-31", "as_of": "2009-11-01T00:00:00+08:00", "counts": counts}
        )
    )

    # 1. Pre-allocation (B§三): per district 571.20 city + 244.80 district; per county 408.00 + 408.00.
    pre = await api(
        client,
        "POST",
        "/v1/funding/pre-allocations",
        expect=201,
        headers={**FINANCE, "Idempotency-Key": "pre-2010"},
        json={
            "city": CITY,
            "year": 2010,
            "assessment_id": "A-2010",
            "assessment_version": 1,
            "value_date": "2009-12-20",
        },
    )
    amounts = {(a["region_code"], a["payer_level"]): a["amount"] for a in pre["basis"]["amounts"]}
    assert head_counts.calls.last.request.url.params["cover_year"] == "2010"  # 2010 age groups
    assert amounts[("210502", "city")] == "571.20"
    assert amounts[("210502", "district_or_county")] == "244.80"
    assert amounts[("210521", "city")] == amounts[("210521", "district_or_county")] == "408.00"
    accounts = {a["code"]: a for a in (await api(client, "GET", f"/v1/accounts?city={CITY}"))["items"]}
    assert accounts["medical_assistance_fund:210500"]["balance"]["posted"] == "4896.00"
    assert accounts["city_finance:210500"]["balance"]["posted"] == "-3100.80"  # 4 × 571.20 + 2 × 408.00

    # 2. 15 January: the collective dibao payment (3060.00) and the first marginal instalment (483.00).
    dibao = await batch_through(client, "dibao_collective", "A-2010", "2010-01-14")
    assert dibao["control"]["total"] == "3060.00"
    assert dibao["control"]["by_payer"]["city"] == "1938.00"
    first = await batch_through(client, "marginal_instalment", "A-2010", "2010-01-14", instalment=1)
    assert first["control"]["total"] == "483.00"
    # 3. 10 July: the second instalment.
    second = await batch_through(client, "marginal_instalment", "A-2010", "2010-07-09", instalment=2)
    assert second["control"]["total"] == "483.00"
    assert {dibao["state"], first["state"], second["state"]} == {"executed"}

    # 4. Year end: refunds (B§四(四)) to two people who had paid, through the bank.
    refunded = [people("210502", "marginal", "adult"), people("210521", "dibao", "minor")]
    premium.publish(
        "R-2010", [make_line(n, r, c, a, by_payer(r, c, a)) for n, r, c, a in refunded], kind="refunds"
    )
    refunds = await batch_through(client, "refunds", "R-2010", "2010-12-20", settle="bank")
    assert refunds["state"] == "reserved"
    assert refunds["control"]["total"] == "176.00"
    instructions = await client.get(
        f"/v1/batches/{refunds['id']}/payment-instructions?encoding=gb18030", headers=FINANCE
    )
    rows = list(csv.DictReader(io.StringIO(instructions.content.decode("gb18030"))))
    assert sum(Decimal(row["金额(元)"]) for row in rows) == Decimal("176.00")
    confirmation = "指令编号,结果,银行流水号,说明\r\n" + "".join(
        f"{row['指令编号']},成功,BANK{n:04d},\r\n" for n, row in enumerate(rows)
    )
    confirmed = await api(
        client,
        "POST",
        "/v1/bank/confirmations",
        files={"file": ("confirm.csv", confirmation.encode("gb18030"), "text/csv")},
    )
    assert confirmed["posted"] == len(rows)
    assert (await api(client, "GET", f"/v1/batches/{refunds['id']}"))["state"] == "executed"

    # 5. Year end: new entrants certified (paid next January): 350.00.
    entrants = [
        people("210503", "dibao", "adult"),
        people("210505", "marginal", "elderly"),
        people("210522", "dibao", "elderly"),
    ]
    premium.publish(
        "N-2010", [make_line(n, r, c, a, by_payer(r, c, a)) for n, r, c, a in entrants], kind="new_entrants"
    )
    new_batch = await api(
        client,
        "POST",
        "/v1/batches",
        headers=MAKER,
        expect=201,
        json={
            "city": CITY,
            "year": 2010,
            "kind": "new_entrants",
            "assessment_id": "N-2010",
            "assessment_version": 1,
        },
    )
    assert new_batch["due_on"] == "2011-01-15"

    # Before the new entrants are paid, reconciliation lists exactly what is still owed to them.
    pending = await api(client, "GET", f"/v1/reconciliation?city={CITY}&year=2010")
    assert {(d["region_code"], d["payer_level"], d["difference"]) for d in pending["differences"]} == {
        ("210503", "city", "-126.00"),
        ("210503", "district_or_county", "-54.00"),
        ("210505", "city", "-49.00"),
        ("210505", "district_or_county", "-21.00"),
        ("210522", "city", "-50.00"),
        ("210522", "district_or_county", "-50.00"),
    }

    # 6. Year-end settlement (B§三): due 4552.00 against 4896.00 funded — 344.00 goes back.
    settlement = await api(
        client,
        "POST",
        "/v1/funding/year-end-settlements",
        expect=201,
        headers={**FINANCE, "Idempotency-Key": "yes-2010"},
        json={"city": CITY, "year": 2010},
    )
    rows = {(r["region_code"], r["payer_level"]): r["difference"] for r in settlement["basis"]["rows"]}
    assert rows[("210502", "city")] == "-13.30"
    assert rows[("210503", "city")] == "24.50"
    assert rows[("210503", "district_or_county")] == "10.50"
    assert rows[("210521", "district_or_county")] == "-47.50"
    assert sum(Decimal(v) for v in rows.values()) == Decimal("-344.00")
    accounts = {a["code"]: a for a in (await api(client, "GET", f"/v1/accounts?city={CITY}"))["items"]}
    assert accounts["medical_assistance_fund:210500"]["balance"]["posted"] == "350.00"
    # the period is closed: a back-dated payment is refused
    back_dated = await client.post(f"/v1/batches/{new_batch['id']}/approve", json={}, headers=CHECKER)
    assert back_dated.status_code == 200
    refused = await client.post(
        f"/v1/batches/{new_batch['id']}/execute", json={"value_date": "2010-12-31"}, headers=FINANCE
    )
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/period-closed")

    # 7. 15 January 2011: the new entrants are paid from what the settlement left in the fund.
    paid = await api(
        client, "POST", f"/v1/batches/{new_batch['id']}/execute", json={"value_date": "2011-01-14"}
    )
    assert paid["state"] == "executed"
    accounts = {a["code"]: a for a in (await api(client, "GET", f"/v1/accounts?city={CITY}"))["items"]}
    assert accounts["medical_assistance_fund:210500"]["balance"]["posted"] == "0.00"
    assert accounts["resident_insurance_fund:210500"]["balance"]["posted"] == "4376.00"
    assert accounts["external_payee:210500"]["balance"]["posted"] == "176.00"

    # Reconciliation: zero differences, entries sum to zero, every balance equals its entries.
    reconciliation = await api(
        client, "GET", f"/v1/reconciliation?city={CITY}&year=2010", headers=bearer(Role.auditor)
    )
    assert reconciliation["differences"] == []
    assert reconciliation["totals"] == {"due": "4552.00", "moved": "4552.00", "difference": "0.00"}
    assert reconciliation["proofs"]["entries_sum_to_zero"] is True
    assert reconciliation["proofs"]["balances_equal_entries"] is True
    assert reconciliation["balanced"] is True

    # R1: the fiscal subsidy actually moved for 2010, as premium reads it: into the insurance fund, and the
    # refunds that reached residents (B§四(四)) — so moved can be compared with what was assessed.
    report = await api(
        client, "GET", "/v1/reports/fiscal-subsidy?region=210500&year=2010", headers=PREMIUM_SERVICE
    )
    assert report["to_insurance_fund"] == {
        "central": "0.00",
        "province": "0.00",
        "city": "2774.80",
        "district_or_county": "1601.20",
        "total": "4376.00",
    }
    # refunds: 126.00 (88.20 city + 37.80 平山区) + 50.00 (25.00 + 25.00 本溪县) = 176.00
    assert report["refunded"] == {
        "central": "0.00", "province": "0.00", "city": "113.20", "district_or_county": "62.80", "total": "176.00"
    }  # fmt: skip
    assert report["moved"]["total"] == "4552.00"  # = what the assessments say is due
    county = await api(
        client, "GET", "/v1/reports/fiscal-subsidy?region=210522&year=2010", headers=PREMIUM_SERVICE
    )
    assert county["to_insurance_fund"]["total"] == "771.00"  # 671.00 annual + 100.00 new entrant

    # Schedule, judged on 1 April 2011: money deadlines done on time, the province report overdue.
    await api(
        client,
        "POST",
        "/v1/schedule/submissions",
        headers=CIVIL,
        expect=201,
        json={
            "city": CITY,
            "year": 2010,
            "obligation": "monthly_change_report",
            "month": 1,
            "submitted_on": "2010-01-12",
        },
    )
    schedule = await api(client, "GET", f"/v1/schedule?city={CITY}&year=2010&on=2011-04-01")
    status = {(i["obligation"], i["month"]): (i["status"], i["late"]) for i in schedule["items"]}
    assert status[("dibao_collective", None)] == ("done", False)
    assert status[("marginal_instalment", 1)] == ("done", False)
    assert status[("marginal_instalment", 2)] == ("done", False)
    assert status[("refunds", None)] == ("done", False)
    assert status[("year_end_settlement", None)] == ("done", False)
    assert status[("new_entrants", None)] == ("done", False)
    assert status[("monthly_change_report", 1)] == ("done", True)  # filed on the 12th, due the 10th
    assert status[("monthly_change_report", 2)] == ("overdue", False)
    assert status[("province_report", None)] == ("overdue", False)
