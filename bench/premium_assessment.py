"""Benchmark the premium assessment path: roster NDJSON → COPY into staging → the rules once per cell joined to
every resident in SQL → lines and totals in SQL.

    .venv/bin/python bench/premium_assessment.py [residents=100000] [--keep]

Uses a scratch database on the local PostgreSQL (127.0.0.1:5432, or HUIMIN_LOCAL_POSTGRES_URL), the
shared synthetic residents (seed 1) served as an NDJSON stream by an in-process httpx transport (no
eligibility process), and the real runner. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from huimin_premium.app import MIGRATIONS
from huimin_premium.assessments.models import Assessment, AssessmentRun
from huimin_premium.assessments.repository import AssessmentRepository
from huimin_premium.assessments.runner import ASSESSMENT_RUN, assessment_run_kind, paid_hash
from huimin_premium.assessments.views import ndjson_line
from huimin_premium.packs.service import load_shipped
from huimin_premium.peers import EligibilityClient
from huimin_premium.simulations.schemas import Changes, SimulationRequest
from huimin_premium.simulations.service import simulate
from huimin_shared import db, jobs, migrations, postgres
from huimin_shared.auth import Principal, Role
from huimin_shared.settings import JobSettings
from huimin_shared.synthetic import synthetic_residents

YEAR = 2010


def roster_line(resident, year: int) -> bytes | None:  # type: ignore[no-untyped-def]
    """What eligibility's roster gives for a synthetic resident (E3 exclusion, categories overlapping the year)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    overlapping = [
        c
        for c in resident.certifications
        if c.valid_from <= end and (c.valid_to is None or c.valid_to >= start)
    ]
    if not overlapping:
        return None
    first = max(start, min(c.valid_from for c in overlapping))
    if resident.employee_insurance_since is not None and resident.employee_insurance_since <= first:
        return None
    row = {
        "id_number": resident.id_number,
        "birth_date": resident.birth_date.isoformat(),
        "sex": resident.sex.value,
        "region_code": resident.region_code,
        "categories": [
            {
                "category": c.category,
                "valid_from": c.valid_from.isoformat(),
                "valid_to": c.valid_to and c.valid_to.isoformat(),
            }
            for c in overlapping
        ],
        "first_eligible_on": first.isoformat(),
        "certified_at_year_start": first == start,
    }
    return json.dumps(row).encode() + b"\n"


def write_roster(path: Path, count: int) -> int:
    rows = 0
    with path.open("wb") as out:
        for resident in synthetic_residents(count, year=YEAR, seed=1):
            line = roster_line(resident, YEAR)
            if line is not None:
                out.write(line)
                rows += 1
    return rows


def transport_for(path: Path) -> httpx.MockTransport:
    async def body() -> AsyncIterator[bytes]:
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                yield chunk

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body(), headers={"content-type": "application/x-ndjson"})

    return httpx.MockTransport(handler)


async def new_run(sessions, assessment_id: uuid.UUID, as_of: datetime) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        run = AssessmentRun(
            assessment_id=assessment_id,
            as_of=as_of,
            status="running",
            paid_listed=0,
            paid_hash=paid_hash([]),
            rows_read=0,
            rows_assessed=0,
            created_by="bench",
        )
        session.add(run)
        await session.flush()
        await jobs.enqueue(session, kind=ASSESSMENT_RUN, key=str(run.id), payload={"run_id": run.id})
        await session.commit()
        return run.id


async def execute(run_id: int, sessions, eligibility: EligibilityClient) -> None:  # type: ignore[no-untyped-def]
    """Run the run's job to its end with the service's own job runner (as a replica would)."""
    runner = jobs.JobRunner(
        sessions, [assessment_run_kind(lambda: eligibility)], JobSettings(poll_seconds=0.1)
    )
    runner.start()
    try:
        while True:
            async with sessions() as session:
                status = await session.scalar(select(AssessmentRun.status).where(AssessmentRun.id == run_id))
            if status != "running":
                return
            await asyncio.sleep(0.05)
    finally:
        await runner.stop()


async def read_lines(sessions: Any, version_id: int) -> None:
    """The read settlement makes of a version: every line as NDJSON the former way (ORM rows in keyset pages
    rendered by ``ndjson_line`` in Python), rendered by PostgreSQL (what ``GET …/lines`` streams now), only
    the marginal lines (``category=marginal``), and the grouped read (``GET …/groups``)."""
    figures: list[tuple[str, float, int, int]] = []
    async with sessions() as session:
        repository = AssessmentRepository(session)
        started = time.perf_counter()
        count = size = 0
        after = None
        while rows := await repository.lines_page(version_id, after=after, limit=5000, line_kind=None):
            for row in rows:
                size += len(ndjson_line(row).encode())
            count += len(rows)
            after = rows[-1].id
            session.expunge_all()
        figures.append(
            ("lines, ORM + Python json.dumps (before)", time.perf_counter() - started, count, size)
        )
    for label, categories in (("lines, rendered in PostgreSQL", None), ("marginal lines only", ["marginal"])):
        async with sessions() as session:
            started = time.perf_counter()
            count = size = 0
            async for chunk in AssessmentRepository(session).stream_lines(version_id, None, categories):
                count += chunk.count("\n")
                size += len(chunk.encode())
            figures.append((label, time.perf_counter() - started, count, size))
    async with sessions() as session:
        started = time.perf_counter()
        groups = await AssessmentRepository(session).groups(version_id)
        figures.append(("grouped read (one GROUP BY)", time.perf_counter() - started, len(groups), 0))
    for label, seconds, count, size in figures:
        print(f"  read {label}: {count:,} rows, {size / 1e6:.1f} MB in {seconds:.2f} s")


