"""A run's results → a version's lines and totals, all in SQL (so totals equal the sum of lines to the fen):
regular lines for a first version; for a later one, the earlier lines carried over plus adjustment lines."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_premium.assessments.models import AssessmentTotal

AMOUNTS = (
    "individual_contribution",
    "assistance_subsidy",
    "resident_pays",
    "central",
    "province",
    "city",
    "district_or_county",
)


async def results_hash(session: AsyncSession, run_id: int) -> tuple[int, str]:
    """An order-independent digest of what a run's results put on lines: the same lines, the same digest."""
    row = (
        await session.execute(
            text(
                """
                SELECT count(*) AS n, coalesce(sum(('x' || substr(md5(
                    id_number || '|' || coalesce(category, '') || '|'
                    || age_group || '|' || region_code || '|' || individual_contribution::text || '|'
                    || assistance_subsidy::text || '|' || resident_pays::text || '|' || central::text || '|'
                    || province::text || '|' || city::text || '|' || district_or_county::text || '|' || citation
                ), 1, 15))::bit(60)::bigint), 0) AS digest
                FROM assessment_results WHERE run_id = :run_id
                """
            ),
            {"run_id": run_id},
        )
    ).one()
    return int(row.n), f"{row.n}:{row.digest}"


async def write_regular_lines(session: AsyncSession, version_id: int, run_id: int) -> None:
    await session.execute(
        text(
            f"""
            INSERT INTO assessment_lines (version_id, id_number, region_code, category, age_group, line_kind,
                adjusts_version, change, {", ".join(AMOUNTS)}, citation)
            SELECT :version_id, id_number, region_code, category, age_group, 'regular', NULL, NULL,
                {", ".join(AMOUNTS)}, citation
            FROM assessment_results WHERE run_id = :run_id ORDER BY id_number
            """
        ),
        {"version_id": version_id, "run_id": run_id},
    )


async def write_adjusted_lines(
    session: AsyncSession,
    *,
    version_id: int,
    run_id: int,
    previous_version_id: int,
    previous_run_id: int,
    previous_version: int,
) -> None:
    """Carry the previous version's lines over unchanged and add adjustment lines for what changed.

    new: +new amounts; exited: -old amounts; changed: a reversal (-old) and a replacement (+new), so
    totals by category, age group and region stay right when a back-dated change moves someone.
    """
    columns = f"version_id, id_number, region_code, category, age_group, line_kind, adjusts_version, change, {', '.join(AMOUNTS)}, citation"
    await session.execute(
        text(
            f"""
            INSERT INTO assessment_lines ({columns})
            SELECT :version_id, id_number, region_code, category, age_group, line_kind, adjusts_version, change,
                {", ".join(AMOUNTS)}, citation
            FROM assessment_lines WHERE version_id = :previous_version_id ORDER BY id
            """
        ),
        {"version_id": version_id, "previous_version_id": previous_version_id},
    )
    positive = ", ".join(f"c.{a}" for a in AMOUNTS)
    negative = ", ".join(f"-p.{a}" for a in AMOUNTS)
    differs = " OR ".join(
        f"c.{c} IS DISTINCT FROM p.{c}" for c in ("category", "age_group", "region_code", *AMOUNTS)
    )
    await session.execute(
        text(
            f"""
            INSERT INTO assessment_lines ({columns})
            SELECT :version_id, id_number, region_code, category, age_group, 'adjustment', :previous_version,
                change, {", ".join(AMOUNTS)}, citation
            FROM (
                SELECT c.id_number, c.region_code, c.category, c.age_group, 'new' AS change, {positive},
                    c.citation, 1 AS step
                FROM assessment_results c
                LEFT JOIN assessment_results p ON p.run_id = :previous_run_id AND p.id_number = c.id_number
                WHERE c.run_id = :run_id AND p.id_number IS NULL
              UNION ALL
                SELECT p.id_number, p.region_code, p.category, p.age_group, 'exited', {negative}, p.citation, 1
                FROM assessment_results p
                LEFT JOIN assessment_results c ON c.run_id = :run_id AND c.id_number = p.id_number
                WHERE p.run_id = :previous_run_id AND c.id_number IS NULL
              UNION ALL
                SELECT p.id_number, p.region_code, p.category, p.age_group, 'reversal', {negative}, p.citation, 1
                FROM assessment_results c
                JOIN assessment_results p ON p.run_id = :previous_run_id AND p.id_number = c.id_number
                WHERE c.run_id = :run_id AND ({differs})
              UNION ALL
                SELECT c.id_number, c.region_code, c.category, c.age_group, 'replacement', {positive}, c.citation, 2
                FROM assessment_results c
                JOIN assessment_results p ON p.run_id = :previous_run_id AND p.id_number = c.id_number
                WHERE c.run_id = :run_id AND ({differs})
            ) AS adjustments
            ORDER BY id_number, step
            """
        ),
        {
            "version_id": version_id,
            "run_id": run_id,
            "previous_run_id": previous_run_id,
            "previous_version": previous_version,
        },
    )


async def write_totals(session: AsyncSession, version_id: int, run_id: int) -> int:
    """Totals from the lines in SQL (so they equal the sum of the lines to the fen); resident counts
    from the version's statement. Returns the line count."""
    sums = ", ".join(f"coalesce(sum({a}), 0)" for a in AMOUNTS)  # an empty version totals 0.00
    await session.execute(
        text(
            f"""
            INSERT INTO assessment_totals (version_id, dimension, key, line_count, residents, {", ".join(AMOUNTS)})
            SELECT :version_id,
                CASE WHEN GROUPING(category) = 0 THEN 'category'
                     WHEN GROUPING(age_group) = 0 THEN 'age_group'
                     WHEN GROUPING(region_code) = 0 THEN 'region' ELSE 'all' END,
                coalesce(category, age_group, region_code, ''),
                count(*), 0, {sums}
            FROM (SELECT coalesce(category, 'none') AS category, age_group, region_code, {", ".join(AMOUNTS)}
                  FROM assessment_lines WHERE version_id = :version_id) AS lines
            GROUP BY GROUPING SETS ((category), (age_group), (region_code), ())
            """
        ),
        {"version_id": version_id},
    )
    await session.execute(
        text(
            """
            UPDATE assessment_totals t SET residents = r.n
            FROM (
                SELECT CASE WHEN GROUPING(category) = 0 THEN 'category'
                            WHEN GROUPING(age_group) = 0 THEN 'age_group'
                            WHEN GROUPING(region_code) = 0 THEN 'region' ELSE 'all' END AS dimension,
                       coalesce(category, age_group, region_code, '') AS key, count(*) AS n
                FROM (SELECT coalesce(category, 'none') AS category, age_group, region_code
                      FROM assessment_results WHERE run_id = :run_id) AS results
                GROUP BY GROUPING SETS ((category), (age_group), (region_code), ())
            ) AS r
            WHERE t.version_id = :version_id AND t.dimension = r.dimension AND t.key = r.key
            """
        ),
        {"version_id": version_id, "run_id": run_id},
    )
    return int(  # the 'all' row already counts the lines (no second scan of them)
        await session.scalar(
            select(AssessmentTotal.line_count).where(
                AssessmentTotal.version_id == version_id, AssessmentTotal.dimension == "all"
            )
        )
        or 0
    )
