"""Assessment runs as durable jobs (S4: a resident is assessed once): a run whose process stopped mid-run is
taken over by another process once its lease lapses, resumes after its last committed chunk and makes its
version exactly once; the run's job is readable, with progress, through GET /v1/jobs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from huimin_premium.app import create_app
from huimin_premium.assessments.models import Assessment, AssessmentRun, PaidResident
from huimin_premium.assessments.runner import ASSESSMENT_RUN, assessment_run_kind, paid_hash
from huimin_premium.packs.service import load_shipped
from huimin_premium.peers import EligibilityClient
from huimin_premium.settings import PremiumSettings
from huimin_shared import jobs
from huimin_shared.auth import Role, mint_token
from huimin_shared.db import session_factory
from huimin_shared.jobs import JobRunner
from huimin_shared.settings import JobSettings
from huimin_shared.testing import api_client

from .helpers import SOCIAL, mock_roster
from .scenario import ROSTER_T1, T1, F


@pytest.fixture(autouse=True)
async def _committed_rows_removed(engine: AsyncEngine) -> AsyncIterator[None]:
    """These tests commit, as separate processes would; their rows go afterwards (packs stay)."""
    yield
    async with engine.begin() as connection:
        await connection.execute(text("TRUNCATE assessments, assessment_runs, jobs CASCADE"))


SHORT = JobSettings(lease_seconds=1.0, heartbeat_seconds=0.2, poll_seconds=0.1)


class StallingEligibility(EligibilityClient):
    """A roster that hangs after ``rows`` rows, as a process would that is about to be killed."""

    def __init__(self, http: httpx.AsyncClient, rows: int) -> None:
        super().__init__(http, "http://127.0.0.1:8001", lambda: "token")
        self.rows = rows

    async def roster_lines(
        self,
        *,
        year: int,
        region: str,
        as_of: datetime,
        after: str = "",
        first_eligible_after: date | None = None,
        id_numbers: list[str] | None = None,
    ) -> AsyncIterator[bytes]:
        sent = 0
        async for line in super().roster_lines(year=year, region=region, as_of=as_of, after=after):
            if sent == self.rows:
                await asyncio.Event().wait()  # never set: the process "dies" here
            sent += 1
            yield line


async def _annual_run_with_its_job(engine: AsyncEngine) -> tuple[Any, int, int]:
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await load_shipped(session)  # the packs the app loads when it starts
        assessment = Assessment(
            region="210500",
            year=2010,
            kind="annual",
            pack_id="benxi",
            pack_version=1,
            national_pack_version=1,
            created_by="test",
        )
        session.add(assessment)
        await session.flush()
        run = AssessmentRun(
            assessment_id=assessment.id,
            as_of=datetime.fromisoformat(T1),
            status="running",
            paid_listed=1,
            paid_hash=paid_hash([F["id_number"]]),
            created_by="test",
        )
        session.add(run)
        await session.flush()
        session.add(PaidResident(run_id=run.id, id_number=F["id_number"]))
        job_id = await jobs.enqueue(
            session, kind=ASSESSMENT_RUN, key=str(run.id), payload={"run_id": run.id}, region="210500"
        )
        return assessment.id, run.id, job_id


async def _job_row(engine: AsyncEngine, job_id: int) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT * FROM jobs WHERE id = :id"), {"id": job_id})).one()


async def _until(engine: AsyncEngine, job_id: int, done: Any, timeout: float = 30.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        row = await _job_row(engine, job_id)
        if done(row):
            return row
        assert loop.time() < deadline, f"job {job_id} did not get there: {row}"
        await asyncio.sleep(0.05)


@respx.mock
async def test_a_run_whose_process_died_is_resumed_by_another_and_versioned_once(
    engine: AsyncEngine, settings: PremiumSettings
) -> None:
    """S4 / P6: process 1 commits the first chunks of an annual run and dies (its task is cancelled, nothing
    cleaned up, the lease left to lapse); process 2 takes the job over, reads the roster only from after the
    last committed chunk, and completes it once — every resident assessed once, 373.00 (city 234.50,
    district/county 138.50) as hand-worked, 6 roster rows read in all, one version, job done on attempt 2."""
    roster = mock_roster(respx.mock, {T1: ROSTER_T1})
    assessment_id, run_id, job_id = await _annual_run_with_its_job(engine)
    sessions = session_factory(engine)
    async with httpx.AsyncClient() as http:
        first = JobRunner(
            sessions, [assessment_run_kind(lambda: StallingEligibility(http, 3), chunk=1)], SHORT, owner="p1"
        )
        first.start()
        stalled = await _until(engine, job_id, lambda row: row.progress.get("rows_read") == 3)
        await first.stop()  # killed: the job stays `running`, leased to p1 until the lease lapses
        assert (stalled.state, stalled.lease_owner) == ("running", "p1")
        resumed_from = stalled.progress["after"]

        second = JobRunner(
            sessions,
            [assessment_run_kind(lambda: EligibilityClient(http, "http://127.0.0.1:8001", lambda: "t"))],
            SHORT,
            owner="p2",
        )
        second.start()
        try:
            finished = await _until(engine, job_id, lambda row: row.state != "running")
        finally:
            await second.stop()

    assert (finished.state, finished.attempts, finished.progress["rows_read"]) == ("done", 2, 6)
    assert roster.calls[-1].request.url.params["after"] == resumed_from  # resumed, not restarted
    async with api_client(create_app(settings)) as client:
        run = (await client.get(f"/v1/assessments/{assessment_id}/runs/{run_id}", headers=SOCIAL)).json()
        assert (run["status"], run["version"], run["rows_read"], run["rows_assessed"]) == (
            "complete",
            1,
            6,
            4,
        )
        version = (await client.get(f"/v1/assessments/{assessment_id}/versions/1", headers=SOCIAL)).json()
        assert version["resident_count"] == 4
        assert version["totals"]["assistance_subsidy"] == "373.00"
        assert version["totals"]["by_payer"]["city"] == "234.50"
        assert version["totals"]["by_payer"]["district_or_county"] == "138.50"
        listed = (await client.get(f"/v1/assessments/{assessment_id}", headers=SOCIAL)).json()
        assert listed["versions"] == [1]
        job = (await client.get(f"/v1/jobs/{job_id}", headers=SOCIAL)).json()
        assert (job["kind"], job["key"], job["state"], job["attempts"]) == (
            ASSESSMENT_RUN,
            str(run_id),
            "done",
            2,
        )
        shown = (await client.get(f"/v1/jobs/{job_id}", headers=SOCIAL)).text
        assert not any(row["id_number"] in shown for row in ROSTER_T1)  # the cursor's ID number is masked


@respx.mock
async def test_a_job_whose_lease_was_taken_over_cannot_commit_its_chunk(
    engine: AsyncEngine, settings: PremiumSettings
) -> None:
    """S4: the lease fences every chunk — a process that lost its lease (paused past it while another took
    the job) has its next checkpoint refused, so a chunk is never committed twice."""
    _assessment_id, _run_id, job_id = await _annual_run_with_its_job(engine)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        claimed = await session.execute(
            text(
                "UPDATE jobs SET state = 'running', lease_owner = 'p2', attempts = 2 WHERE id = :id RETURNING *"
            ),
            {"id": job_id},
        )
        job = jobs.Job.of(claimed.one())
    stale = jobs.JobContext(job=job, owner="p1", sessions=sessions)
    async with sessions() as session:
        try:
            await stale.checkpoint(session, {"rows_read": 99})
        except jobs.LeaseLost:
            await session.rollback()
        else:
            raise AssertionError("a checkpoint without the lease was accepted")
    assert (await _job_row(engine, job_id)).progress == {}


async def test_jobs_are_read_with_the_region_rule_of_their_assessment(
    engine: AsyncEngine, settings: PremiumSettings
) -> None:
    """P3 / R2: a token limited to 平山区 (210502) does not see the city's (210500) assessment run job —
    not in the list, 404 by id — while a city-wide token does; a token without a reader role gets 403."""
    _assessment_id, _run_id, job_id = await _annual_run_with_its_job(engine)
    async with engine.begin() as connection:  # finished long ago: nothing for the app's runner to take
        await connection.execute(text("UPDATE jobs SET state = 'done' WHERE id = :id"), {"id": job_id})

    district = {
        "Authorization": "Bearer "
        + mint_token(
            settings.jwt_secret.get_secret_value(), subject="d", roles=[Role.finance], region="210502"
        )
    }
    officer = {
        "Authorization": "Bearer "
        + mint_token(settings.jwt_secret.get_secret_value(), subject="o", roles=[Role.community_officer])
    }
    async with api_client(create_app(settings)) as client:
        assert (await client.get(f"/v1/jobs/{job_id}", headers=district)).status_code == 404
        assert (await client.get("/v1/jobs", headers=district)).json()["items"] == []
        assert (await client.get(f"/v1/jobs/{job_id}", headers=SOCIAL)).status_code == 200
        assert [j["id"] for j in (await client.get("/v1/jobs", headers=SOCIAL)).json()["items"]] == [job_id]
        assert (await client.get(f"/v1/jobs/{job_id}", headers=officer)).status_code == 403
