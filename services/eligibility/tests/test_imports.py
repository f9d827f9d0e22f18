"""Roster imports: row-by-row report, idempotent, all-or-nothing, CSV UTF-8/GBK and XLSX, chunked jobs."""

import asyncio
import io
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from eligibility_helpers import CIVIL, SERVICE
from openpyxl import Workbook
from sqlalchemy import text

from huimin_eligibility import divisions, rules
from huimin_eligibility.app import MIGRATIONS, create_app
from huimin_eligibility.common import now
from huimin_eligibility.imports import service
from huimin_eligibility.imports.models import ImportJob
from huimin_eligibility.imports.parsing import CSV_COLUMNS, synthetic_csv_lines
from huimin_eligibility.imports.repository import ImportRepository
from huimin_eligibility.imports.validation import Door
from huimin_eligibility.settings import EligibilitySettings
from huimin_shared import jobs
from huimin_shared.db import create_engine, session_factory
from huimin_shared.readiness import ready_timeout_seconds
from huimin_shared.settings import JobSettings
from huimin_shared.synthetic import synthetic_residents
from huimin_shared.testing import api_client, service_database

HEADER = ",".join(h for h, _ in CSV_COLUMNS)

BENXI_TODAY = Door(("210500",), divisions.today_in_china())  # E1 at the door for the files here


