"""Benchmark of the design target: a whole Benxi cover year for N residents (roster → assessment →
settlement batches → reconciliation), end to end through the three services running as real uvicorn
processes on loopback ports, each on its own freshly migrated database, driven over HTTP by
``huimin_cli.year.Year`` — the same steps ``huimin demo year`` plays. Prints figures; asserts nothing
about time (it does check that the reconciliation found no difference).

    .venv/bin/python bench/year.py --residents 1000000 [--database-prefix NAME] [--keep]

Setup, timed separately: N synthetic residents (huimin_shared.synthetic, seed 0, year 2010) written as
a roster CSV and loaded through eligibility's import route (202 + background job committing chunks
with COPY; polled). With ``--database-prefix`` (or ``--keep``) the loaded eligibility database
``<prefix>_eligibility`` is kept, and a rerun with the same prefix and count skips the load. Premium
and settlement always start empty (a year already played would be found and skipped), and are dropped
at the end unless ``--keep``.

Then each step of the year is timed, with the CPU seconds each service process spent in it, the
machine's busy CPU seconds (both cores, other people's work included) and each service's peak
resident memory during the step (VmHWM, reset before each step through /proc/<pid>/clear_refs).
Last, reference figures for the dominant step on the same data: the roster stream alone, and
PostgreSQL's own COPY of the assessment lines out and back in — the database's floor.

Server: TEST_DATABASE_URL, else HUIMIN_LOCAL_POSTGRES_URL, else postgresql://postgres@127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from huimin_cli.services import SERVICES
from huimin_cli.suite import migrate
from huimin_cli.year import CITY, Endpoints, Staff, Step, Year
from huimin_eligibility.imports.parsing import synthetic_csv_lines
from huimin_shared import postgres
from huimin_shared.db import plain_url
from huimin_shared.readiness import Started, wait_until_ready
from huimin_shared.synthetic import SyntheticResident, synthetic_residents

YEAR = 2010
SEED = 0
NAMES = ("eligibility", "premium", "settlement")
SHORT = {"eligibility": "elig", "premium": "prem", "settlement": "settl"}
PEERS = {
    "premium": {"ELIGIBILITY_URL": "eligibility", "SETTLEMENT_URL": "settlement"},
    "settlement": {"PREMIUM_URL": "premium", "ELIGIBILITY_URL": "eligibility"},
}
TICKS = os.sysconf("SC_CLK_TCK")


def server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or os.environ.get(
        "HUIMIN_LOCAL_POSTGRES_URL", postgres.LOCAL_SERVER_URL
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- the processes and what they cost ------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat) — everyone's work, not only ours."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> bool:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM to the current RSS)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Services:
    database_urls: dict[str, str]
    log_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: {name: free_port() for name in NAMES})
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def endpoints(self) -> Endpoints:
        return Endpoints(*(self.url(name) for name in NAMES))

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def environment(self, name: str) -> dict[str, str]:
        prefix = name.upper() + "_"
        env = dict(os.environ)
        env[prefix + "DATABASE_URL"] = self.database_urls[name]
        env[prefix + "LOG_LEVEL"] = "WARNING"
        # A million-row stream can keep a peer waiting for its first byte a few seconds on a busy machine.
        env[prefix + "PEER_TIMEOUT_SECONDS"] = "120"
        for setting, peer in PEERS.get(name, {}).items():
            env[prefix + setting] = self.url(peer)
        return env

    def start(self) -> None:
        for name in NAMES:
            log = (self.log_dir / f"{name}.log").open("ab")
            command = [
                sys.executable, "-m", "uvicorn", f"huimin_{name}.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(self.ports[name]), "--no-access-log",
                "--log-level", "warning",
            ]  # fmt: skip
            self.processes[name] = subprocess.Popen(
                command, env=self.environment(name), stdout=log, stderr=subprocess.STDOUT
            )
        for name in NAMES:
            self.wait_ready(name)

    def wait_ready(self, name: str) -> None:
        started = Started(self.url(name) + "/ready", self.processes[name], self.log_dir / f"{name}.log")
        wait_until_ready({name: started})

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Figure:
    label: str
    seconds: float
    rows: int | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    machine_cpu: float = 0.0
    peak_mb: dict[str, float] = field(default_factory=dict)
    load: float = field(default_factory=lambda: os.getloadavg()[0])  # 1-minute load average at the end


class Meter:
    """Wall time, per-service CPU, machine CPU and per-service peak RSS of one stretch of work."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def __enter__(self) -> Meter:
        for name in NAMES:
            reset_peak(self.services.pid(name))
        self.cpu0 = {name: cpu_seconds(self.services.pid(name)) for name in NAMES}
        self.machine0 = machine_busy_seconds()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        self.machine_cpu = machine_busy_seconds() - self.machine0
        self.cpu = {name: cpu_seconds(self.services.pid(name)) - self.cpu0[name] for name in NAMES}
        self.peak_mb = {name: peak_rss_mb(self.services.pid(name)) for name in NAMES}

    def figure(self, label: str, rows: int | None = None) -> Figure:
        return Figure(label, self.seconds, rows, self.cpu, self.machine_cpu, self.peak_mb, os.getloadavg()[0])


