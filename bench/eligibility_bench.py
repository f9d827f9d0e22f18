"""Eligibility benchmark: bulk-load N synthetic residents through the import engine (staged with COPY,
applied set-based in chunks), then time the roster (NDJSON stream and keyset pages), head counts, single and bulk status
look-ups, the monthly change reports of 2010 (E6), and show the plans of the status query and of the
monthly report's candidate selection. Prints figures; asserts nothing.

    .venv/bin/python bench/eligibility_bench.py --residents 1000000 [--months 12]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from huimin_eligibility import divisions
from huimin_eligibility.app import MIGRATIONS, create_app
from huimin_eligibility.common import now
from huimin_eligibility.imports import service as imports
from huimin_eligibility.imports.models import ImportJob
from huimin_eligibility.imports.parsing import synthetic_csv_lines
from huimin_eligibility.imports.validation import Door
from huimin_eligibility.settings import EligibilitySettings
from huimin_shared import db, migrations, postgres
from huimin_shared.synthetic import synthetic_residents
from huimin_shared.testing import bearer


def _line(label: str, seconds: float, extra: str = "") -> None:
    print(f"{label:<52} {seconds:8.2f} s  {extra}")


async def _loaded(url: str, count: int) -> bool:
    """Whether ``url`` already holds the ``count`` synthetic residents (a database kept by --database)."""
    engine = db.create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            residents = await connection.scalar(text("SELECT count(*) FROM residents"))
            return bool(residents == count)
    finally:
        await engine.dispose()


async def main(count: int, server: str, keep: bool, database: str | None, months: int) -> None:
    name = database or f"bench_eligibility_{uuid.uuid4().hex[:6]}"
    url = await postgres.create_database(server, name, drop_first=database is None)
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
    print(f"database {name}; {count:,} synthetic residents (seed 0, year 2010)")
    keep = keep or database is not None
    try:
        if database is not None and await _loaded(url, count):
            print("reusing the loaded database")
            await measure(url, count, months)
            return
        await load(url, count)
        await measure(url, count, months)
    finally:
        if not keep:
            await postgres.drop_database(server, name)


async def load(url: str, count: int) -> None:
    started = time.perf_counter()
    path = Path(tempfile.mkstemp(suffix=".csv")[1])
    with path.open("w", encoding="utf-8") as out:
        for chunk in synthetic_csv_lines(synthetic_residents(count, seed=0)):
            out.write(chunk)
    _line(
        "generate synthetic residents + write CSV",
        time.perf_counter() - started,
        f"{path.stat().st_size / 1e6:.0f} MB",
    )

    engine = db.create_engine(url, pool_size=4)
    sessions = db.session_factory(engine)
    job_id = uuid.uuid4()
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        with path.open("rb") as binary:
            await imports.stage_file(
                session,
                imports.new_job(job_id, path.name, "csv", "-", "partial", "bench", now()),
                binary,
                Door(("210500",), divisions.today_in_china()),
            )
    await imports.run_import(sessions, job_id, chunk_rows=10_000)
    async with sessions() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
    load = time.perf_counter() - started
    _line(
        "import (stage with COPY, then set-based chunks of 10,000)",
        load,
        f"{job.processed_rows:,} rows, {job.accepted:,} accepted, {job.rejected} rejected, "
        f"{job.processed_rows / load:,.0f} rows/s",
    )
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    path.unlink()
    await engine.dispose()


async def measure(url: str, count: int, months: int) -> None:
    engine = db.create_engine(url, pool_size=4)
    settings = EligibilitySettings(database_url=url, environment="test", log_level="WARNING")
    app = create_app(settings)
    service = bearer("service", subject="service:bench")
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
            started = time.perf_counter()
            rows = 0
            size = 0
            async with client.stream(
                "GET",
                "/v1/roster",
                params={"year": 2010, "region": "210500"},
                headers={**service, "Accept": "application/x-ndjson"},
            ) as response:
                async for chunk in response.aiter_bytes():
                    rows += chunk.count(b"\n")
                    size += len(chunk)
            elapsed = time.perf_counter() - started
            _line(
                "roster 2010 / 210500, NDJSON stream",
                elapsed,
                f"{rows:,} rows, {size / 1e6:.0f} MB, {rows / elapsed:,.0f} rows/s",
            )

            started = time.perf_counter()
            page = (
                await client.get(
                    "/v1/roster",
                    params={"year": 2010, "region": "210500", "limit": 10_000},
                    headers=service,
                )
            ).json()
            first_page = time.perf_counter() - started
            for _ in range(4):
                page = (
                    await client.get(
                        "/v1/roster",
                        params={
                            "year": 2010,
                            "region": "210500",
                            "limit": 10_000,
                            "after": page["next_after"],
                            "as_of": page["as_of"],
                        },
                        headers=service,
                    )
                ).json()
            _line(
                "roster keyset page of 10,000 (first; 5 pages total)",
                first_page,
                f"5 pages in {time.perf_counter() - started:.2f} s",
            )

            started = time.perf_counter()
            counts_body = (
                await client.get(
                    "/v1/head-counts", params={"region": "210500", "on": "2010-03-01"}, headers=service
                )
            ).json()
            _line(
                "head counts on 2010-03-01",
                time.perf_counter() - started,
                f"total {counts_body['total']:,} in {len(counts_body['counts'])} cells",
            )

            numbers = [r.id_number for r in synthetic_residents(min(count, 1000), seed=0)]
            started = time.perf_counter()
            for number in numbers[:200]:
                response = await client.get(
                    f"/v1/residents/{number}/status", params={"on": "2010-06-01"}, headers=service
                )
                assert response.status_code == 200
            elapsed = time.perf_counter() - started
            _line("200 single status look-ups (signed)", elapsed, f"{elapsed / 200 * 1000:.1f} ms each")
            started = time.perf_counter()
            response = await client.post(
                "/v1/status/bulk", json={"on": "2010-06-01", "id_numbers": numbers}, headers=service
            )
            _line(
                f"bulk status of {len(numbers)}",
                time.perf_counter() - started,
                f"{len(response.json()['items'])} answers",
            )

            civil = bearer("civil_affairs", subject="civil:bench")
            started = time.perf_counter()
            changes: Counter[str] = Counter()
            slowest = 0.0
            for month in range(1, months + 1):
                began = time.perf_counter()
                response = await client.get(
                    "/v1/monthly-changes",
                    params={"region": "210500", "month": f"2010-{month:02d}"},
                    headers=civil,
                )
                assert response.status_code == 200, response.text
                slowest = max(slowest, time.perf_counter() - began)
                changes.update(row["change"] for row in response.json()["items"])
            elapsed = time.perf_counter() - started
            _line(
                f"monthly change reports 2010-01..{months:02d} / 210500 (JSON)",
                elapsed,
                f"{elapsed / months:.2f} s each, slowest {slowest:.2f} s; "
                + ", ".join(f"{k} {v:,}" for k, v in sorted(changes.items())),
            )

    async with engine.connect() as connection:
        plan = await connection.execute(
            text(
                "EXPLAIN SELECT * FROM certifications WHERE id_number = :n AND recorded_at <= now() "
                "AND (superseded_at IS NULL OR superseded_at > now())"
            ),
            {"n": numbers[0]},
        )
        print("status look-up plan:")
        for (line,) in plan:
            print("   ", line)
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument(
        "--server", default=os.environ.get("HUIMIN_BENCH_SERVER_URL", postgres.LOCAL_SERVER_URL)
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database",
        help="a fixed database name: loaded on the first run, reused (and kept) by later runs with the same "
        "--residents; drop it yourself when done",
    )
    parser.add_argument(
        "--months", type=int, default=12, choices=range(1, 13), help="monthly reports of 2010 to time"
    )
    arguments = parser.parse_args()
    asyncio.run(
        main(arguments.residents, arguments.server, arguments.keep, arguments.database, arguments.months)
    )