async def main(count: int, keep: bool) -> None:
    server = os.environ.get("HUIMIN_LOCAL_POSTGRES_URL", postgres.LOCAL_SERVER_URL)
    name = f"bench_premium_{uuid.uuid4().hex[:8]}"
    url = await postgres.create_database(server, name, drop_first=True)
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
    engine = db.create_engine(url, pool_size=4)
    sessions = db.session_factory(engine)
    try:
        with tempfile.TemporaryDirectory() as folder:
            roster = Path(folder) / "roster.ndjson"
            started = time.perf_counter()
            rows = write_roster(roster, count)
            generate = time.perf_counter() - started
            print(
                f"synthetic residents: {count:,}; roster rows {rows:,} ({roster.stat().st_size / 1e6:.1f} MB) in {generate:.1f} s"
            )

            async with sessions() as session:
                await load_shipped(session)
                assessment = Assessment(
                    region="210500",
                    year=YEAR,
                    kind="annual",
                    pack_id="benxi",
                    pack_version=1,
                    national_pack_version=1,
                    created_by="bench",
                )
                session.add(assessment)
                await session.commit()
            as_of = datetime(YEAR, 12, 31, tzinfo=UTC)
            async with httpx.AsyncClient(transport=transport_for(roster)) as http:
                eligibility = EligibilityClient(
                    http, "http://eligibility", lambda: "bench-token", timeout=600
                )
                run_id = await new_run(sessions, assessment.id, as_of)
                started = time.perf_counter()
                await execute(run_id, sessions, eligibility)
                first = time.perf_counter() - started
                async with sessions() as session:
                    run = await session.get(AssessmentRun, run_id)
                    version = (
                        await session.execute(
                            text("SELECT * FROM assessment_versions WHERE run_id = :r"), {"r": run_id}
                        )
                    ).one()
                    streamed = (run.progress_at - run.started_at).total_seconds()
                    finalise = (run.finished_at - run.progress_at).total_seconds()
                    total = (
                        await session.execute(
                            text(
                                "SELECT assistance_subsidy, central, province, city, district_or_county FROM assessment_totals "
                                "WHERE version_id = :v AND dimension = 'all'"
                            ),
                            {"v": version.id},
                        )
                    ).one()
                    lines_sum = (
                        await session.execute(
                            text(
                                "SELECT sum(assistance_subsidy), sum(city), sum(district_or_county) FROM assessment_lines WHERE version_id = :v"
                            ),
                            {"v": version.id},
                        )
                    ).one()
                print(
                    f"run 1 ({run.status}): {run.rows_read:,} rows read, {run.rows_assessed:,} assessed, "
                    f"{version.line_count:,} lines in {first:.1f} s "
                    f"({run.rows_read / first:,.0f} rows/s; stream+COPY into staging {streamed:.1f} s, "
                    f"cells joined, lines+totals in SQL {finalise:.1f} s)"
                )
                print(
                    f"  totals: subsidy {total.assistance_subsidy} = city {total.city} + district/county "
                    f"{total.district_or_county} (+ central {total.central}, province {total.province}); "
                    f"sum of lines {lines_sum[0]} — reconciles: {lines_sum[0] == total.assistance_subsidy}"
                )

                await read_lines(sessions, version.id)

                run_id = await new_run(sessions, assessment.id, as_of + timedelta(days=1))
                started = time.perf_counter()
                await execute(run_id, sessions, eligibility)
                second = time.perf_counter() - started
                async with sessions() as session:
                    run = await session.get(AssessmentRun, run_id)
                print(
                    f"run 2, same roster at a later as_of: {run.status} (version {run.version}) in {second:.1f} s"
                )

            async with sessions() as session:
                principal = Principal(subject="bench", roles=frozenset({Role.social_insurance}))
                started = time.perf_counter()
                result = await simulate(
                    session,
                    principal,
                    SimulationRequest(
                        assessment_id=assessment.id,
                        changes=Changes.model_validate(
                            {
                                "subsidy_rates": {"marginal": "0.80"},
                                "cost_sharing": {"district": {"city": 6, "district_or_county": 4}},
                            }
                        ),
                    ),
                )
                simulated = time.perf_counter() - started
            print(
                f"simulation (marginal 80 %, districts 6:4) over {result.residents:,} residents in {simulated:.1f} s: "
                f"difference total {result.difference.total}, city {result.difference.city}, "
                f"district/county {result.difference.district_or_county}"
            )
            async with sessions() as session:
                size = await session.scalar(
                    text("SELECT pg_size_pretty(pg_database_size(current_database()))")
                )
            print(f"database size after both runs: {size}")
    finally:
        await engine.dispose()
        if not keep:
            await postgres.drop_database(server, name)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(arguments[0]) if arguments else 100_000, "--keep" in sys.argv))
