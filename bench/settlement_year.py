"""Benchmark of the settlement service's bulk path on real PostgreSQL: a premium assessment of N
lines streamed as NDJSON (respx stands in for premium), batch preparation (COPY into the ledger
database), approval (control totals recomputed), execution, variance, reconciliation and the R1
report. Prints the figures; asserts nothing about time.

    .venv/bin/python bench/settlement_year.py --lines 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import respx
from asgi_lifespan import LifespanManager

from huimin_settlement.app import MIGRATIONS, create_app
from huimin_settlement.settings import SettlementSettings
from huimin_shared import migrations, postgres
from huimin_shared.auth import Role, mint_token
from huimin_shared.idnumber import check_character
from huimin_shared.settings import DEVELOPMENT_JWT_SECRET

PREMIUM = "http://premium.bench"
REGIONS = ("210502", "210503", "210504", "210505", "210521", "210522")
RATES = {  # (category, age group) → subsidy; dibao 100 %, marginal 70 % of illustrative contributions
    ("dibao", "adult"): Decimal("180.00"),
    ("dibao", "minor"): Decimal("50.00"),
    ("dibao", "elderly"): Decimal("100.00"),
    ("marginal", "adult"): Decimal("126.00"),
    ("marginal", "minor"): Decimal("35.00"),
    ("marginal", "elderly"): Decimal("70.00"),
}


def headers(*roles: Role, subject: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_token(DEVELOPMENT_JWT_SECRET, subject=subject, roles=roles)}


def synthetic_line(n: int) -> tuple[dict[str, object], Decimal, Decimal]:
    region = REGIONS[n % 6]
    born = date(1940, 1, 1) + timedelta(days=(n // 6) // 1000)
    first_17 = f"{region}{born:%Y%m%d}{(n // 6) % 1000:03d}"
    category = "dibao" if n % 10 < 7 else "marginal"
    age_group = ("adult", "adult", "minor", "elderly")[n % 4]
    subsidy = RATES[(category, age_group)]
    city = (subsidy * (Decimal("0.7") if region < "210520" else Decimal("0.5"))).quantize(Decimal("0.01"))
    line = {
        "id_number": first_17 + check_character(first_17),
        "region_code": region,
        "category": category,
        "age_group": age_group,
        "line_kind": "regular",
        "adjusts_version": None,
        "individual_contribution": str(subsidy),
        "assistance_subsidy": str(subsidy),
        "resident_pays": "0.00",
        "by_payer": {
            "central": "0.00",
            "province": "0.00",
            "city": str(city),
            "district_or_county": str(subsidy - city),
        },
        "citation": "本政办发〔2009〕130号 B§一(二)",
    }
    return line, subsidy, city


def write_assessment(count: int, directory: Path) -> tuple[dict[str, object], list[dict[str, object]]]:
    """The NDJSON premium would send, written once per category to a file (its making is not timed), its
    totals and its groups (premium's grouped read: lines per region, category, age group, line kind)."""
    total = city = Decimal("0.00")
    groups: dict[tuple[str, str, str], list[object]] = {}
    outs = {c: (directory / f"{c}.ndjson").open("w", encoding="utf-8") for c in ("dibao", "marginal")}
    try:
        for n in range(count):
            line, subsidy, city_part = synthetic_line(n)
            total += subsidy
            city += city_part
            outs[str(line["category"])].write(json.dumps(line, ensure_ascii=False) + "\n")
            key = (str(line["region_code"]), str(line["category"]), str(line["age_group"]))
            group = groups.setdefault(key, [0, Decimal("0.00"), Decimal("0.00")])
            group[0] += 1  # type: ignore[operator]
            group[1] += subsidy  # type: ignore[operator]
            group[2] += city_part  # type: ignore[operator]
    finally:
        for out in outs.values():
            out.close()
    items: list[dict[str, object]] = [
        {
            "region_code": region,
            "category": category,
            "age_group": age_group,
            "line_kind": "regular",
            "count": n,
            "individual_contribution": str(amount),
            "assistance_subsidy": str(amount),
            "resident_pays": "0.00",
            "by_payer": {
                "central": "0.00",
                "province": "0.00",
                "city": str(city_part),
                "district_or_county": str(amount - city_part),  # type: ignore[operator]
            },
        }
        for (region, category, age_group), (n, amount, city_part) in sorted(groups.items())
    ]
    totals = {
        "assistance_subsidy": str(total),
        "by_payer": {
            "central": "0.00",
            "province": "0.00",
            "city": str(city),
            "district_or_county": str(total - city),
        },
    }
    return totals, items


async def stream(paths: list[Path]) -> AsyncIterator[bytes]:
    for path in paths:
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                yield chunk


def lines_answer(directory: Path, request: httpx.Request) -> httpx.Response:
    """Premium's NDJSON stream, honouring its `category` filter (the files hold one category each)."""
    wanted = request.url.params.get_list("category") or ["dibao", "marginal"]
    paths = [directory / f"{c}.ndjson" for c in ("dibao", "marginal") if c in wanted]
    return httpx.Response(200, content=stream(paths))


async def run(count: int) -> None:
    name = f"bench_settlement_{uuid.uuid4().hex[:8]}"
    server = postgres.LOCAL_SERVER_URL
    source = Path(tempfile.mkdtemp(prefix="bench-settlement-"))
    url = await postgres.create_database(server, name, drop_first=True)
    try:
        await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
        settings = SettlementSettings(
            database_url=url,
            environment="test",
            premium_url=PREMIUM,
            pending_sweep_seconds=0,
            log_level="WARNING",
        )
        started = time.perf_counter()
        header_totals, groups = write_assessment(count, source)
        size = sum(path.stat().st_size for path in source.glob("*.ndjson"))
        print(
            f"lines: {count:,} ({size / 1e6:.0f} MB of NDJSON, made in "
            f"{time.perf_counter() - started:.1f} s, not timed)"
        )
        with respx.mock(assert_all_called=False) as peers:
            peers.get(f"{PREMIUM}/v1/assessments/A").mock(
                return_value=httpx.Response(
                    200,
                    json={
                        "id": "A",
                        "region": "210500",
                        "year": 2010,
                        "kind": "annual",
                        "latest_version": 1,
                        "pack": {},
                    },
                )
            )
            peers.get(f"{PREMIUM}/v1/assessments/A/versions/1").mock(
                return_value=httpx.Response(
                    200,
                    json={
                        "id": "A",
                        "version": 1,
                        "region": "210500",
                        "year": 2010,
                        "kind": "annual",
                        "status": "complete",
                        "line_count": count,
                        "totals": header_totals,
                        "pack": {},
                    },
                )
            )
            peers.get(f"{PREMIUM}/v1/assessments/A/versions/1/lines").mock(
                side_effect=lambda request: lines_answer(source, request)
            )
            peers.get(f"{PREMIUM}/v1/assessments/A/versions/1/groups").mock(
                return_value=httpx.Response(200, json={"items": groups})
            )
            app = create_app(settings)
            async with LifespanManager(app) as manager:
                transport = httpx.ASGITransport(app=manager.app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench", timeout=600
                ) as client:
                    await timed_year(client, count)
    finally:
        await postgres.drop_database(server, name)
        shutil.rmtree(source, ignore_errors=True)


async def timed_year(client: httpx.AsyncClient, count: int) -> None:
    finance = headers(Role.finance, subject="bench-finance")
    checker = headers(Role.finance, subject="bench-checker")
    maker = headers(Role.social_insurance, subject="bench-maker")
    maker_si = headers(Role.social_insurance, subject="bench-social-insurance")
    figures: list[tuple[str, float, str]] = []

    async def step(
        label: str, method: str, path: str, head: dict[str, str], **kwargs: object
    ) -> dict[str, object]:
        started = time.perf_counter()
        response = await client.request(method, path, headers=head, **kwargs)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - started
        assert response.status_code < 300, response.text
        body = response.json()
        figures.append((label, elapsed, ""))
        return body

    await step("open chart", "POST", "/v1/ledger/charts", finance, json={"city": "210500"})
    accounts = {
        a["code"]: a["id"]
        for a in (await client.get("/v1/accounts?city=210500", headers=finance)).json()["items"]
    }
    await step(
        "fund the medical assistance fund",
        "POST",
        "/v1/transfers",
        {**finance, "Idempotency-Key": "bench-fund"},
        json={
            "transfers": [
                {
                    "debit_account_id": accounts["city_finance:210500"],
                    "credit_account_id": accounts["medical_assistance_fund:210500"],
                    "amount": "999999999.00",
                    "value_date": "2010-01-02",
                }
            ]
        },
    )
    body = {
        "city": "210500",
        "year": 2010,
        "kind": "dibao_collective",
        "assessment_id": "A",
        "assessment_version": 1,
    }
    dibao = await step("prepare dibao batch (stream + COPY)", "POST", "/v1/batches", maker, json=body)
    # S3: the social-insurance system sends every marginal person's own share first (NDJSON, 5,000 a request)
    paid = [
        json.dumps(
            {"id_number": line["id_number"], "region_code": line["region_code"], "cover_year": 2010,
             "amount": "27.00", "paid_on": "2009-12-20"}
        )
        for line in (synthetic_line(n)[0] for n in range(count))
        if line["category"] == "marginal"
    ]  # fmt: skip
    started = time.perf_counter()
    for first in range(0, len(paid), 5000):
        recorded = await client.post(
            "/v1/own-share-payments",
            content="\n".join(paid[first : first + 5000]) + "\n",
            headers={**maker_si, "Content-Type": "application/x-ndjson"},
        )
        assert recorded.status_code == 201, recorded.text
    figures.append((f"record {len(paid):,} own shares (NDJSON)", time.perf_counter() - started, ""))
    body = {**body, "kind": "marginal_instalment", "instalment": 1}
    marginal = await step("prepare marginal instalment 1", "POST", "/v1/batches", maker, json=body)
    second = await step(
        "prepare marginal instalment 2 (copied from 1 in SQL)",
        "POST",
        "/v1/batches",
        maker,
        json={**body, "instalment": 2},
    )
    for label, batch in (("dibao", dibao), ("marginal", marginal)):
        await step(
            f"approve {label} (recount control totals)",
            "POST",
            f"/v1/batches/{batch['id']}/approve",
            checker,
            json={},
        )
        await step(
            f"execute {label} (reserve + post)",
            "POST",
            f"/v1/batches/{batch['id']}/execute",
            finance,
            json={"value_date": "2010-01-14"},
        )
    await step(
        "variance against the previous batch (first page)",
        "GET",
        f"/v1/batches/{marginal['id']}/variance?limit=100",
        finance,
    )
    reconciliation = await step(
        "reconciliation 2010", "GET", "/v1/reconciliation?city=210500&year=2010", finance
    )
    report = await step(
        "fiscal-subsidy report", "GET", "/v1/reports/fiscal-subsidy?region=210500&year=2010", finance
    )
    total = sum(elapsed for _, elapsed, _ in figures)
    for label, elapsed, _ in figures:
        print(f"{label:<48} {elapsed:8.2f} s")
    print(f"{'total':<48} {total:8.2f} s")
    print(
        f"dibao lines {dibao['control']['line_count']:,} totalling {dibao['control']['total']}; "
        f"marginal instalment 1 {marginal['control']['line_count']:,} totalling {marginal['control']['total']}; "
        f"instalment 2 {second['control']['line_count']:,} totalling {second['control']['total']}"
    )
    print(
        f"moved to the insurance fund: {report['moved']['total']}; reconciliation proofs: "
        f"entries sum to zero {reconciliation['proofs']['entries_sum_to_zero']}, "
        f"balances equal entries {reconciliation['proofs']['balances_equal_entries']}; "
        f"{len(reconciliation['differences'])} differences (the second marginal instalment is not paid yet)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    asyncio.run(run(parser.parse_args().lines))


if __name__ == "__main__":
    main()