# --- setup: databases and the roster ---------------------------------------------------------------


async def eligibility_holds(url: str, count: int) -> bool:
    """Whether a kept eligibility database already holds the ``count`` synthetic residents."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        residents = await connection.fetchval("SELECT count(*) FROM residents")
        return bool(residents == count)
    finally:
        await connection.close()


def write_roster(path: Path, count: int) -> list[str]:
    """The synthetic roster as an import CSV; returns who had already paid their own share (B§四(四)),
    the list social insurance hands to premium."""
    paid: list[str] = []

    def noting_paid(people: Iterable[SyntheticResident]) -> Iterator[SyntheticResident]:
        for person in people:
            if person.already_paid:
                paid.append(person.id_number)
            yield person

    with path.open("w", encoding="utf-8") as out:
        for chunk in synthetic_csv_lines(noting_paid(synthetic_residents(count, year=YEAR, seed=SEED))):
            out.write(chunk)
    return paid


def paid_list(count: int) -> list[str]:
    return [p.id_number for p in synthetic_residents(count, year=YEAR, seed=SEED) if p.already_paid]


def import_roster(services: Services, path: Path, staff: Staff) -> dict[str, Any]:
    """Eligibility's public bulk path: upload, 202, poll the job until it finishes."""
    with httpx.Client(base_url=services.url("eligibility"), timeout=600) as http, path.open("rb") as file:
        response = http.post(
            "/v1/imports",
            files={"file": (path.name, file, "text/csv")},
            data={"mode": "partial"},
            headers=staff.civil_affairs,
        )
        if response.status_code not in (201, 202):
            raise RuntimeError(
                f"eligibility refused the import: {response.status_code} {response.text[:300]}"
            )
        job: dict[str, Any] = response.json()
        while job["status"] == "running":
            time.sleep(0.5)
            job = http.get(f"/v1/imports/{job['id']}", headers=staff.civil_affairs).json()
    if job["status"] != "complete":
        raise RuntimeError(f"the import ended {job['status']}: {job.get('error')}")
    return job


async def analyze(url: str) -> None:
    connection = await asyncpg.connect(plain_url(url))
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


# --- the year ---------------------------------------------------------------------------------------


def lines_of(result: Any) -> dict[str, int]:
    """Lines of every assessment version and batch the year has read so far, by key."""
    seen = {f"a:{kind}": int(v["line_count"]) for kind, v in result.assessments.items()}
    seen |= {f"b:{key}": int(b["control"]["line_count"]) for key, b in result.batches.items()}
    return seen


GROUPS = {  # steps reported as one row
    "monthly change report": "monthly change reports ×12 (B§四(三))",
}


