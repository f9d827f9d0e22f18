"""Paying a later assessment version as premium writes it: version n + 1 = version n's lines carried
unchanged plus adjustment lines (new +, exited −, reversal −, replacement +). What a version says is due
is its regular lines plus its adjustment lines (S3, S4, B§四(一)/(二), P6)."""

from decimal import Decimal

import pytest

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

from .conftest import record_own_shares

MAKER = bearer(Role.social_insurance, subject="si-clerk")
CHECKER = bearer(Role.finance, subject="finance-checker")
FINANCE = bearer(Role.finance, subject="finance-clerk")
MAF = "medical_assistance_fund:210500"
RIF = "resident_insurance_fund:210500"


async def prepare(client, **body):
    if body.get("kind") in ("marginal_instalment", "adjustment"):
        await record_own_shares(
            client
        )  # S3: everybody (new people of a later version too) paid their own share
    payload = {"city": "210500", "year": 2010, "assessment_id": "A-2010", "assessment_version": 1, **body}
    return await client.post("/v1/batches", json=payload, headers=MAKER)


async def run(client, batch_id: str) -> dict:
    approved = await client.post(f"/v1/batches/{batch_id}/approve", json={}, headers=CHECKER)
    assert approved.status_code == 200, approved.text
    executed = await client.post(
        f"/v1/batches/{batch_id}/execute",
        json={"value_date": "2010-01-14", "settle": "ledger"},
        headers=FINANCE,
    )
    assert executed.status_code == 200, executed.text
    return executed.json()


async def prepared(client, **body) -> dict:
    response = await prepare(client, **body)
    assert response.status_code == 201, response.text
    return response.json()


async def paid_per_person(client, batch_ids: list[str]) -> dict[str, Decimal]:
    paid: dict[str, Decimal] = {}
    for batch_id in batch_ids:
        page = (await client.get(f"/v1/batches/{batch_id}/lines?limit=1000", headers=FINANCE)).json()
        for item in page["items"]:
            paid[item["id_number"]] = paid.get(item["id_number"], Decimal("0.00")) + Decimal(item["amount"])
    return paid


@pytest.fixture
def people(make_id):
    return {
        "p1": make_id("210502", "19800101", 11),
        "p2": make_id("210502", "19810101", 13),
        "p3": make_id("210502", "19820101", 15),
        "a": make_id("210502", "19750101", 21),  # marginal, unchanged
        "b": make_id("210502", "19760101", 23),  # marginal, exits in v2
        "c": make_id("210502", "19770101", 25),  # marginal, changes in v2
        "d": make_id("210502", "19780101", 27),  # marginal, new in v2
    }


def adjustment(make_line, number, category, by_payer, adjusts_version=1):
    return make_line(
        number,
        "210502",
        category,
        "adult",
        ("0.00", "0.00", *by_payer),
        line_kind="adjustment",
        adjusts_version=adjusts_version,
    )


async def test_an_adjustment_paid_in_full_reconciles_without_a_difference(
    ledger, premium, make_line, people
) -> None:
    """S4 / B§四(一): v1 p1 dibao 180.00 (126.00 + 54.00) paid collectively; v2 carries it and adds p2 new
    150.00 (105.00 + 45.00), paid by an adjustment batch. RIF holds 330.00; due = 180.00 regular + 150.00
    adjustment = 330.00, so reconciliation is balanced (the regular lines alone would show +150.00)."""
    premium.publish(
        "A-2010", [make_line(people["p1"], "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00"))]
    )
    await ledger.fund(MAF, "1000.00")
    first = await run(ledger.client, (await prepared(ledger.client, kind="dibao_collective"))["id"])
    premium.publish("A-2010", [adjustment(make_line, people["p2"], "dibao", ("105.00", "45.00"))])
    adjusting = await prepared(
        ledger.client, kind="adjustment", assessment_version=2, adjusts_batch_id=first["id"]
    )
    assert adjusting["control"]["total"] == "150.00"
    await run(ledger.client, adjusting["id"])
    assert (await ledger.balance(RIF))["posted"] == "330.00"
    reconciliation = (
        await ledger.client.get("/v1/reconciliation?city=210500&year=2010", headers=FINANCE)
    ).json()
    assert reconciliation["totals"] == {"due": "330.00", "moved": "330.00", "difference": "0.00"}
    assert reconciliation["differences"] == []
    assert reconciliation["balanced"] is True


