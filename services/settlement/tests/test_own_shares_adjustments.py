"""Own shares before an adjustment of a marginal instalment (POLICY.md S3, B§四(二), S4): the change a later
assessment version makes is paid only to people the adjusted instalment batch (or a carry of it) paid, and
who have paid their own share; the others' adjustment lines wait, and are carried by a carry batch of the
adjustment once their instalment line has been carried — so each person gets their current amount, once."""

from decimal import Decimal

import pytest

from huimin_shared.auth import Role
from huimin_shared.idnumber import mask
from huimin_shared.testing import bearer

MAKER = bearer(Role.social_insurance, subject="si-clerk")
CHECKER = bearer(Role.finance, subject="finance-checker")
FINANCE = bearer(Role.finance, subject="finance-clerk")
SI = bearer(Role.social_insurance, subject="si-system")
MAF = "medical_assistance_fund:210500"
RIF = "resident_insurance_fund:210500"


@pytest.fixture
def people(make_id):
    return {
        "p4": make_id("210502", "19750101", 14),  # 平山区 marginal adult
        "p5": make_id("210503", "19700101", 15),  # 溪湖区 marginal adult
    }


def payment(number: str, region: str, paid_on: str) -> dict:
    return {
        "id_number": number,
        "region_code": region,
        "cover_year": 2010,
        "amount": "27.00",
        "paid_on": paid_on,
    }


async def prepared(client, **body) -> dict:
    payload = {"city": "210500", "year": 2010, "assessment_id": "A-2010", "assessment_version": 1, **body}
    response = await client.post("/v1/batches", json=payload, headers=MAKER)
    assert response.status_code == 201, response.text
    return response.json()


async def run(client, batch_id: str) -> None:
    approved = await client.post(f"/v1/batches/{batch_id}/approve", json={}, headers=CHECKER)
    assert approved.status_code == 200, approved.text
    executed = await client.post(
        f"/v1/batches/{batch_id}/execute",
        json={"value_date": "2010-02-05", "settle": "ledger"},
        headers=FINANCE,
    )
    assert executed.status_code == 200, executed.text
    assert executed.json()["state"] == "executed"


async def carry(client, batch_id: str):
    return await client.post(
        "/v1/own-shares/carry-batches", json={"batch_id": batch_id, "paid_by": "2010-02-04"}, headers=MAKER
    )


async def paid_per_person(client, batch_ids: list[str]) -> dict[str, Decimal]:
    paid: dict[str, Decimal] = {}
    for batch_id in batch_ids:
        page = (await client.get(f"/v1/batches/{batch_id}/lines?limit=1000", headers=FINANCE)).json()
        for item in page["items"]:
            paid[item["id_number"]] = paid.get(item["id_number"], Decimal("0.00")) + Decimal(item["amount"])
    return paid


