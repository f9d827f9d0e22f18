"""The settlement service's migration history is complete and reversible."""

import asyncio

from sqlalchemy import text

from huimin_policy.enums import NO_CATEGORY
from huimin_settlement.app import MIGRATIONS
from huimin_settlement.models import metadata
from huimin_shared import db, migrations
from huimin_shared.testing import assert_migrations_round_trip, empty_database


async def test_migrates_empty_to_head_to_base_to_head_and_matches_the_models() -> None:
    await assert_migrations_round_trip("settlement", MIGRATIONS, metadata)


async def test_ready_answers_200_when_migrations_are_at_head(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


async def test_a_group_stored_as_none_with_a_capital_is_spelled_none_after_the_migration() -> None:
    """Issue 12: one spelling of "no category" — lines premium sends without one were stored here as
    Python's str(None); migration 0006 renames them `none` (huimin_policy.enums.NO_CATEGORY)."""
    async with empty_database("settlement") as url:
        await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url, "0005_reads")
        engine = db.create_engine(url, pool_size=1)
        try:
            async with engine.begin() as connection:
                snapshot = await connection.scalar(
                    text(
                        "INSERT INTO assessment_snapshots (assessment_id, version, city_code, region, year, kind, "
                        "line_count, total) VALUES ('a', 1, '210500', '210500', 2010, 'annual', 2, 0) RETURNING id"
                    )
                )
                for category in ("None", "dibao"):
                    await connection.execute(
                        text(
                            "INSERT INTO assessment_groups (snapshot_id, region_code, category, age_group, "
                            "line_kind, line_count, amount, central, province, city, district_or_county) "
                            "VALUES (:s, '210502', :c, 'adult', 'regular', 1, 0, 0, 0, 0, 0)"
                        ),
                        {"s": snapshot, "c": category},
                    )
            await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
            async with engine.connect() as connection:
                stored = await connection.scalars(text("SELECT category FROM assessment_groups ORDER BY 1"))
                assert list(stored) == ["dibao", NO_CATEGORY]
        finally:
            await engine.dispose()
