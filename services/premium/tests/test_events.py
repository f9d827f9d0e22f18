"""Premium's event (issue 16.4, docs/events.md): each new assessment version is one `assessed` event, written
in the transaction that completes it; a run that changes nothing makes no version and no event."""

from __future__ import annotations

import httpx
import respx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from .helpers import SOCIAL, mock_roster, wait_for_run
from .scenario import ROSTER_T1, ROSTER_T2, T1, T2, T3, F, start


@respx.mock
async def test_each_new_assessment_version_is_one_assessed_event(
    live_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Versions 1 and 2 are two events, in order; a third run over the same roster is `unchanged` and
    emits nothing; no ID number is in them."""
    mock_roster(respx.mock, {T1: ROSTER_T1, T2: ROSTER_T2, T3: ROSTER_T2})
    assessment_id, _run = await start(live_client, "annual", T1, paid=[F["id_number"]])
    for as_of, status in ((T2, "complete"), (T3, "unchanged")):
        rerun = await live_client.post(
            f"/v1/assessments/{assessment_id}/runs",
            json={"as_of": as_of, "paid": [F["id_number"]]},
            headers=SOCIAL,
        )
        assert rerun.status_code == 202, rerun.text
        run = await wait_for_run(live_client, assessment_id, rerun.json()["id"])
        assert run["status"] == status, run
    async with engine.connect() as connection:
        rows = list(
            await connection.execute(
                text("SELECT type, data FROM outbox_events WHERE subject = :subject ORDER BY id"),
                {"subject": f"assessments/{assessment_id}"},
            )
        )
    assert [row.type for row in rows] == ["cn.huimin.premium.assessed.v1"] * 2
    assert [(row.data["version"], row.data["previous_version"]) for row in rows] == [(1, None), (2, 1)]
    assert (rows[0].data["kind"], rows[0].data["year"], rows[0].data["resident_count"]) == ("annual", 2010, 4)
    assert F["id_number"] not in str([row.data for row in rows])