async def test_an_unpaid_new_resident_shows_as_an_underpayment(ledger, premium, make_line, people) -> None:
    """S4: v2 adds p2 (150.00) but no adjustment batch has paid it yet: the difference is −150.00
    (105.00 city, 45.00 district), an underpayment, not an overpayment."""
    premium.publish(
        "A-2010", [make_line(people["p1"], "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00"))]
    )
    await ledger.fund(MAF, "1000.00")
    await run(ledger.client, (await prepared(ledger.client, kind="dibao_collective"))["id"])
    premium.publish("A-2010", [adjustment(make_line, people["p2"], "dibao", ("105.00", "45.00"))])
    # the v2 read is pinned by preparing (and cancelling) its adjustment batch
    batches = (await ledger.client.get("/v1/batches?city=210500", headers=FINANCE)).json()["items"]
    pending = await prepared(
        ledger.client, kind="adjustment", assessment_version=2, adjusts_batch_id=batches[0]["id"]
    )
    await ledger.client.post(f"/v1/batches/{pending['id']}/cancel", json={}, headers=FINANCE)
    reconciliation = (
        await ledger.client.get("/v1/reconciliation?city=210500&year=2010", headers=FINANCE)
    ).json()
    assert reconciliation["totals"] == {"due": "330.00", "moved": "180.00", "difference": "-150.00"}
    assert {(d["payer_level"], d["difference"]) for d in reconciliation["differences"]} == {
        ("city", "-105.00"),
        ("district_or_county", "-45.00"),
    }


async def test_marginal_instalments_across_versions_pay_new_exited_and_changed_people_to_the_fen(
    ledger, premium, make_line, people
) -> None:
    """B§四(二) / P6 / S4. v1 (city, district): a 73.50 + 31.50 = 105.00, b 73.51 + 31.50 = 105.01,
    c 61.79 + 26.47 = 88.26. v2: d new 49.00 + 21.00 = 70.00, b exited (−73.51, −31.50), c changed to
    73.51 + 31.51 = 105.02 (reversal −61.79/−26.47, replacement +73.51/+31.51).

    Instalment 1 from v1 (odd fen first): city 36.75 + 36.76 + 30.90 = 104.41, district 15.75 + 15.75 +
    13.24 = 44.74 → 149.15. Its adjustment from v2 (instalment-1 halves of the v2 adjustment lines): city
    24.50 − 36.76 − 30.90 + 36.76 = −6.40, district 10.50 − 15.75 − 13.24 + 15.76 = −2.73 → −9.13.
    Instalment 2 from v2 (second halves of every v2 line, regular and adjustment): city 36.75 + 36.75 +
    30.89 + 24.50 − 36.75 − 30.89 + 36.75 = 98.00, district 15.75 + 15.75 + 13.23 + 10.50 − 15.75 − 13.23
    + 15.75 = 42.00 → 140.00. Together: city 196.01, district 84.01 = 280.02 = v2's a 105.00 + b 0 +
    c 105.02 + d 70.00; each person gets exactly their v2 amount."""
    premium.publish(
        "A-2010",
        [
            make_line(people["a"], "210502", "marginal", "adult", ("0.00", "0.00", "73.50", "31.50")),
            make_line(people["b"], "210502", "marginal", "adult", ("0.00", "0.00", "73.51", "31.50")),
            make_line(people["c"], "210502", "marginal", "adult", ("0.00", "0.00", "61.79", "26.47")),
        ],
    )
    await ledger.fund(MAF, "1000.00")
    first = await prepared(ledger.client, kind="marginal_instalment", instalment=1)
    assert first["control"]["total"] == "149.15"
    await run(ledger.client, first["id"])
    premium.publish(
        "A-2010",
        [
            adjustment(make_line, people["b"], "marginal", ("-73.51", "-31.50")),
            adjustment(make_line, people["c"], "marginal", ("-61.79", "-26.47")),
            adjustment(make_line, people["c"], "marginal", ("73.51", "31.51")),
            adjustment(make_line, people["d"], "marginal", ("49.00", "21.00")),
        ],
    )
    adjusting = await prepared(
        ledger.client, kind="adjustment", assessment_version=2, adjusts_batch_id=first["id"]
    )
    assert adjusting["control"]["total"] == "-9.13"
    assert adjusting["control"]["by_payer"]["city"] == "-6.40"
    assert adjusting["control"]["by_payer"]["district_or_county"] == "-2.73"
    await run(ledger.client, adjusting["id"])
    second = await prepared(ledger.client, kind="marginal_instalment", instalment=2, assessment_version=2)
    assert second["control"]["total"] == "140.00"
    assert second["control"]["by_payer"]["city"] == "98.00"
    assert second["control"]["by_payer"]["district_or_county"] == "42.00"
    await run(ledger.client, second["id"])

    assert (await ledger.balance(RIF))["posted"] == "280.02"
    paid = await paid_per_person(ledger.client, [first["id"], adjusting["id"], second["id"]])
    assert paid == {
        people["a"]: Decimal("105.00"),
        people["b"]: Decimal("0.00"),
        people["c"]: Decimal("105.02"),
        people["d"]: Decimal("70.00"),
    }
    reconciliation = (
        await ledger.client.get("/v1/reconciliation?city=210500&year=2010", headers=FINANCE)
    ).json()
    assert reconciliation["totals"] == {"due": "280.02", "moved": "280.02", "difference": "0.00"}
    assert reconciliation["balanced"] is True


