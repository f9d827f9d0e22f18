"""Status look-up benchmark: ``GET /v1/residents/{id}/status`` under 32 keep-alive connections, next to a
bare FastAPI async route (bench/bare_app.py) served by the same uvicorn in the same run — the ratio of the
two is the figure, since this 2-core machine's absolute numbers move with whoever else is using it.
Also the bulk form (``POST /v1/status/bulk`` of 1,000 ID numbers). Prints figures; asserts nothing.

    .venv/bin/python bench/status.py --residents 100000 [--seconds 10] [--connections 32] [--database NAME]

Load generator: ``wrk`` (Debian/Ubuntu: ``apt-get install wrk``; macOS: ``brew install wrk``) when it is
on the PATH, else a small asyncio HTTP/1.1 keep-alive client in this script (``--python-load`` forces it;
it shares the CPU with the servers, so its absolute figures are lower — the ratio still compares).

Setup, timed apart: a fresh eligibility database (kept with ``--database NAME``, reused when it holds N
residents), eligibility started as ``uvicorn huimin_eligibility.app:create_app --factory`` with its
default settings (INFO logs, to a file), N synthetic residents (seed 0, year 2010) loaded through the
public import route. Each look-up asks a different resident (cycling over 1,000) on 2010-06-01 with a
social-insurance token; every answer is a signed certificate and a read-log row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from huimin_cli.year import Staff
from huimin_eligibility.app import MIGRATIONS
from huimin_eligibility.imports.parsing import synthetic_csv_lines
from huimin_shared import migrations, postgres
from huimin_shared.db import plain_url
from huimin_shared.synthetic import synthetic_residents

BENCH = Path(__file__).resolve().parent
ON = "2010-06-01"


def server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or os.environ.get(
        "HUIMIN_LOCAL_POSTGRES_URL", postgres.LOCAL_SERVER_URL
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout:g}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def holds(url: str, count: int) -> bool:
    connection = await asyncpg.connect(plain_url(url))
    try:
        return bool(await connection.fetchval("SELECT count(*) FROM residents") == count)
    finally:
        await connection.close()


def import_roster(base: str, count: int, staff: Staff, scratch: Path) -> None:
    path = scratch / "roster.csv"
    with path.open("w", encoding="utf-8") as out:
        for chunk in synthetic_csv_lines(synthetic_residents(count, year=2010, seed=0)):
            out.write(chunk)
    with httpx.Client(base_url=base, timeout=600) as http, path.open("rb") as file:
        response = http.post(
            "/v1/imports",
            files={"file": (path.name, file, "text/csv")},
            data={"mode": "partial"},
            headers=staff.civil_affairs,
        )
        response.raise_for_status()
        job = response.json()
        while job["status"] == "running":
            time.sleep(0.3)
            job = http.get(f"/v1/imports/{job['id']}", headers=staff.civil_affairs).json()
    if job["status"] != "complete":
        raise RuntimeError(f"the import ended {job['status']}")
    path.unlink()


# --- load generators ------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


WRK_SCRIPT = """
local paths = {%(paths)s}
local auth = "%(auth)s"
local i = math.random(#paths)
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["Authorization"] = auth})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "us": %%d, "errors": %%d, "p50": %%d, "p99": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(base: str, paths: list[str], auth: str, seconds: int, connections: int, scratch: Path) -> Result:
    script = scratch / "paths.lua"
    script.write_text(
        WRK_SCRIPT % {"paths": ",".join(json.dumps(p) for p in paths), "auth": auth.replace('"', "")}
    )
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    figures = json.loads(line.removeprefix("RESULT "))
    return Result(
        figures["requests"],
        figures["us"] / 1e6,
        figures["errors"],
        figures["p50"] / 1e3,
        figures["p99"] / 1e3,
    )


async def python_load(base: str, paths: list[str], auth: str, seconds: int, connections: int) -> Result:
    """``connections`` keep-alive HTTP/1.1 connections, each sending its next request when the last
    answer is in (like wrk), for ``seconds``."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def connection(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        index = offset
        try:
            while time.perf_counter() < deadline:
                path = paths[index % len(paths)]
                index += 1
                began = time.perf_counter()
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for header in head.split(b"\r\n"):
                    if header.lower().startswith(b"content-length:"):
                        length = int(header.split(b":", 1)[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - began)
                if not head.startswith(b"HTTP/1.1 2"):
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(i * 31) for i in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Result(
        len(latencies),
        elapsed,
        errors,
        latencies[len(latencies) // 2] * 1000,
        latencies[int(len(latencies) * 0.99)] * 1000,
    )


def measure(
    base: str, paths: list[str], auth: str, seconds: int, connections: int, scratch: Path, use_wrk: bool
) -> Result:
    if use_wrk:
        return run_wrk(base, paths, auth, seconds, connections, scratch)
    return asyncio.run(python_load(base, paths, auth, seconds, connections))


@contextmanager
def profiling(pid: int, output: Path | None, seconds: int) -> Iterator[None]:
    """py-spy (a dev dependency) sampling ``pid`` while the block runs; a summary of the hottest frames
    (inclusive share of samples) goes to ``output`` next to the raw collapsed stacks."""
    if output is None:
        yield
        return
    raw = output.with_suffix(".collapsed")
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--format", "raw"]
    spy = subprocess.Popen([*command, "--duration", str(seconds), "--output", str(raw), "--nonblocking"])
    try:
        yield
    finally:
        spy.wait()
    output.write_text(summarise(raw.read_text()))
    print(f"profile: {output} (raw stacks {raw})")


def summarise(collapsed: str, top: int = 40) -> str:
    """Inclusive and self share of samples per function from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += samples
        if frames:
            own[frames[-1]] += samples
    lines = [f"{total} samples; inclusive % / self % / function (file:line)"]
    for frame, samples in inclusive.most_common(top):
        lines.append(f"{100 * samples / total:5.1f} {100 * own[frame] / total:5.1f}  {frame}")
    return "\n".join(lines) + "\n"