async def test_an_adjustment_pays_a_withheld_persons_change_only_after_their_instalment_is_carried(
    ledger, premium, make_line, people
) -> None:
    """S3 on adjustments. v1 (city, district): p4 88.20 + 37.80 = 126.00, p5 61.79 + 26.47 = 88.26. p4 paid
    their own share on 2009-12-20, p5 on 2010-02-01 (after 15 January).

    Instalment 1 (v1, odd fen first) pays p4 44.10 + 18.90 = 63.00; p5's 30.90 + 13.24 = 44.14 is withheld.
    v2 raises both by 20.00 (reversal −, replacement +): p4 102.20 + 43.80 = 146.00, p5 75.79 + 32.47 = 108.26.
    The adjustment of instalment 1 takes the instalment-1 halves of the v2 adjustment lines: p4 −44.10 − 18.90
    + 51.10 + 21.90 = 10.00 (7.00 city, 3.00 district), p5 −30.90 − 13.24 + 37.90 + 16.24 = 10.00 (7.00, 3.00).
    It pays p4's 10.00 only: p5 has paid by now, but instalment 1 never paid p5, so p5's change waits too
    (before the fix it paid 20.00 to both). A carry of the adjustment finds nobody to pay until p5's
    instalment line is carried (44.14); then it pays p5's 10.00. Each has their v2 instalment-1 half: p4
    73.00 (51.10 + 21.90), p5 54.14 (37.90 + 16.24). Instalment 2 from v2 pays 73.00 + 54.12 = 127.12.
    Reconciliation: due 146.00 + 108.26 = 254.26 = moved 63.00 + 10.00 + 44.14 + 10.00 + 127.12."""
    client = ledger.client
    premium.publish(
        "A-2010",
        [
            make_line(people["p4"], "210502", "marginal", "adult", ("0.00", "0.00", "88.20", "37.80")),
            make_line(people["p5"], "210503", "marginal", "adult", ("0.00", "0.00", "61.79", "26.47")),
        ],
    )
    await ledger.fund(MAF, "1000.00")
    recorded = await client.post(
        "/v1/own-share-payments",
        json={"payments": [payment(people["p4"], "210502", "2009-12-20")]},
        headers=SI,
    )
    assert recorded.status_code == 201, recorded.text
    first = await prepared(client, kind="marginal_instalment", instalment=1)
    assert (first["control"]["line_count"], first["control"]["total"]) == (1, "63.00")
    await run(client, first["id"])

    def changed(number: str, region: str, old: tuple[str, str], new: tuple[str, str]) -> list[dict]:
        return [
            make_line(number, region, "marginal", "adult", ("0.00", "0.00", *(f"-{v}" for v in old)),
                      line_kind="adjustment", adjusts_version=1),
            make_line(number, region, "marginal", "adult", ("0.00", "0.00", *new),
                      line_kind="adjustment", adjusts_version=1),
        ]  # fmt: skip

    premium.publish(
        "A-2010",
        [
            *changed(people["p4"], "210502", ("88.20", "37.80"), ("102.20", "43.80")),
            *changed(people["p5"], "210503", ("61.79", "26.47"), ("75.79", "32.47")),
        ],
    )
    late = await client.post(
        "/v1/own-share-payments",
        json={"payments": [payment(people["p5"], "210503", "2010-02-01")]},
        headers=SI,
    )
    assert late.status_code == 201, late.text

    adjusting = await prepared(client, kind="adjustment", assessment_version=2, adjusts_batch_id=first["id"])
    assert (adjusting["control"]["line_count"], adjusting["control"]["total"]) == (2, "10.00")
    assert adjusting["control"]["by_payer"]["city"] == "7.00"
    assert adjusting["control"]["by_payer"]["district_or_county"] == "3.00"
    await run(client, adjusting["id"])
    assert await paid_per_person(client, [first["id"], adjusting["id"]]) == {people["p4"]: Decimal("73.00")}
    waiting = await client.get(
        "/v1/own-shares/waiting", params={"city": "210500", "year": 2010, "on": "2010-02-04"}, headers=FINANCE
    )
    assert sorted((i["batch_id"], i["amount"]) for i in waiting.json()["items"]) == sorted(
        [(first["id"], "44.14"), (adjusting["id"], "-44.14"), (adjusting["id"], "54.14")]
    )
    assert {i["id_number"] for i in waiting.json()["items"]} == {mask(people["p5"])}

    # p5's change waits behind p5's instalment line: nothing to carry from the adjustment yet
    too_early = await carry(client, adjusting["id"])
    assert too_early.status_code == 409, too_early.text
    assert too_early.json()["nothing_to_carry"] is True

    carried = await carry(client, first["id"])
    assert carried.status_code == 201, carried.text
    assert (carried.json()["line_count"], carried.json()["total"]) == (1, "44.14")
    await run(client, str(carried.json()["batch_id"]))

    carried_change = await carry(client, adjusting["id"])
    assert carried_change.status_code == 201, carried_change.text
    assert (carried_change.json()["carry_no"], carried_change.json()["line_count"]) == (1, 2)
    assert carried_change.json()["total"] == "10.00"
    change = (await client.get(f"/v1/batches/{carried_change.json()['batch_id']}", headers=FINANCE)).json()
    assert (change["kind"], change["adjusts_batch_id"]) == ("adjustment", first["id"])
    assert (change["control"]["by_payer"]["city"], change["control"]["by_payer"]["district_or_county"]) == (
        "7.00",
        "3.00",
    )
    await run(client, change["id"])
    nobody = await client.get(
        "/v1/own-shares/waiting", params={"city": "210500", "year": 2010}, headers=FINANCE
    )
    assert nobody.json()["items"] == []

    second = await prepared(client, kind="marginal_instalment", instalment=2, assessment_version=2)
    assert second["control"]["total"] == "127.12"
    await run(client, second["id"])

    instalment_1 = [first["id"], adjusting["id"], str(carried.json()["batch_id"]), change["id"]]
    assert await paid_per_person(client, instalment_1) == {
        people["p4"]: Decimal("73.00"),
        people["p5"]: Decimal("54.14"),
    }
    assert (await ledger.balance(RIF))["posted"] == "254.26"
    reconciliation = (await client.get("/v1/reconciliation?city=210500&year=2010", headers=FINANCE)).json()
    assert reconciliation["totals"] == {"due": "254.26", "moved": "254.26", "difference": "0.00"}
    assert reconciliation["balanced"] is True