async def play(
    services: Services, paid: list[str], staff: Staff, monthly_reports: bool = True
) -> tuple[list[Figure], Year]:
    figures: list[Figure] = []
    grouped: dict[str, Figure] = {}
    async with httpx.AsyncClient(timeout=1800) as http:
        year = Year(
            http, YEAR, paid=paid, endpoints=services.endpoints(), staff=staff, as_of=datetime.now(UTC)
        )
        step: Step
        for step in year.steps():
            if not monthly_reports and step.name.startswith("monthly change report"):
                continue
            before = lines_of(year.result)
            with Meter(services) as meter:
                await step.run()
            after = lines_of(year.result)
            rows = sum(n for key, n in after.items() if key not in before) or None
            figure = meter.figure(step.name, rows)
            print(f"  … {step.name}: {figure.seconds:.2f} s", file=sys.stderr, flush=True)
            group = next((label for prefix, label in GROUPS.items() if step.name.startswith(prefix)), None)
            if group is None:
                figures.append(figure)
                continue
            if group not in grouped:
                grouped[group] = Figure(group, 0.0)
                figures.append(grouped[group])
            total = grouped[group]
            total.seconds += figure.seconds
            total.machine_cpu += figure.machine_cpu
            for name in NAMES:
                total.cpu[name] = total.cpu.get(name, 0.0) + figure.cpu[name]
                total.peak_mb[name] = max(total.peak_mb.get(name, 0.0), figure.peak_mb[name])
    return figures, year


# --- reference figures --------------------------------------------------------------------------------


async def roster_alone(services: Services, staff: Staff) -> Figure:
    """The assessment's input by itself: eligibility's roster NDJSON stream, read and dropped."""
    rows = 0
    with Meter(services) as meter:
        async with (
            httpx.AsyncClient(timeout=600) as http,
            http.stream(
                "GET",
                services.url("eligibility") + "/v1/roster",
                params={"year": YEAR, "region": CITY},
                headers={**staff.social_insurance, "Accept": "application/x-ndjson"},
            ) as response,
        ):
            async for chunk in response.aiter_bytes():
                rows += chunk.count(b"\n")
    return meter.figure("roster NDJSON stream alone (eligibility → client)", rows)


async def copy_floor(premium_url: str, eligibility_url: str, scratch: Path) -> list[Figure]:
    """PostgreSQL's own floor on the same data: a scan of the register, and COPY of the premium lines out
    to a file and back into an empty table of the same shape (no indexes) — N rows read, N rows written."""
    figures = []
    connection = await asyncpg.connect(plain_url(eligibility_url))
    try:
        started = time.perf_counter()
        count = await connection.fetchval("SELECT count(*) FROM certifications")
        figures.append(
            Figure("SELECT count(*) FROM certifications (eligibility)", time.perf_counter() - started, count)
        )
    finally:
        await connection.close()
    connection = await asyncpg.connect(plain_url(premium_url))
    path = scratch / "assessment_lines.copy"
    try:
        count = await connection.fetchval("SELECT count(*) FROM assessment_lines")
        started = time.perf_counter()
        await connection.copy_from_table("assessment_lines", output=str(path))
        figures.append(
            Figure(
                f"COPY assessment_lines TO STDOUT ({path.stat().st_size / 1e6:.0f} MB)",
                time.perf_counter() - started,
                count,
            )
        )
        await connection.execute("CREATE TEMP TABLE lines_copy (LIKE assessment_lines)")
        started = time.perf_counter()
        await connection.copy_to_table("lines_copy", source=str(path))
        figures.append(
            Figure("COPY … FROM STDIN into an empty table like it", time.perf_counter() - started, count)
        )
    finally:
        await connection.close()
        path.unlink(missing_ok=True)
    return figures


# --- report ------------------------------------------------------------------------------------------


def pad(text: str, width: int) -> str:
    """``text`` cut or padded to ``width`` terminal columns (CJK characters take two)."""
    out, used = "", 0
    for char in text:
        columns = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used + columns > width:
            break
        out, used = out + char, used + columns
    return out + " " * (width - used)


