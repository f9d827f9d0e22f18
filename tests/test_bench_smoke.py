"""The benchmarks still run end to end (bench/README.md): each once at a tiny size, through the same
processes and routes as at a million. Nothing here looks at a time — speed is measured in bench/, never
asserted in tests; what is checked is that each bench finishes and prints its figures (and that the year
it plays reconciles, which bench/year.py checks itself: exit status 1 otherwise)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from huimin_shared import postgres
from huimin_shared.testing import server_url

ROOT = Path(__file__).resolve().parents[1]
# Generous: the smoke runs start uvicorn processes on a machine that may be busy with other tests.
TIMEOUT_SECONDS = float(os.environ.get("HUIMIN_BENCH_SMOKE_TIMEOUT_SECONDS", "900"))

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("bench")]


def run_bench(*arguments: str) -> str:
    environment = dict(os.environ, TEST_DATABASE_URL=server_url())
    finished = subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return finished.stdout


def test_the_status_bench_measures_the_look_up_next_to_a_bare_route() -> None:
    """With its own load generator (wrk, when installed, is what `make bench` uses)."""
    output = run_bench(
        "bench/status.py", "--residents", "50", "--seconds", "1", "--connections", "4", "--python-load"
    )
    assert "load generator python" in output
    assert "bare FastAPI async route (reference)" in output
    assert "GET /v1/residents/{id}/status (signed)" in output
    assert "ratio status / bare:" in output


@pytest.mark.skipif(
    shutil.which("pgbench") is None, reason="pgbench (PostgreSQL's client tools) not installed"
)
def test_the_status_function_bench_prints_the_look_up_next_to_select_1() -> None:
    """bench/status_sql.py on a database bench/status.py kept: the function, its variants and SELECT 1 in one
    run."""
    name = f"bench_status_sql_{uuid.uuid4().hex[:6]}"
    try:
        run_bench(
            "bench/status.py",
            "--residents",
            "50",
            "--seconds",
            "1",
            "--connections",
            "4",
            "--python-load",
            "--database",
            name,
        )
        output = run_bench(
            "bench/status_sql.py",
            "--database",
            name,
            "--seconds",
            "1",
            "--clients",
            "2",
            "--only",
            "select1,current,generic,advisory",
        )
    finally:
        asyncio.run(postgres.drop_database(server_url(), name))
    for label in ("select1", "current known", "current unknown", "generic known", "advisory known"):
        assert label in output, output


def test_the_year_bench_imports_plays_and_reconciles_a_tiny_year() -> None:
    output = run_bench("bench/year.py", "--residents", "300", "--skip-monthly-reports")
    assert "import over HTTP" in output
    assert "PostgreSQL's floor, same run" in output
    assert "import + the whole year" in output
    assert "ZERO DIFFERENCES, balanced" in output


def test_the_import_bench_measures_the_import_next_to_both_floors() -> None:
    """The roster import over HTTP, the same file again, PostgreSQL's COPY of it and the register's own
    write floor (issue 13), each printed; the bench itself exits 1 unless every row was accepted and the
    second import changed nothing."""
    output = run_bench("bench/import_bench.py", "--rows", "200")
    assert "POST /v1/imports (partial), empty register:" in output
    assert "the same file again" in output
    assert "PostgreSQL COPY of the same file" in output
    assert "into empty copies with their indexes and keys" in output


def test_the_import_statement_profile_names_the_statements_of_the_apply() -> None:
    output = run_bench("bench/import_statements.py", "--rows", "200", "--chunk-rows", "50")
    assert "INSERT_CERTIFICATIONS" in output
    assert "REPORT" in output
