"""Where the roster import's time goes inside PostgreSQL (issue 13): N synthetic rows staged and applied in
process, exactly as ``POST /v1/imports`` does for a large file (``service.stage_file`` then
``service.run_import``), with the seconds spent in each statement of the apply summed over its chunks.
py-spy shows the service waiting on the database; this shows on what. Prints figures; asserts nothing.

    .venv/bin/python bench/import_statements.py --rows 100000 [--chunk-rows 10000] [--keep]

Server: TEST_DATABASE_URL, else HUIMIN_LOCAL_POSTGRES_URL, else postgresql://postgres@127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from huimin_eligibility import divisions
from huimin_eligibility.app import MIGRATIONS
from huimin_eligibility.common import now
from huimin_eligibility.imports import chunk_sql, repository, service
from huimin_eligibility.imports.parsing import synthetic_csv_lines
from huimin_eligibility.imports.validation import Door
from huimin_shared import db, migrations, postgres
from huimin_shared.synthetic import SyntheticResident, synthetic_residents

SECONDS: defaultdict[str, float] = defaultdict(float)
NAMES = {
    value.strip(): name
    for name, value in vars(chunk_sql).items()
    if name.isupper() and isinstance(value, str) and len(value) > 30
}
TIMED = ("execute", "fetch", "fetchval", "fetchrow")


class TimedConnection:
    """An asyncpg connection whose statements add their seconds to SECONDS under their constant's name."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._raw, name)
        if name not in TIMED:
            return attribute

        async def timed(statement: str, *args: Any) -> Any:
            started = time.perf_counter()
            try:
                return await attribute(statement, *args)
            finally:
                label = NAMES.get(statement.strip(), statement.strip().split("\n")[0][:60])
                SECONDS[label] += time.perf_counter() - started

        return timed


def write_file(path: Path, rows: int) -> int:
    written = 0

    def enough() -> Iterator[SyntheticResident]:
        nonlocal written
        for person in synthetic_residents(rows, year=2010, seed=0):
            if written >= rows:
                return
            written += len(person.certifications)
            yield person

    with path.open("w", encoding="utf-8") as out:
        for chunk in synthetic_csv_lines(enough()):
            out.write(chunk)
    return written


async def main(rows: int, chunk_rows: int, keep: bool) -> None:
    server = os.environ.get("TEST_DATABASE_URL") or os.environ.get(
        "HUIMIN_LOCAL_POSTGRES_URL", postgres.LOCAL_SERVER_URL
    )
    name = f"bench_import_statements_{uuid.uuid4().hex[:6]}"
    url = await postgres.create_database(server, name, drop_first=True)
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
    path = Path(tempfile.mkstemp(suffix=".csv")[1])
    written = write_file(path, rows)
    original: Callable[[repository.ImportRepository], Awaitable[Any]] = repository.ImportRepository._raw

    async def timed_raw(self: repository.ImportRepository) -> Any:
        return TimedConnection(await original(self))

    repository.ImportRepository._raw = timed_raw  # type: ignore[method-assign]
    engine = db.create_engine(url, pool_size=2)
    sessions = db.session_factory(engine)
    try:
        job_id = uuid.uuid4()
        door = Door(("210500",), divisions.today_in_china())
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            with path.open("rb") as binary:
                job = service.new_job(job_id, path.name, "csv", "-", "partial", "bench", now())
                await service.stage_file(session, job, binary, door)
        staged = time.perf_counter() - started
        started = time.perf_counter()
        await service.run_import(sessions, job_id, chunk_rows=chunk_rows)
        applied = time.perf_counter() - started
        load = "/".join(f"{v:.2f}" for v in os.getloadavg())
        print(
            f"{written:,} rows, chunks of {chunk_rows:,}: stage (read, validate, COPY) {staged:.2f} s, "
            f"apply {applied:.2f} s, {written / (staged + applied):,.0f} rows/s; load {load}"
        )
        for label, seconds in sorted(SECONDS.items(), key=lambda item: -item[1]):
            print(f"  {seconds:8.2f} s  {label}")
    finally:
        await engine.dispose()
        path.unlink()
        if not keep:
            await postgres.drop_database(server, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk-rows", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.chunk_rows, args.keep))
