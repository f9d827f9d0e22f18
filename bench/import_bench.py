"""Roster import benchmark (issue 13): N synthetic rows through ``POST /v1/imports`` over HTTP, against
eligibility running as a real uvicorn process on its own freshly migrated database, next to PostgreSQL's
own COPY of the same file into a table of the file's columns in the same run (the floor). Prints rows/s,
the service's CPU seconds and peak RSS, and the load average; asserts nothing about time (it does check
that every row was accepted, and that importing the file again leaves every row unchanged).

    .venv/bin/python bench/import_bench.py --rows 1000000 [--mode partial|all_or_nothing] [--keep]

The file: ``huimin_shared.synthetic`` residents (seed 0, year 2010), one line per certification, written by
``synthetic_csv_lines`` until N rows. The import is timed from the first byte of the upload to the job's
end (202 + polling ``GET /v1/imports/{id}``, or the 201 of a small file). The second import of the same
file is timed too (idempotency: every row compared, nothing written but the report).

Server: TEST_DATABASE_URL, else HUIMIN_LOCAL_POSTGRES_URL, else postgresql://postgres@127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from huimin_eligibility.app import MIGRATIONS
from huimin_eligibility.imports.parsing import CSV_COLUMNS, synthetic_csv_lines
from huimin_shared import migrations, postgres
from huimin_shared.db import plain_url
from huimin_shared.synthetic import SyntheticResident, synthetic_residents
from huimin_shared.testing import bearer

TICKS = os.sysconf("SC_CLK_TCK")
CIVIL = bearer("civil_affairs", subject="bench-clerk")
UVX = str(next((p for p in [Path(__file__).parents[1] / ".tools/bin/uvx"] if p.exists()), "uvx"))


def server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or os.environ.get(
        "HUIMIN_LOCAL_POSTGRES_URL", postgres.LOCAL_SERVER_URL
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> None:
    with suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def load_average() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def write_file(path: Path, rows: int) -> int:
    """Synthetic residents, one line per certification, until ``rows`` lines (whole residents)."""

    def enough() -> Iterator[SyntheticResident]:
        written = 0
        for person in synthetic_residents(rows, year=2010, seed=0):
            if written >= rows:
                return
            written += len(person.certifications)
            yield person

    with path.open("w", encoding="utf-8") as out:
        for chunk in synthetic_csv_lines(enough()):
            out.write(chunk)
    with path.open("rb") as binary:
        return sum(1 for _ in binary) - 1


def start_service(url: str, log: Path, chunk_rows: int | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, ELIGIBILITY_DATABASE_URL=url, ELIGIBILITY_LOG_LEVEL="WARNING")
    if chunk_rows is not None:
        env["ELIGIBILITY_IMPORT_CHUNK_ROWS"] = str(chunk_rows)
    command = [
        sys.executable, "-m", "uvicorn", "huimin_eligibility.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"eligibility exited with {process.returncode}; see {log}")
        with suppress(httpx.HTTPError):
            if httpx.get(base + "/ready", timeout=1.0).status_code == 200:
                return process, base
        time.sleep(0.2)
    raise RuntimeError(f"eligibility not ready; see {log}")


def import_file(base: str, path: Path, mode: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=1800) as http, path.open("rb") as file:
        response = http.post(
            "/v1/imports", files={"file": (path.name, file, "text/csv")}, data={"mode": mode}, headers=CIVIL
        )
        if response.status_code not in (201, 202):
            raise RuntimeError(f"refused: {response.status_code} {response.text[:300]}")
        job: dict[str, Any] = response.json()
        while job["status"] == "running":
            time.sleep(0.1)
            job = http.get(f"/v1/imports/{job['id']}", headers=CIVIL).json()
    return job


def timed_import(
    process: subprocess.Popen[bytes], base: str, path: Path, mode: str, profile: Path | None = None
) -> tuple[dict[str, Any], float]:
    spy = None
    if profile is not None:  # py-spy (a sampling profiler run by uvx, not a project dependency)
        spy = subprocess.Popen(
            [UVX, "py-spy", "record", "--pid", str(process.pid), "--format", "raw", "-o", str(profile)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    reset_peak(process.pid)
    cpu0 = cpu_seconds(process.pid)
    started = time.perf_counter()
    job = import_file(base, path, mode)
    seconds = time.perf_counter() - started
    if spy is not None:
        spy.send_signal(2)
        spy.wait(60)
        print(f"  profile (py-spy raw, flamegraph.pl input): {profile}")
    rows = job["processed_rows"]
    print(
        f"  {job['status']}: {rows:,} rows, accepted {job['accepted']:,}, rejected {job['rejected']:,}, "
        f"unchanged {job['unchanged']:,}"
    )
    print(
        f"  {seconds:8.2f} s  {rows / seconds:10,.0f} rows/s  service CPU {cpu_seconds(process.pid) - cpu0:.1f} s"
        f"  peak RSS {peak_rss_mb(process.pid):.0f} MB  load {load_average()}"
    )
    return job, seconds


async def copy_floor(url: str, path: Path) -> float:
    """PostgreSQL's own COPY of the same file into a table of its eleven columns (no indexes)."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        columns = ", ".join(f"{field} text" for _, field in CSV_COLUMNS)
        await connection.execute(f"CREATE TABLE bench_copy_floor ({columns})")
        started = time.perf_counter()
        await connection.copy_to_table("bench_copy_floor", source=path, format="csv", header=True)
        seconds = time.perf_counter() - started
        await connection.execute("DROP TABLE bench_copy_floor")
        return seconds
    finally:
        await connection.close()