def table(figures: list[Figure], with_processes: bool = True, floor: float | None = None) -> None:
    """One line per figure; with ``floor`` (PostgreSQL's COPY of the assessment lines out and in, same run)
    each step's time also as a multiple of it, and the 1-minute load average when the step ended."""
    head = f"{'step':<58} {'s':>7} {'rows':>9} {'rows/s':>9}"
    if floor:
        head += f" {'×floor':>7} {'load':>5}"
    if with_processes:
        head += "  CPU s: " + " ".join(f"{SHORT[n]:>5}" for n in NAMES) + f" {'all':>5}"
        head += "   peak MB: " + " ".join(f"{SHORT[n]:>5}" for n in NAMES)
    print(head)
    for f in figures:
        rows = f"{f.rows:>9,}" if f.rows else f"{'':>9}"
        rate = f"{f.rows / f.seconds:>9,.0f}" if f.rows and f.seconds > 0 else f"{'':>9}"
        line = f"{pad(f.label, 58)} {f.seconds:7.2f} {rows} {rate}"
        if floor:
            line += f" {f.seconds / floor:7.1f} {f.load:5.1f}"
        if with_processes and f.cpu:
            line += "         " + " ".join(f"{f.cpu[n]:5.1f}" for n in NAMES) + f" {f.machine_cpu:5.1f}"
            line += "            " + " ".join(f"{f.peak_mb[n]:5.0f}" for n in NAMES)
        print(line)


def check_reconciliation(year: Year) -> bool:
    reconciliation = year.result.reconciliation
    totals = reconciliation["totals"]
    proofs = reconciliation["proofs"]
    clean = (
        not reconciliation["differences"]
        and Decimal(totals["difference"]) == 0
        and reconciliation["balanced"]
        and proofs["entries_sum_to_zero"]
        and proofs["balances_equal_entries"]
    )
    print(
        f"reconciliation {YEAR}: due {totals['due']} 元, moved {totals['moved']} 元, difference "
        f"{totals['difference']} 元, {len(reconciliation['differences'])} differences; entries sum to zero "
        f"{proofs['entries_sum_to_zero']}, balances equal entries {proofs['balances_equal_entries']} — "
        + ("ZERO DIFFERENCES, balanced" if clean else "NOT CLEAN")
    )
    return bool(clean)


# --- main --------------------------------------------------------------------------------------------


async def create_databases(server: str, prefix: str) -> dict[str, str]:
    urls = {"eligibility": await postgres.create_database(server, f"{prefix}_eligibility")}
    for name in ("premium", "settlement"):  # always a fresh year
        urls[name] = await postgres.create_database(server, f"{prefix}_{name}", drop_first=True)
    return urls