async def test_a_later_adjustment_pays_only_the_changes_since_the_last_one(
    ledger, premium, make_line, people
) -> None:
    """S4 (no payment twice): v1 p1 dibao 180.00 and marginal a 105.00 (instalment 1: 52.50); v2 adds p2
    dibao 150.00 and marginal d 70.00 — both batches are adjusted from v2 (150.00 and 35.00); v3 adds p3
    dibao 100.00 (70.00 + 30.00). v3 carries v2's adjustment lines, already paid: the v3 adjustment of the
    dibao batch pays 100.00 only. RIF: 180.00 + 52.50 + 150.00 + 35.00 + 100.00 = 517.50."""
    premium.publish(
        "A-2010",
        [
            make_line(people["p1"], "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00")),
            make_line(people["a"], "210502", "marginal", "adult", ("0.00", "0.00", "73.50", "31.50")),
        ],
    )
    await ledger.fund(MAF, "1000.00")
    dibao = await run(ledger.client, (await prepared(ledger.client, kind="dibao_collective"))["id"])
    marginal = await run(
        ledger.client, (await prepared(ledger.client, kind="marginal_instalment", instalment=1))["id"]
    )
    premium.publish(
        "A-2010",
        [
            adjustment(make_line, people["p2"], "dibao", ("105.00", "45.00")),
            adjustment(make_line, people["d"], "marginal", ("49.00", "21.00")),
        ],
    )
    dibao_v2 = await prepared(
        ledger.client, kind="adjustment", assessment_version=2, adjusts_batch_id=dibao["id"]
    )
    assert dibao_v2["control"]["total"] == "150.00"
    marginal_v2 = await prepared(
        ledger.client, kind="adjustment", assessment_version=2, adjusts_batch_id=marginal["id"]
    )
    assert marginal_v2["control"]["total"] == "35.00"
    await run(ledger.client, dibao_v2["id"])
    await run(ledger.client, marginal_v2["id"])

    premium.publish(
        "A-2010", [adjustment(make_line, people["p3"], "dibao", ("70.00", "30.00"), adjusts_version=2)]
    )
    of_adjustment = await prepare(
        ledger.client, kind="adjustment", assessment_version=3, adjusts_batch_id=dibao_v2["id"]
    )
    assert of_adjustment.status_code == 422
    assert of_adjustment.json()["errors"][0]["field"] == "body.adjusts_batch_id"
    dibao_v3 = await prepared(
        ledger.client, kind="adjustment", assessment_version=3, adjusts_batch_id=dibao["id"]
    )
    assert dibao_v3["control"]["total"] == "100.00"
    await run(ledger.client, dibao_v3["id"])
    assert (await ledger.balance(RIF))["posted"] == "517.50"


