"""The eligibility service's migration history is complete and reversible."""

import asyncio

from sqlalchemy import text

from huimin_eligibility.app import MIGRATIONS
from huimin_eligibility.models import metadata
from huimin_shared import db, migrations
from huimin_shared.testing import assert_migrations_round_trip, empty_database


async def test_migrates_empty_to_head_to_base_to_head_and_matches_the_models() -> None:
    await assert_migrations_round_trip("eligibility", MIGRATIONS, metadata)


async def test_ready_answers_200_when_migrations_are_at_head(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


async def test_0008_gives_approved_applications_their_certifications_evidence_and_leaves_others_null() -> (
    None
):
    """Issue 17: applications submitted before the evidence reference was asked for — an approved one takes
    the 证明文号 its certification recorded; one still waiting shows none (its reviewer must record one)."""
    async with empty_database("eligibility") as url:
        await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url, "0007_events")
        engine = db.create_engine(url, pool_size=1)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO residents (id_number, birth_date, sex, registered_at, registered_by) "
                        "VALUES ('210502198001011234', '1980-01-01', 'male', now(), 't')"
                    )
                )
                await connection.execute(
                    text(
                        "INSERT INTO certifications (id, lineage, id_number, category, valid_from, authority, "
                        "evidence_ref, change, recorded_at, recorded_by) VALUES (7, 7, '210502198001011234', "
                        "'dibao', '2010-01-01', '平山区民政局', '平民低〔2010〕7号', 'certified', now(), 't')"
                    )
                )
                for application_id, status, certification in (
                    ("00000000-0000-0000-0000-000000000001", "approved", 7),
                    ("00000000-0000-0000-0000-000000000002", "submitted", None),
                ):
                    await connection.execute(
                        text(
                            "INSERT INTO applications (id, id_number, name, region_code, community, household, "
                            "household_size, category, requested_from, reason, status, submitted_by, submitted_at, "
                            "certification_id) VALUES (:id, '210502198001011234', 'n', '210502', 'c', 'h', 1, "
                            "'dibao', '2010-01-01', 'r', :status, 'o', now(), :certification)"
                        ),
                        {"id": application_id, "status": status, "certification": certification},
                    )
            await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
            async with engine.connect() as connection:
                rows = (await connection.execute(text("SELECT status, evidence_ref FROM applications"))).all()
            assert sorted(rows) == [("approved", "平民低〔2010〕7号"), ("submitted", None)]
        finally:
            await engine.dispose()