async def drop_databases(server: str, prefix: str, names: Iterable[str]) -> None:
    for name in names:
        await postgres.drop_database(server, f"{prefix}_{name}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument(
        "--database-prefix", help="fixed database names <prefix>_<service>; keeps the loaded eligibility one"
    )
    parser.add_argument("--keep", action="store_true", help="keep all three databases")
    parser.add_argument(
        "--skip-monthly-reports",
        action="store_true",
        help="leave out the twelve monthly change reports (civil affairs' per-person path, off the money path)",
    )
    args = parser.parse_args()
    count: int = args.residents
    server = server_url()
    prefix = args.database_prefix or f"bench_year_{uuid.uuid4().hex[:6]}"
    keep_eligibility = args.keep or args.database_prefix is not None
    scratch = Path(tempfile.mkdtemp(prefix="huimin-bench-year-"))
    staff = Staff(secret=os.environ.get("HUIMIN_JWT_SECRET", Staff().secret))
    load1 = os.getloadavg()
    print(
        f"{count:,} synthetic residents (seed {SEED}, cover year {YEAR}); databases {prefix}_*; "
        f"{os.cpu_count()} CPUs; load average {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; logs in {scratch}"
    )
    urls = asyncio.run(create_databases(server, prefix))
    setup: list[Figure] = []
    started = time.perf_counter()
    migrate(urls, SERVICES)
    setup.append(Figure("migrate three databases", time.perf_counter() - started))
    services = Services(urls, scratch)
    clean = False
    try:
        started = time.perf_counter()
        services.start()
        setup.append(Figure("start three uvicorn processes (until /ready)", time.perf_counter() - started))
        paid = load(services, urls["eligibility"], count, staff, scratch, setup)
        print(f"paid list from social insurance: {len(paid):,} residents", flush=True)

        started = time.perf_counter()
        figures, year = asyncio.run(play(services, paid, staff, not args.skip_monthly_reports))
        whole = time.perf_counter() - started
        clean = check_reconciliation(year)

        reference = [asyncio.run(roster_alone(services, staff))]
        services.stop()
        copies = asyncio.run(copy_floor(urls["premium"], urls["eligibility"], scratch))
        reference += copies
        floor = sum(f.seconds for f in copies if f.label.startswith("COPY"))
        load_end = os.getloadavg()

        print(
            f"\nPostgreSQL's floor, same run: COPY of the annual assessment lines out and back in = {floor:.2f} s"
        )
        print("\nSetup")
        table(setup, with_processes=False, floor=floor)
        print(f"\nThe year {YEAR}, step by step over HTTP (CPU s per service process and the whole machine)")
        table(figures, floor=floor)
        monthly = sum(f.seconds for f in figures if f.label in GROUPS.values())
        imported = next((f.seconds for f in setup if f.label.startswith("import over HTTP")), None)
        print(f"{'whole year, every step':<58} {whole:7.2f} {'':>19} {whole / floor:7.1f}")
        print(
            f"{'  roster → assessment → batches → reconciliation':<58} {whole - monthly:7.2f} {'':>19} "
            f"{(whole - monthly) / floor:7.1f}"
        )
        print(f"{'  monthly change reports (civil affairs, off the money path)':<58} {monthly:7.2f}")
        if imported is not None:
            total = imported + whole
            print(f"{'import + the whole year':<58} {total:7.2f} {'':>19} {total / floor:7.1f}")
        else:
            print("import + the whole year: not measured (a kept eligibility database was reused)")
        print(
            "peak RSS during the year: "
            + ", ".join(f"{n} {max(f.peak_mb.get(n, 0.0) for f in figures):.0f} MB" for n in NAMES)
        )
        annual = year.result.assessments["annual"]
        print(
            f"annual assessment: {annual['line_count']:,} lines, assistance subsidy "
            f"{annual['totals']['assistance_subsidy']} 元"
        )
        check_reconciliation(year)

        print("\nReference: the dominant step's input alone, and PostgreSQL's own floor on the same data")
        table(reference, with_processes=False)
        print(f"load average at the end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")
    finally:
        services.stop()
        dropped = (
            [] if args.keep else ["premium", "settlement"] + ([] if keep_eligibility else ["eligibility"])
        )
        asyncio.run(drop_databases(server, prefix, dropped))
        kept = [f"{prefix}_{n}" for n in NAMES if n not in dropped]
        if kept:
            print(
                f"kept databases: {', '.join(kept)} (rerun with --database-prefix {prefix} to skip the load)"
            )
        if clean:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0 if clean else 1


def load(
    services: Services, url: str, count: int, staff: Staff, scratch: Path, setup: list[Figure]
) -> list[str]:
    """Load the synthetic roster into eligibility unless a kept database holds it; return the paid list."""
    if asyncio.run(eligibility_holds(url, count)):
        started = time.perf_counter()
        paid = paid_list(count)
        setup.append(Figure("eligibility kept: regenerate the paid list only", time.perf_counter() - started))
        return paid
    roster = scratch / f"benxi-{YEAR}-synthetic-{count}.csv"
    started = time.perf_counter()
    paid = write_roster(roster, count)
    size = roster.stat().st_size / 1e6
    setup.append(
        Figure(f"generate residents, write CSV ({size:.0f} MB)", time.perf_counter() - started, count)
    )
    with Meter(services) as meter:
        job = import_roster(services, roster, staff)
    setup.append(meter.figure("import over HTTP (upload, 202, COPY in chunks, poll)", job["processed_rows"]))
    print(
        f"import job: {job['processed_rows']:,} rows, {job['accepted']:,} accepted, "
        f"{job['rejected']:,} rejected, {job['unchanged']:,} unchanged; peak RSS eligibility "
        f"{meter.peak_mb['eligibility']:.0f} MB, CPU {meter.cpu['eligibility']:.0f} s"
    )
    roster.unlink()
    started = time.perf_counter()
    asyncio.run(analyze(url))
    setup.append(Figure("ANALYZE eligibility", time.perf_counter() - started))
    return paid


if __name__ == "__main__":
    raise SystemExit(main())
