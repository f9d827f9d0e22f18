"""A run's roster → its results, in PostgreSQL: the roster staged by COPY, every resident joined to the
results of their cell (issue 13). The rules are applied in Python once per distinct input (``cells.py``).

1. While the run reads, each chunk of NDJSON lines is COPY'd as it came into ``assessment_roster`` (no
   parsing in Python) and commits with the job's checkpoint.
2. When the roster has been read, one transaction parses the lines once (``jsonb``) into a temporary table,
   asks for the distinct region codes, (certified at year start, on the paid list) pairs, birth dates and
   cells, has ``cells.py`` apply the rules to each, and writes the results with one ``INSERT … SELECT``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_premium import rules
from huimin_premium.assessments import cells
from huimin_premium.assessments.models import AssessmentResult, AssessmentRun, roster_lines
from huimin_shared import bulk
from huimin_shared.idnumber import mask

log = structlog.get_logger(__name__)


class RosterOutOfRegion(RuntimeError):
    """Eligibility sent a roster row outside the assessment's region: the run must not pay for it."""


class StagedRosterLost(RuntimeError):
    """The staged roster does not hold the rows the run's checkpoints counted (PostgreSQL restarted after a
    crash empties an UNLOGGED table): assessing what is left would leave people out, so the run fails."""


# E2 (rules.categories_on): the categories held on a day are the known ones whose certification covers it,
# valid_from <= day <= valid_to (or open). The calculator is given those held on the day cover starts
# (1 January, or the day a new entrant joined); someone holding none then is assessed in every known
# category they are certified in. tests/test_cells.py checks this expression against rules.categories_on.
# $1 run id (its staged lines and its paid list, assessment_paid), $2 the known categories (text[]).
PARSE = """
INSERT INTO pg_temp.roster (id_number, birth_date, region_code, at_year_start, on_paid_list, held)
SELECT r.id_number, r.birth_date, r.region_code, r.certified_at_year_start,
       r.id_number IN (SELECT p.id_number FROM assessment_paid AS p WHERE p.run_id = $1),  -- hashed once
       coalesce(
           nullif(ARRAY(SELECT DISTINCT c->>'category' COLLATE "C" AS category
                        FROM jsonb_array_elements(r.categories) AS c
                        WHERE c->>'category' = ANY ($2::text[])
                          AND (c->>'valid_from')::date <= r.first_eligible_on
                          AND (c->>'valid_to' IS NULL OR r.first_eligible_on <= (c->>'valid_to')::date)
                        ORDER BY category), '{}'),
           ARRAY(SELECT DISTINCT c->>'category' COLLATE "C" AS category
                 FROM jsonb_array_elements(r.categories) AS c
                 WHERE c->>'category' = ANY ($2::text[])
                 ORDER BY category))
FROM assessment_roster AS staged,
     -- each line parsed once (``line::jsonb->>…`` per field would parse it once per field)
     jsonb_to_record(staged.line::jsonb) AS r (id_number text, birth_date date, region_code text,
         certified_at_year_start boolean, first_eligible_on date, categories jsonb)
WHERE staged.run_id = $1
"""

ROSTER_TABLE = """
CREATE TEMPORARY TABLE roster (
    id_number text NOT NULL, birth_date date NOT NULL, region_code text NOT NULL,
    at_year_start boolean NOT NULL, on_paid_list boolean NOT NULL, held text[] NOT NULL
) ON COMMIT DROP
"""

# The residents a kind covers, each with the age group of their birth date: $1 birth dates and $2 their age
# groups (cells.age_groups), $3/$4 the (at year start, on paid list) pairs ``cells.selected`` keeps.
COVERED = """
FROM pg_temp.roster AS r
JOIN unnest($1::date[], $2::text[]) AS ages (birth_date, age_group) USING (birth_date)
JOIN unnest($3::boolean[], $4::boolean[]) AS chosen (at_year_start, on_paid_list)
    USING (at_year_start, on_paid_list)
"""

CELLS = f"""
SELECT ages.age_group, r.region_code, r.held, min(r.birth_date) AS born
{COVERED}
GROUP BY ages.age_group, r.region_code, r.held
"""

