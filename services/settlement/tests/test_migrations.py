"""The settlement service's migration history is complete and reversible."""

from huimin_settlement.app import MIGRATIONS
from huimin_settlement.models import metadata
from huimin_shared.testing import assert_migrations_round_trip


async def test_migrates_empty_to_head_to_base_to_head_and_matches_the_models() -> None:
    await assert_migrations_round_trip("settlement", MIGRATIONS, metadata)


async def test_ready_answers_200_when_migrations_are_at_head(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