def bulk(base: str, numbers: list[str], staff: Staff, times: int = 5) -> float:
    """Milliseconds of the best of ``times`` bulk look-ups of ``numbers``."""
    best = float("inf")
    with httpx.Client(base_url=base, timeout=60) as http:
        for _ in range(times):
            began = time.perf_counter()
            response = http.post(
                "/v1/status/bulk", json={"on": ON, "id_numbers": numbers}, headers=staff.social_insurance
            )
            best = min(best, time.perf_counter() - began)
            response.raise_for_status()
            if len(response.json()["items"]) != len(numbers):
                raise RuntimeError("the bulk look-up missed residents")
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database", help="fixed database name, kept (reused when it holds N residents)")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator, not wrk")
    parser.add_argument(
        "--profile", type=Path, help="py-spy profile of eligibility during the status run, to this file"
    )
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    server = server_url()
    name = args.database or f"bench_status_{uuid.uuid4().hex[:6]}"
    scratch = Path(tempfile.mkdtemp(prefix="huimin-bench-status-"))
    staff = Staff(secret=os.environ.get("HUIMIN_JWT_SECRET", Staff().secret))
    print(
        f"status look-ups: {args.residents:,} residents, {args.connections} connections, {args.seconds} s each, "
        f"load generator {'wrk' if use_wrk else 'python (wrk not found)'}; {os.cpu_count()} CPUs; "
        f"load average {load_average()}; logs in {scratch}"
    )
    url = asyncio.run(postgres.create_database(server, name, drop_first=args.database is None))
    migrations.upgrade(MIGRATIONS, url)
    env = dict(os.environ, ELIGIBILITY_DATABASE_URL=url)
    uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log"]
    status_port, bare_port = free_port(), free_port()
    eligibility = start(
        [*uvicorn, "--port", str(status_port), "--factory", "huimin_eligibility.app:create_app"],
        env,
        scratch / "eligibility.log",
    )
    bare = start(
        [*uvicorn, "--port", str(bare_port), "--app-dir", str(BENCH), "bare_app:app"],
        env,
        scratch / "bare.log",
    )
    base, bare_base = f"http://127.0.0.1:{status_port}", f"http://127.0.0.1:{bare_port}"
    try:
        wait_ready(eligibility, base + "/ready")
        wait_ready(bare, bare_base + "/bare")
        if not asyncio.run(holds(url, args.residents)):
            began = time.perf_counter()
            import_roster(base, args.residents, staff, scratch)
            print(
                f"setup: {args.residents:,} residents imported over HTTP in {time.perf_counter() - began:.1f} s"
            )
        numbers = [r.id_number for r in synthetic_residents(min(args.residents, 1000), year=2010, seed=0)]
        random.Random(0).shuffle(numbers)
        paths = [f"/v1/residents/{number}/status?on={ON}" for number in numbers]
        auth = staff.social_insurance["Authorization"]
        warm = max(1, args.seconds // 5)
        measure(bare_base, ["/bare"], auth, warm, args.connections, scratch, use_wrk)
        measure(base, paths, auth, warm, args.connections, scratch, use_wrk)
        reference = measure(bare_base, ["/bare"], auth, args.seconds, args.connections, scratch, use_wrk)
        load_bare = load_average()
        with profiling(eligibility.pid, args.profile, args.seconds):
            status = measure(base, paths, auth, args.seconds, args.connections, scratch, use_wrk)
        load_status = load_average()
        bulk_ms = bulk(base, numbers, staff)
        print(f"{'':<44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  load average")
        for label, result, load in (
            ("bare FastAPI async route (reference)", reference, load_bare),
            ("GET /v1/residents/{id}/status (signed)", status, load_status),
        ):
            print(
                f"{label:<44} {result.rate:9,.0f} {result.p50_ms:8.1f} {result.p99_ms:8.1f} "
                f"{result.errors:7}  {load}"
            )
        print(f"ratio status / bare: {status.rate / reference.rate:.2f}")
        print(f"bulk status of {len(numbers):,} (best of 5): {bulk_ms:.0f} ms")
    finally:
        stop(eligibility)
        stop(bare)
        if args.database is None:
            asyncio.run(postgres.drop_database(server, name))
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
