"""The status look-up's SQL function alone, under pgbench: eligibility_status_lookup next to variants of it
(bench/status_sql/variants.sql) and ``SELECT 1``, all in the same run, so what each part of the function costs
can be read off side by side on a machine whose absolute figures move with its load. Prints figures; asserts
nothing.

    .venv/bin/python bench/status_sql.py --database NAME [--clients 16] [--seconds 8] [--only a,b]

NAME is an eligibility database holding residents (``bench/status.py --database NAME`` makes and keeps one).
Each look-up asks one resident picked at random among 1,000 (``known``: a read-log row written and its commit
flushed) or a number nobody has (``unknown``: nothing written). The variants are created in NAME for the run
and dropped after it, with the table of the 1,000 numbers; the read-log rows the run writes stay.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import tempfile
from pathlib import Path

import asyncpg

from huimin_shared import postgres
from huimin_shared.db import plain_url, with_database

BENCH = Path(__file__).resolve().parent
ARGS = "NULL, NULL, 'bench', 'social_insurance', 'pgbench'"
KNOWN = "(SELECT id_number FROM bench_status_numbers WHERE i = :n)"
UNKNOWN = "(SELECT '9' || substr(id_number, 2) FROM bench_status_numbers WHERE i = :n)"

# (label, function, which number, extra environment for pgbench)
RUNS: list[tuple[str, str, str, dict[str, str]]] = [
    ("select1", "", "", {}),
    ("current known", "eligibility_status_lookup", KNOWN, {}),
    ("current unknown", "eligibility_status_lookup", UNKNOWN, {}),
    ("custom known (current, plans chosen per call: 0004_status)", "bench_status_custom", KNOWN, {}),
    ("custom unknown (current, plans chosen per call: 0004_status)", "bench_status_custom", UNKNOWN, {}),
    ("generic known (current, SET plan_cache_mode=force_generic_plan)", "bench_status_generic", KNOWN, {}),
    (
        "generic unknown (current, SET plan_cache_mode=force_generic_plan)",
        "bench_status_generic",
        UNKNOWN,
        {},
    ),
    ("body known (unsafe: no pin)", "bench_status_body", KNOWN, {}),
    ("body unknown (unsafe: no pin)", "bench_status_body", UNKNOWN, {}),
    ("nolock known (nested body)", "bench_status_nolock", KNOWN, {}),
    ("lockwait known (SHARE lock, no subxact)", "bench_status_lockwait", KNOWN, {}),
    ("subxact known (EXCEPTION block, no lock)", "bench_status_subxact", KNOWN, {}),
    ("advisory known (try+unlock, no subxact)", "bench_status_advisory", KNOWN, {}),
    ("readonly known (unsafe: no read-log row)", "bench_status_readonly", KNOWN, {}),
    ("readonly unknown (unsafe: no read-log row)", "bench_status_readonly", UNKNOWN, {}),
    ("select1, new connection each (-C)", "", "", {"-C": ""}),
    ("current known, new connection each (-C)", "eligibility_status_lookup", KNOWN, {"-C": ""}),
    (
        "current known, synchronous_commit=off (unsafe)",
        "eligibility_status_lookup",
        KNOWN,
        {"PGOPTIONS": "-c synchronous_commit=off"},
    ),
]


SET_UP = """
{variants};
CREATE TABLE bench_status_numbers AS SELECT row_number() OVER (ORDER BY id_number)::int AS i, id_number::text
FROM (SELECT id_number FROM residents ORDER BY id_number LIMIT 1000) r;
CREATE UNIQUE INDEX ON bench_status_numbers (i);
DO $$
DECLARE
    definition text := pg_get_functiondef(
        'eligibility_status_lookup(text[], timestamptz, text, text, text, text)'::regprocedure
    );
BEGIN
    EXECUTE replace(definition, '.eligibility_status_lookup(', '.bench_status_custom(');
    EXECUTE replace(definition, '.eligibility_status_lookup(', '.bench_status_generic(');
END
$$;
ALTER FUNCTION bench_status_custom(text[], timestamptz, text, text, text, text) RESET plan_cache_mode;
ALTER FUNCTION bench_status_generic(text[], timestamptz, text, text, text, text)
    SET plan_cache_mode = force_generic_plan;
"""
TEAR_DOWN = "DROP TABLE IF EXISTS bench_status_numbers;" + "".join(
    f"DROP FUNCTION IF EXISTS bench_status_{name}(text[], timestamptz, text, text, text, text);"
    for name in ("custom", "generic", "nolock", "lockwait", "subxact", "advisory", "readonly", "body")
)


async def execute(url: str, statements: str) -> None:
    connection = await asyncpg.connect(plain_url(url))
    try:
        await connection.execute(statements)
    finally:
        await connection.close()


def script(function: str, number: str) -> str:
    if not function:
        return "SELECT 1;\n"
    return f"\\set n random(1, 1000)\nSELECT * FROM {function}(ARRAY[{number}], {ARGS});\n"


def pgbench(url: str, text: str, clients: int, seconds: int, extra: dict[str, str], scratch: Path) -> str:
    path = scratch / "run.sql"
    path.write_text(text)
    flags = [flag for flag in extra if flag.startswith("-")]
    env = dict(os.environ, **{k: v for k, v in extra.items() if not k.startswith("-")})
    command = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds)]
    command += [*flags, "-f", str(path), plain_url(url)]
    output = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    tps = re.search(r"tps = ([\d.]+)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    return f"{float(tps.group(1)) if tps else 0:10,.0f} {float(latency.group(1)) if latency else 0:9.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--only", help="comma-separated labels' first words, e.g. select1,current,advisory")
    args = parser.parse_args()
    server = os.environ.get("TEST_DATABASE_URL") or os.environ.get(
        "HUIMIN_LOCAL_POSTGRES_URL", postgres.LOCAL_SERVER_URL
    )
    url = with_database(server, args.database)
    wanted = set(args.only.split(",")) if args.only else None
    asyncio.run(
        execute(url, SET_UP.replace("{variants}", (BENCH / "status_sql" / "variants.sql").read_text()))
    )
    try:
        print(f"pgbench, {args.clients} clients, {args.seconds} s each, database {args.database}")
        print(f"{'':<66} {'tps':>10} {'ms avg':>9}  load average")
        with tempfile.TemporaryDirectory() as scratch:
            for label, function, number, extra in RUNS:
                if wanted is not None and label.split()[0] not in wanted:
                    continue
                figures = pgbench(
                    url, script(function, number), args.clients, args.seconds, extra, Path(scratch)
                )
                one, five, _ = os.getloadavg()
                print(f"{label:<66} {figures}  {one:.1f} {five:.1f}", flush=True)
    finally:
        asyncio.run(execute(url, TEAR_DOWN))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
