"""Replicas (`huimin run --replicas N`): a service as several processes behind one port, jobs as leased rows.

Premium is started exactly as `huimin run --replicas 2` starts it (uvicorn's supervisor with two worker
processes on one port). An assessment run is taken by one worker; that worker is killed with SIGKILL after
it committed some chunks; the job is finished by another worker exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from huimin_cli.services import SERVICES_BY_NAME
from huimin_cli.suite import uvicorn_command
from huimin_shared.auth import Role
from huimin_shared.idnumber import check_character
from huimin_shared.testing import (
    READY_TIMEOUT_SECONDS,
    bearer,
    free_port,
    service_database,
    stop_process,
    wait_ready,
)

SOCIAL = bearer(Role.social_insurance, subject="si-clerk")
RESIDENTS = 40
STALL_AFTER = 12  # roster rows the first worker gets before its roster stalls (and it is killed)


def _roster() -> list[dict[str, Any]]:
    """Dibao adults of 平山区 certified since 2009: each 150.00 subsidised in 2010 (Benxi pack, B§四(一))."""
    rows = []
    for number in range(RESIDENTS):
        born = date(1960, 1, 1) + timedelta(days=97 * number)
        first_17 = f"210502{born:%Y%m%d}{number + 100:03d}"
        rows.append(
            {
                "id_number": first_17 + check_character(first_17),
                "birth_date": born.isoformat(),
                "sex": "male" if number % 2 else "female",
                "region_code": "210502",
                "categories": [{"category": "dibao", "valid_from": "2009-01-01", "valid_to": None}],
                "first_eligible_on": "2010-01-01",
                "certified_at_year_start": True,
            }
        )
    return sorted(rows, key=lambda row: row["id_number"])


class _Roster(BaseHTTPRequestHandler):
    """Eligibility's roster route, NDJSON in ID-number order from `after`: a read from the start stalls
    after STALL_AFTER rows (its reader is about to be killed); a resumed read (`after=…`) is served whole."""

    rows: ClassVar[list[dict[str, Any]]] = []
    release = threading.Event()
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        after = query.get("after", [""])[0]
        self.requests.append(after)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        for sent, row in enumerate(row for row in self.rows if row["id_number"] > after):
            if not after and sent == STALL_AFTER:
                self.release.wait(READY_TIMEOUT_SECONDS * 4)
                return
            self.wfile.write(json.dumps(row).encode() + b"\n")
            self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
async def premium_database() -> AsyncIterator[str]:
    """A premium database of this test's own (the suite's premium process must not take its jobs)."""
    async with service_database("replicas_premium", "huimin_premium:migrations") as url:
        yield url


@pytest.fixture
def roster_server() -> Iterator[str]:
    _Roster.rows = _roster()
    _Roster.requests = []
    _Roster.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Roster)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Roster.release.set()
        server.shutdown()
        server.server_close()


def _until(read: Any, done: Any, what: str, timeout: float = READY_TIMEOUT_SECONDS * 2) -> Any:
    deadline = time.monotonic() + timeout
    value = None
    while True:
        try:
            value = read()
        except httpx.TransportError:  # a connection to the killed worker: the next one goes to a live one
            value = None
        if value is not None and done(value):
            return value
        assert time.monotonic() < deadline, f"{what}: {value}"
        time.sleep(0.1)


def test_a_replica_killed_mid_run_leaves_the_run_to_another_which_finishes_it_once(
    premium_database: str, roster_server: str, tmp_path: Path
) -> None:
    """S4 / issue 14: with premium as two worker processes behind one port, the worker running an annual
    assessment is killed (SIGKILL) after committing chunks; another worker takes the job over once its lease
    lapses, reads the roster only from after the last committed chunk, and the run ends complete once —
    40 residents, 40 lines, each once, 40 × 150.00 = 6000.00, job done on its second attempt by another
    process."""
    spec = SERVICES_BY_NAME["premium"]
    port = free_port()
    env = dict(os.environ)
    env.update(
        PREMIUM_DATABASE_URL=premium_database,
        PREMIUM_ENVIRONMENT="test",
        PREMIUM_ELIGIBILITY_URL=roster_server,
        PREMIUM_ASSESSMENT_CHUNK_ROWS="4",
        PREMIUM_JOBS_LEASE_SECONDS="3",
        PREMIUM_JOBS_HEARTBEAT_SECONDS="0.5",
        PREMIUM_JOBS_POLL_SECONDS="0.3",
        PREMIUM_PEER_TIMEOUT_SECONDS=str(READY_TIMEOUT_SECONDS * 4),
    )
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "premium.log").open("ab") as log:
        process = subprocess.Popen(
            uvicorn_command(spec, "127.0.0.1", port, replicas=2),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(url, process, READY_TIMEOUT_SECONDS)
        with httpx.Client(base_url=url, headers=SOCIAL, timeout=30) as client:
            started = client.post(
                "/v1/assessments",
                json={
                    "region": "210502",
                    "year": 2010,
                    "kind": "annual",
                    "as_of": "2010-01-05T00:00:00+08:00",
                },
            )
            assert started.status_code == 202, started.text
            assessment_id, run_id = started.json()["assessment"]["id"], started.json()["run"]["id"]
            jobs = client.get("/v1/jobs").json()["items"]
            (job,) = [j for j in jobs if j["kind"] == "assessment_run" and j["key"] == str(run_id)]

            def read_job() -> dict[str, Any]:
                return client.get(f"/v1/jobs/{job['id']}").json()

            stalled = _until(
                read_job,
                lambda j: j["progress"].get("rows_read", 0) >= 4,
                "no chunk committed by the first worker",
            )
            first_owner = stalled["lease_owner"]
            os.kill(int(first_owner.split(":")[1]), signal.SIGKILL)

            finished = _until(read_job, lambda j: j["state"] != "running", "the job was not taken over")
            assert finished["state"] == "done", finished
            assert finished["attempts"] == 2
            assert finished["lease_owner"] != first_owner
            assert finished["progress"]["rows_read"] == RESIDENTS  # no row read twice into the counts
            assert _Roster.requests[-1] != ""  # the second worker resumed after the last chunk

            run = client.get(f"/v1/assessments/{assessment_id}/runs/{run_id}").json()
            assert (run["status"], run["version"], run["rows_assessed"]) == ("complete", 1, RESIDENTS)
            version = client.get(f"/v1/assessments/{assessment_id}/versions/1").json()
            assert version["totals"]["assistance_subsidy"] == "6000.00"
            lines = client.get(
                f"/v1/assessments/{assessment_id}/versions/1/lines",
                headers={"Accept": "application/x-ndjson"},
            ).text.splitlines()
            id_numbers = [json.loads(line)["id_number"] for line in lines]
            assert sorted(id_numbers) == sorted(row["id_number"] for row in _Roster.rows)
            assert client.get(f"/v1/assessments/{assessment_id}").json()["versions"] == [1]
    finally:
        _Roster.release.set()
        stop_process(process)
