"""Platform codes on settlement's records (issue 16.3, docs/codes.md): batch lines carry insutype 391, the
psn_type of their age group and the medical-assistance type of their category; payment instruction files carry
insutype, the category's type and both accounts' fund codes; the two fund accounts carry 610100 and 390100.
Expected values are written by hand AND read from huimin_policy.codes, so a wrong map fails."""

import csv
import io
from decimal import Decimal

import httpx
import pytest

from huimin_policy import codes
from huimin_settlement.batches.schemas import BatchLineOut

from .test_benxi_year import CITY, FINANCE, api, batch_through, by_payer

# (category, age group) → (insutype, psn_type, medical-assistance type), by hand from the reference data.
EXPECTED = {
    ("dibao", "minor"): ("391", "14", "1"),
    ("dibao", "adult"): ("391", "15", "1"),
    ("dibao", "elderly"): ("391", "16", "1"),
    ("marginal", "minor"): ("391", "14", None),
    ("marginal", "adult"): ("391", "15", None),
    ("marginal", "elderly"): ("391", "16", None),
    ("low_income_elderly", "elderly"): ("391", "16", "5"),
    ("severely_disabled", "minor"): ("391", "14", "7"),
    ("severely_disabled", "adult"): ("391", "15", "7"),
}


@pytest.mark.parametrize(("category", "age_group"), list(EXPECTED), ids=[f"{c}-{a}" for c, a in EXPECTED])
def test_a_batch_line_of_each_category_and_age_group_carries_its_codes(category: str, age_group: str) -> None:
    """Every category the notices name, including the national ones (N§一) a Benxi batch never holds."""
    line = BatchLineOut(
        line_no=1, id_number="210502198001011234", region_code="210502", category=category, age_group=age_group,
        line_kind="regular", adjusts_version=None, amount=Decimal("1.00"), central=Decimal("0.00"),
        province=Decimal("0.00"), city=Decimal("0.70"), district_or_county=Decimal("0.30"), citation="B§三",
    )  # fmt: skip
    rendered = line.model_dump(mode="json")
    got = (rendered["insutype"], rendered["psn_type"], rendered["assistance_psn_type"])
    assert got == EXPECTED[(category, age_group)]
    assert got == (codes.INSUTYPE, codes.psn_type(age_group), codes.assistance_psn_type(category))


async def test_batch_lines_payment_files_and_fund_accounts_carry_the_platform_codes(
    client, premium, peers, make_line, make_id
) -> None:
    """Through the API: a dibao collective batch paid through the bank and a marginal instalment, 平山区 and
    本溪县, every age group."""
    await api(client, "POST", "/v1/ledger/charts", json={"city": CITY}, expect=201)
    people = [
        (make_id(region, born, 700 + n), region, category, age_group)
        for n, (region, category, age_group, born) in enumerate(
            (region, category, age_group, born)
            for region in ("210502", "210521")
            for category in ("dibao", "marginal")
            for age_group, born in (("minor", "20030615"), ("adult", "19700101"), ("elderly", "19400101"))
        )
    ]
    premium.publish("A-2010", [make_line(n, r, c, a, by_payer(r, c, a)) for n, r, c, a in people])
    expected = {n: EXPECTED[(c, a)] for n, _r, c, a in people}
    # The fund is filled by the pre-allocation (B§三) from a head count of ten in every cell.
    counts = [
        {"region_code": r, "category": c, "age_group": a, "count": 10}
        for r in ("210502", "210521")
        for c in ("dibao", "marginal")
        for a in ("minor", "adult", "elderly")
    ]
    peers.get("http://eligibility.test/v1/head-counts").mock(
        return_value=httpx.Response(
            200, json={"on": "2009-10-31", "as_of": "2009-11-01T00:00:00+08:00", "counts": counts}
        )
    )
    await api(
        client,
        "POST",
        "/v1/funding/pre-allocations",
        expect=201,
        headers={**FINANCE, "Idempotency-Key": "pre-codes"},
        json={
            "city": CITY,
            "year": 2010,
            "assessment_id": "A-2010",
            "assessment_version": 1,
            "value_date": "2009-12-20",
        },
    )

    dibao = await batch_through(client, "dibao_collective", "A-2010", "2010-01-14", settle="bank")
    marginal = await batch_through(client, "marginal_instalment", "A-2010", "2010-01-14", instalment=1)
    seen = {}
    for batch in (dibao, marginal):
        lines = (await api(client, "GET", f"/v1/batches/{batch['id']}/lines"))["items"]
        seen.update(
            {ln["id_number"]: (ln["insutype"], ln["psn_type"], ln["assistance_psn_type"]) for ln in lines}
        )
    assert seen == expected

    instructions = await client.get(f"/v1/batches/{dibao['id']}/payment-instructions", headers=FINANCE)
    assert instructions.status_code == 200, instructions.text
    rows = list(csv.DictReader(io.StringIO(instructions.content.decode("utf-8-sig"))))
    assert rows
    for row in rows:
        # dibao money leaves the medical assistance fund (610100) for the resident insurance fund (390100), N§二
        assert (row["险种类型"], row["医疗救助人员类别"], row["付款基金编码"], row["收款基金编码"]) == (
            "391",
            "1",
            "610100",
            "390100",
        )

    accounts = (await api(client, "GET", f"/v1/accounts?city={CITY}"))["items"]
    funds = {a["code"]: a["fund_code"] for a in accounts if a["fund_code"] is not None}
    assert funds == {"medical_assistance_fund:210500": "610100", "resident_insurance_fund:210500": "390100"}
    assert all(a["fund_code"] == codes.fund_code(a["type"]) for a in accounts)