# What the import must write, with the indexes and keys it must maintain: the imported rows copied by
# INSERT … SELECT into empty tables like the register's (LIKE … INCLUDING ALL, foreign keys to the copied
# residents), and the report's rows likewise — no reading, validating, comparing or staging.
REGISTER_FLOOR = (
    ("residents", "floor_residents", ""),
    ("resident_versions", "floor_resident_versions", "floor_residents"),
    ("certifications", "floor_certifications", "floor_residents"),
    ("import_rows", "floor_import_rows", ""),
)


async def register_floor(url: str) -> tuple[float, list[tuple[str, int, float]]]:
    """Seconds to write the imported register and report again into empty, indexed copies (one
    transaction, rolled back), with each table's rows and seconds."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        parts: list[tuple[str, int, float]] = []
        async with connection.transaction():
            for source, copy, parent in REGISTER_FLOOR:
                await connection.execute(f"CREATE TABLE {copy} (LIKE {source} INCLUDING ALL)")
                if parent:
                    await connection.execute(
                        f"ALTER TABLE {copy} ADD FOREIGN KEY (id_number) REFERENCES {parent} (id_number)"
                    )
            total = 0.0
            for source, copy, _ in REGISTER_FLOOR:
                started = time.perf_counter()
                status = await connection.execute(f"INSERT INTO {copy} SELECT * FROM {source}")
                seconds = time.perf_counter() - started
                parts.append((source, int(status.rsplit(" ", 1)[1]), seconds))
                total += seconds
            started = time.perf_counter()
            await connection.execute("SELECT txid_current()")  # the commit's flush, as the import's
            total += time.perf_counter() - started
            raise _RollBack
    except _RollBack:
        return total, parts
    finally:
        await connection.close()


class _RollBack(Exception):
    pass


async def main(
    rows: int, mode: str, keep: bool, chunk_rows: int | None, again: bool, profile: Path | None
) -> None:
    server = server_url()
    name = f"bench_import_{uuid.uuid4().hex[:6]}"
    url = await postgres.create_database(server, name, drop_first=True)
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
    workdir = Path(tempfile.mkdtemp(prefix="bench_import_"))
    print(f"database {name}; load average {load_average()}")
    process, base = start_service(url, workdir / "eligibility.log", chunk_rows)
    try:
        started = time.perf_counter()
        path = workdir / "roster.csv"
        written = write_file(path, rows)
        print(
            f"file: {written:,} rows, {path.stat().st_size / 1e6:.0f} MB, written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        print(f"POST /v1/imports ({mode}), empty register:")
        job, seconds = timed_import(process, base, path, mode, profile)
        if job["status"] != "complete" or job["accepted"] != written:
            raise SystemExit(f"the import did not accept every row: {job}")
        if again:
            print("the same file again (every row compared, nothing changes):")
            job2, _ = timed_import(process, base, path, mode)
            if job2["unchanged"] != written and mode == "partial":
                raise SystemExit(f"the second import changed something: {job2}")
        floor = await copy_floor(url, path)
        print(
            f"PostgreSQL COPY of the same file into a {len(CSV_COLUMNS)}-column text table: {floor:.2f} s "
            f"({written / floor:,.0f} rows/s); the import is {seconds / floor:.1f}× the floor; "
            f"load {load_average()}"
        )
        written_floor, parts = await register_floor(url)
        print(
            "the register and report written again by INSERT … SELECT into empty copies with their indexes "
            f"and keys: {written_floor:.2f} s; the import is {seconds / written_floor:.1f}× it; "
            f"load {load_average()}"
        )
        for table, count, part in parts:
            print(f"  {table:20} {count:>10,} rows {part:7.2f} s")
    finally:
        process.terminate()
        process.wait(30)
        if not keep:
            await postgres.drop_database(server, name)
        else:
            print(f"kept database {name}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--mode", choices=("partial", "all_or_nothing"), default="partial")
    parser.add_argument("--chunk-rows", type=int, default=None, help="ELIGIBILITY_IMPORT_CHUNK_ROWS")
    parser.add_argument("--no-again", action="store_true", help="skip the second import of the same file")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy the first import into this file")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.mode, args.keep, args.chunk_rows, not args.no_again, args.profile))