def _csv(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


GOOD = "210502198001011234,张三,210502,平山区东明社区,H1,低保,2009-06-01,,,平山区民政局,平民低〔2009〕1号"
MARGINAL = (
    "210503199001020027,李梅,210503,溪湖区河沿社区,H2,marginal,2010-03-01,,,溪湖区民政局,溪民〔2010〕7号"
)
BAD_ID = "210502198001011235,王五,210502,平山区东明社区,H3,dibao,2009-06-01,,,平山区民政局,x"
BAD_CATEGORY = "210502198001011250,赵六,210502,平山区东明社区,H4,五保,2009-06-01,,,平山区民政局,x"


async def _upload(
    client, content: bytes, filename: str = "roster.csv", mode: str = "partial"
) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.post(
        "/v1/imports", files={"file": (filename, content)}, data={"mode": mode}, headers=CIVIL
    )


async def test_good_rows_apply_bad_rows_are_reported_with_reasons(client) -> None:
    """Partial mode: 2 accepted, 2 rejected (check character; unknown category), each with its line."""
    response = await _upload(client, _csv(GOOD, BAD_ID, MARGINAL, BAD_CATEGORY).encode())
    assert response.status_code == 201, response.text
    job = response.json()
    assert (job["status"], job["accepted"], job["rejected"], job["unchanged"]) == ("complete", 2, 2, 0)
    rows = (await client.get(f"/v1/imports/{job['id']}/rows", headers=CIVIL)).json()["items"]
    assert [(r["row_number"], r["outcome"]) for r in rows] == [
        (2, "accepted"),
        (3, "rejected"),
        (4, "accepted"),
        (5, "rejected"),
    ]
    assert "check character" in rows[1]["reason"]
    assert "五保" in rows[3]["reason"]
    assert rows[0]["id_number_masked"] == "210502********1234"
    status = await client.get(
        "/v1/residents/210503199001020027/status", params={"on": "2010-03-01"}, headers=SERVICE
    )
    assert status.json()["categories"] == ["marginal"]


async def test_importing_the_same_file_twice_changes_nothing(client) -> None:
    content = _csv(GOOD, MARGINAL).encode()
    await _upload(client, content)
    again = (await _upload(client, content)).json()
    assert (again["accepted"], again["rejected"], again["unchanged"]) == (0, 0, 2)
    history = (
        await client.get(
            "/v1/residents/210502198001011234/certifications", params={"history": "true"}, headers=CIVIL
        )
    ).json()["items"]
    assert len(history) == 1


async def test_a_later_file_with_an_exit_date_supersedes_the_certification(client) -> None:
    """E2: the exit arrives as the same certification with 退出日期 filled: one new record, old one kept."""
    await _upload(client, _csv(GOOD).encode())
    exited = GOOD.replace("2009-06-01,,", "2009-06-01,2010-04-30,")
    job = (await _upload(client, _csv(exited).encode())).json()
    assert job["accepted"] == 1
    history = (
        await client.get(
            "/v1/residents/210502198001011234/certifications", params={"history": "true"}, headers=CIVIL
        )
    ).json()["items"]
    assert [(h["change"], h["valid_to"], h["superseded_at"] is None) for h in history] == [
        ("certified", None, False),
        ("exited", "2010-04-30", True),
    ]


async def test_an_overlapping_row_of_the_same_category_is_rejected(client) -> None:
    await _upload(client, _csv(GOOD).encode())
    overlapping = GOOD.replace("2009-06-01", "2010-01-01")
    job = (await _upload(client, _csv(overlapping).encode())).json()
    assert (job["accepted"], job["rejected"]) == (0, 1)
    rows = (await client.get(f"/v1/imports/{job['id']}/rows", headers=CIVIL)).json()["items"]
    assert "overlaps the dibao certification from 2009-06-01" in rows[0]["reason"]


async def test_all_or_nothing_applies_nothing_when_a_row_is_bad(client) -> None:
    job = (await _upload(client, _csv(GOOD, BAD_ID).encode(), mode="all_or_nothing")).json()
    assert (job["status"], job["accepted"], job["rejected"]) == ("rolled_back", 0, 1)
    assert (await client.get("/v1/residents/210502198001011234", headers=CIVIL)).status_code == 404
    rows = (await client.get(f"/v1/imports/{job['id']}/rows", headers=CIVIL)).json()["items"]
    assert [(r["row_number"], r["outcome"]) for r in rows] == [(3, "rejected")]
    applied = (await _upload(client, _csv(GOOD).encode(), mode="all_or_nothing")).json()
    assert (applied["status"], applied["accepted"]) == ("complete", 1)


async def test_gbk_csv_and_xlsx_are_read(client) -> None:
    gbk = (await _upload(client, _csv(GOOD).encode("gbk"))).json()
    assert gbk["accepted"] == 1
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([h for h, _ in CSV_COLUMNS])
    sheet.append(MARGINAL.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx = (await _upload(client, buffer.getvalue(), filename="名册.xlsx")).json()
    assert (xlsx["file_format"], xlsx["accepted"]) == ("xlsx", 1)
    resident = (await client.get("/v1/residents/210503199001020027", headers=CIVIL)).json()
    assert resident["name"] == "李梅"


async def test_an_unreadable_file_is_a_422_naming_the_file(client) -> None:
    response = await _upload(client, b"just,some,columns\n1,2,3\n")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.file"
    assert (await _upload(client, b"x", filename="roster.pdf")).status_code == 422


async def test_imports_are_for_civil_affairs_only(client) -> None:
    response = await client.post(
        "/v1/imports", files={"file": ("r.csv", _csv(GOOD).encode())}, headers=SERVICE
    )
    assert response.status_code == 403


@pytest.fixture
async def own_database() -> AsyncIterator[str]:
    """A database of its own: a background job commits, so it must not share the rolled-back one."""
    async with service_database("eligibility", MIGRATIONS) as url:
        yield url


async def test_a_large_file_runs_as_a_job_committing_in_chunks(own_database: str) -> None:
    """250 synthetic residents, chunks of 40 rows: answered 202, completed in the background, every row
    accepted; the 2010 roster then holds the residents the rules admit."""
    settings = EligibilitySettings(
        database_url=own_database, environment="test", import_inline_max_bytes=0, import_chunk_rows=40
    )
    residents = list(synthetic_residents(250, seed=42))
    content = "".join(synthetic_csv_lines(residents)).encode()
    rows = sum(len(r.certifications) for r in residents)
    async with api_client(create_app(settings)) as client:
        response = await _upload(client, content)
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        deadline = asyncio.get_running_loop().time() + ready_timeout_seconds()
        while True:
            job = (await client.get(f"/v1/imports/{job_id}", headers=CIVIL)).json()
            if job["status"] != "running" or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.05)
        assert (job["status"], job["processed_rows"], job["accepted"], job["rejected"]) == (
            "complete",
            rows,
            rows,
            0,
        )
        roster = (
            await client.get(
                "/v1/roster", params={"year": 2010, "region": "210500", "limit": 10000}, headers=SERVICE
            )
        ).json()
        expected = [
            r.id_number
            for r in residents
            if rules.eligibility_for_year(
                [
                    rules.Period(rules.Category(c.category), c.valid_from, c.valid_to)
                    for c in r.certifications
                ],
                r.employee_insurance_since,
                r.region_code,
                2010,
            ).eligible
        ]
        assert 200 < len(expected) < 250
        assert [row["id_number"] for row in roster["items"]] == sorted(expected)
        # the stream's own session (not the test's) stays open until the last line is sent
        streamed = await client.get(
            "/v1/roster",
            params={"year": 2010, "region": "210500", "as_of": roster["as_of"]},
            headers={**SERVICE, "Accept": "application/x-ndjson"},
        )
        assert [json.loads(line) for line in streamed.text.splitlines()] == roster["items"]


async def test_an_import_whose_process_died_is_resumed_by_another_replica_and_applied_once(
    own_database: str,
) -> None:
    """Issue 11: a large import is a durable job over rows staged at upload. Process 1 applies two chunks of
    40 rows and dies (its task blocked, then cancelled, nothing cleaned up); process 2 takes the job over
    once the lease lapses and applies the rest: every row accepted exactly once (none `unchanged`, which a
    re-applied row would be), one report row per row, no staged row left, the job done on its second
    attempt and listed by GET /v1/jobs."""
    settings = EligibilitySettings(database_url=own_database, environment="test", import_chunk_rows=40)
    residents = list(synthetic_residents(150, seed=7))
    content = "".join(synthetic_csv_lines(residents)).encode()
    rows = sum(len(r.certifications) for r in residents)
    engine = create_engine(own_database, pool_size=4)
    sessions = session_factory(engine)
    import_id = uuid.uuid4()
    async with sessions() as session, session.begin():  # what POST /v1/imports commits for a large file
        job = service.new_job(import_id, "roster.csv", "csv", "x" * 64, "partial", "officer", now(), None)
        await service.stage_file(session, job, io.BytesIO(content), BENXI_TODAY)
        job_id = await jobs.enqueue(
            session, kind=service.IMPORT, key=str(import_id), payload={"import_id": str(import_id)}
        )
    short = JobSettings(lease_seconds=1.0, heartbeat_seconds=0.2, poll_seconds=0.1)
    dying = asyncio.Event()

    async def dies_after_two_chunks(context: jobs.JobContext) -> None:
        async with context.sessions() as session:
            for _ in range(2):
                async with session.begin():
                    repository = ImportRepository(session)
                    chunk = await repository.apply_chunk(
                        import_id, limit=40, recorded_by="officer", region_limit=None, report_every_row=True
                    )
                    assert chunk is not None
                    await repository.add_progress(import_id, chunk)
        dying.set()
        await asyncio.Event().wait()  # killed here: its heartbeat stops with it

    first = jobs.JobRunner(sessions, [jobs.JobKind(service.IMPORT, run=dies_after_two_chunks)], short)
    second = jobs.JobRunner(sessions, [service.import_kind(40)], short)
    deadline = asyncio.get_running_loop().time() + ready_timeout_seconds()
    try:
        first.start()
        await asyncio.wait_for(dying.wait(), ready_timeout_seconds())
        await first.stop()
        second.start()
        while asyncio.get_running_loop().time() < deadline:
            async with engine.connect() as connection:
                state, attempts = (
                    await connection.execute(
                        text("SELECT state, attempts FROM jobs WHERE id = :id"), {"id": job_id}
                    )
                ).one()
                staged = await connection.scalar(
                    text("SELECT count(*) FROM import_staged_rows WHERE job_id = :id"), {"id": import_id}
                )
                reported = await connection.scalar(
                    text("SELECT count(*) FROM import_rows WHERE job_id = :id"), {"id": import_id}
                )
            if state not in ("running", "queued"):
                break
            await asyncio.sleep(0.05)
    finally:
        await second.stop()
        await engine.dispose()
    assert (state, attempts, staged, reported) == ("done", 2, 0, rows)
    async with api_client(create_app(settings)) as client:
        job_out = (await client.get(f"/v1/imports/{import_id}", headers=CIVIL)).json()
        assert (job_out["status"], job_out["processed_rows"], job_out["accepted"], job_out["unchanged"]) == (
            "complete",
            rows,
            rows,
            0,
        )
        listed = (await client.get("/v1/jobs", headers=CIVIL)).json()["items"]
        assert [(j["kind"], j["key"], j["state"]) for j in listed] == [("import", str(import_id), "done")]


async def test_an_import_survives_its_process_and_resumes_after_the_last_committed_chunk(
    own_database: str,
) -> None:
    """Durable imports: the upload's rows are staged in the database; a process that applied one chunk
    and died leaves the job running, and run_import(job_id) from another process (another engine)
    applies the rest — every row once in the register and in the report, counts as for one run."""
    residents = list(synthetic_residents(120, seed=7))
    content = "".join(synthetic_csv_lines(residents)).encode()
    rows = sum(len(r.certifications) for r in residents)
    job_id = uuid.uuid4()
    first = create_engine(own_database, pool_size=1)
    try:
        sessions = session_factory(first)
        async with sessions() as session, session.begin():
            job = service.new_job(job_id, "r.csv", "csv", "-", "partial", "clerk", now())
            assert await service.stage_file(session, job, io.BytesIO(content), BENXI_TODAY) == rows
        async with sessions() as session, session.begin():  # one chunk applied, then the process dies
            repository = ImportRepository(session)
            chunk = await repository.apply_chunk(
                job_id, limit=50, recorded_by="clerk", region_limit=None, report_every_row=True
            )
            assert chunk is not None
            await repository.add_progress(job_id, chunk)
    finally:
        await first.dispose()
    second = create_engine(own_database, pool_size=1)
    try:
        sessions = session_factory(second)
        async with sessions() as session:
            job = await session.get(ImportJob, job_id)
            assert job is not None
            assert (job.status, job.processed_rows, job.total_rows) == ("running", 50, rows)
        await service.run_import(sessions, job_id, chunk_rows=40)
        await service.run_import(sessions, job_id, chunk_rows=40)  # a second caller finds it finished
        async with sessions() as session:
            job = await session.get(ImportJob, job_id)
            assert job is not None
            assert (job.status, job.processed_rows, job.accepted, job.rejected) == ("complete", rows, rows, 0)
            reported = (
                await session.execute(
                    text("SELECT count(*), count(DISTINCT row_number) FROM import_rows WHERE job_id = :j"),
                    {"j": job_id},
                )
            ).one()
            assert tuple(reported) == (rows, rows)
            certifications = await session.scalar(text("SELECT count(*) FROM certifications"))
            assert certifications == rows
            staged = await session.scalar(text("SELECT count(*) FROM import_staged_rows"))
            assert staged == 0
    finally:
        await second.dispose()


async def test_row_numbers_are_the_csv_modules_with_blank_lines_short_rows_and_quoted_commas(client) -> None:
    """A file the fast reader leaves to the csv module (a blank line, a short row) keeps the clerk's row
    numbers: the blank line counts, a short row's missing cells are blank, a quoted comma is text."""
    quoted = GOOD.replace("平山区东明社区", '"平山区东明社区,一楼"')
    short = MARGINAL.rsplit(",", 2)[0]  # no 认定机关 / 证明文号 cells
    job = (await _upload(client, _csv(quoted, "", short, BAD_ID).encode())).json()
    assert (job["accepted"], job["rejected"]) == (2, 1)
    rows = (await client.get(f"/v1/imports/{job['id']}/rows", headers=CIVIL)).json()["items"]
    assert [(r["row_number"], r["outcome"]) for r in rows] == [
        (2, "accepted"),
        (4, "accepted"),
        (5, "rejected"),
    ]
    resident = (await client.get("/v1/residents/210502198001011234", headers=CIVIL)).json()
    assert resident["community"] == "平山区东明社区,一楼"