async def test_a_regular_batch_from_a_later_version_pays_its_adjustment_lines_too(
    ledger, premium, make_line, people
) -> None:
    """S3 / B§三: the dibao batch is first prepared from v2 (v1 p1 180.00 + v2 new p2 150.00): it pays
    330.00. The supplementary allocation tops the empty fund up by v2's due: city 126.00 + 105.00 = 231.00,
    district 54.00 + 45.00 = 99.00."""
    premium.publish(
        "A-2010", [make_line(people["p1"], "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00"))]
    )
    premium.publish("A-2010", [adjustment(make_line, people["p2"], "dibao", ("105.00", "45.00"))])
    batch = await prepared(ledger.client, kind="dibao_collective", assessment_version=2)
    assert batch["control"]["total"] == "330.00"
    topped = await ledger.client.post(
        "/v1/funding/supplementary-allocations",
        headers=ledger.key(),
        json={"city": "210500", "year": 2010, "value_date": "2010-01-10"},
    )
    assert topped.status_code == 201, topped.text
    rows = {(r["region_code"], r["payer_level"]): r["difference"] for r in topped.json()["basis"]["rows"]}
    assert rows == {("210502", "city"): "231.00", ("210502", "district_or_county"): "99.00"}


async def variance_of(client, batch_id: str) -> dict:
    response = await client.get(f"/v1/batches/{batch_id}/variance", headers=FINANCE)
    assert response.status_code == 200, response.text
    return response.json()


async def test_each_batch_is_compared_with_the_previous_batch_of_its_own_kind_and_instalment(
    ledger, premium, make_line, people
) -> None:
    """Variance (变动情况, B§四(三)): v1 dibao p1 and marginal a; v2 adds dibao p2 and marginal d, each
    batch adjusted; v3 adds dibao p3. The marginal adjustment is not compared with the dibao one (which
    would list p2 as exited and d as new in the wrong list): it has no predecessor of its kind, so d alone
    is new. The dibao v3 adjustment is compared with the dibao v2 adjustment, whatever came between."""
    premium.publish(
        "A-2010",
        [
            make_line(people["p1"], "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00")),
            make_line(people["a"], "210502", "marginal", "adult", ("0.00", "0.00", "73.50", "31.50")),
        ],
    )
    await ledger.fund(MAF, "1000.00")
    dibao = await run(ledger.client, (await prepared(ledger.client, kind="dibao_collective"))["id"])
    marginal = await run(
        ledger.client, (await prepared(ledger.client, kind="marginal_instalment", instalment=1))["id"]
    )
    premium.publish(
        "A-2010",
        [
            adjustment(make_line, people["p2"], "dibao", ("105.00", "45.00")),
            adjustment(make_line, people["d"], "marginal", ("49.00", "21.00")),
        ],
    )
    dibao_v2 = await prepared(
        ledger.client, kind="adjustment", assessment_version=2, adjusts_batch_id=dibao["id"]
    )
    marginal_v2 = await prepared(
        ledger.client, kind="adjustment", assessment_version=2, adjusts_batch_id=marginal["id"]
    )
    assert marginal_v2["previous_batch_id"] is None
    variance = await variance_of(ledger.client, marginal_v2["id"])
    assert variance["counts"] == {"new": 1, "exited": 0, "changed": 0}
    assert [item["id_number"] for item in variance["items"]] == [people["d"]]
    await run(ledger.client, dibao_v2["id"])
    await run(ledger.client, marginal_v2["id"])

    premium.publish(
        "A-2010", [adjustment(make_line, people["p3"], "dibao", ("70.00", "30.00"), adjusts_version=2)]
    )
    dibao_v3 = await prepared(
        ledger.client, kind="adjustment", assessment_version=3, adjusts_batch_id=dibao["id"]
    )
    assert dibao_v3["previous_batch_id"] == dibao_v2["id"]
    variance = await variance_of(ledger.client, dibao_v3["id"])
    assert variance["counts"] == {"new": 1, "exited": 1, "changed": 0}  # p3 paid now, p2 paid by v2
    assert {item["id_number"]: item["change"] for item in variance["items"]} == {
        people["p3"]: "new",
        people["p2"]: "exited",
    }