# $5 run id; $6… one array per field of cells.CellResult, element i being cell i's; a resident finds their
# cell by one key (cells.Cell.key: age group, region code and categories held), after their age group.
RESULTS = f"""
INSERT INTO assessment_results (run_id, id_number, birth_date, region_code, categories, category, age_group,
    individual_contribution, assistance_subsidy, resident_pays, central, province, city, district_or_county,
    citation)
SELECT $5, r.id_number, r.birth_date, r.region_code, r.held, o.category, ages.age_group,
    o.individual_contribution, o.assistance_subsidy, o.resident_pays, o.central, o.province, o.city,
    o.district_or_county, o.citation
{COVERED}
JOIN unnest($6::text[], $7::text[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[],
            $12::numeric[], $13::numeric[], $14::numeric[], $15::text[])
    AS o (cell, category, individual_contribution, assistance_subsidy, resident_pays, central, province, city,
          district_or_county, citation)
    ON o.cell = ages.age_group || '|' || r.region_code || '|' || array_to_string(r.held, ' ')
"""


async def stage(session: AsyncSession, run_id: int, lines: Sequence[bytes]) -> None:
    """COPY a chunk of the roster's NDJSON lines as they came, inside the session's transaction (so the
    chunk commits with its checkpoint, or not at all)."""
    await bulk.copy_records(
        session, roster_lines.name, [(run_id, line.decode()) for line in lines], ("run_id", "line")
    )


async def clear(session: AsyncSession, run_id: int) -> None:
    """A run's staged roster and results gone (a first attempt starts clean; a failed run counts nothing)."""
    await session.execute(delete(roster_lines).where(roster_lines.c.run_id == run_id))
    await session.execute(delete(AssessmentResult).where(AssessmentResult.run_id == run_id))


async def unstage(session: AsyncSession, run_id: int) -> None:
    await session.execute(delete(roster_lines).where(roster_lines.c.run_id == run_id))


async def record_progress(session: AsyncSession, run_id: int, *, rows_read: int, now: datetime) -> None:
    await session.execute(
        update(AssessmentRun).where(AssessmentRun.id == run_id).values(rows_read=rows_read, progress_at=now)
    )


async def assess(
    session: AsyncSession,
    run_id: int,
    *,
    kind: str,
    region: str,
    params: rules.YearParameters,
    rows_read: int,
) -> int:
    """The run's results from its staged roster; returns how many residents were assessed. Raises
    RosterOutOfRegion (a row outside ``region``) or StagedRosterLost (fewer or more rows than read)."""
    started = time.perf_counter()
    raw = await bulk.driver_connection(session)
    await raw.execute(ROSTER_TABLE)
    await raw.execute(PARSE, run_id, list(cells.KNOWN_CATEGORIES))
    await raw.execute("ANALYZE pg_temp.roster")  # sizes for the joins below (a temporary table has none)
    parsed = time.perf_counter()
    staged = await raw.fetchval("SELECT count(*) FROM pg_temp.roster")
    if staged != rows_read:
        raise StagedRosterLost(
            f"the staged roster holds {staged} rows where the run read {rows_read}: run it again"
        )
    codes = [row[0] for row in await raw.fetch("SELECT DISTINCT region_code FROM pg_temp.roster")]
    if wrong := cells.outside(region, codes):
        example = await raw.fetchval(
            "SELECT min(id_number) FROM pg_temp.roster WHERE region_code = $1", wrong[0]
        )
        raise RosterOutOfRegion(
            f"eligibility's roster for {region} sent a resident of {wrong[0]} ({mask(example)}), outside the "
            "assessment's region: the run is failed and none of it counts"
        )
    born = [row[0] for row in await raw.fetch("SELECT DISTINCT birth_date FROM pg_temp.roster")]
    groups = cells.age_groups(born, params.year)
    pairs = cells.selections(kind)
    covered = (
        list(groups),
        list(groups.values()),
        [start for start, _paid in pairs],
        [paid for _start, paid in pairs],
    )
    results = [
        cells.result(cells.Cell(row[0], row[1], tuple(row[2]), row[3]), params)
        for row in await raw.fetch(CELLS, *covered)
    ]
    computed = time.perf_counter()
    status = await raw.execute(
        RESULTS,
        *covered,
        run_id,
        [r.cell.key for r in results],
        [r.category for r in results],
        [r.individual_contribution for r in results],
        [r.assistance_subsidy for r in results],
        [r.resident_pays for r in results],
        [r.central for r in results],
        [r.province for r in results],
        [r.city for r in results],
        [r.district_or_county for r in results],
        [r.citation for r in results],
    )
    await raw.execute("DROP TABLE pg_temp.roster")
    assessed = int(status.split()[-1])
    log.info(
        "assessment_results",
        run_id=run_id,
        staged=staged,
        assessed=assessed,
        cells=len(results),
        birth_dates=len(groups),
        parse_seconds=round(parsed - started, 2),
        cells_seconds=round(computed - parsed, 2),
        join_seconds=round(time.perf_counter() - computed, 2),
    )
    return assessed
