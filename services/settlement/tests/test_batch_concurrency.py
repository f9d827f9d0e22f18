"""Batch execution under concurrency and crashes, on a database with real commits (POLICY.md S4)."""

import asyncio

import pytest
from sqlalchemy import text

from huimin_settlement.app import create_app
from huimin_settlement.batches import service as batch_service
from huimin_settlement.settings import SettlementSettings
from huimin_shared.auth import Role
from huimin_shared.testing import api_client, bearer

MAKER = bearer(Role.social_insurance, subject="si-clerk")
CHECKER = bearer(Role.finance, subject="finance-checker")
FINANCE = bearer(Role.finance, subject="finance-clerk")


@pytest.fixture
async def approved_batch(live_client, live_city, ledger_class, premium, make_line, make_id):
    """A live city whose fund holds 1000.00 and an approved dibao batch of 3 × 180.00 = 540.00 (B§四(一))."""
    ledger = ledger_class(live_client)
    district = live_city[:4] + "02"
    await ledger.open(live_city, [district])
    await ledger.fund(f"medical_assistance_fund:{live_city}", "1000.00", district=district)
    assessment = f"A-{live_city}"
    premium.publish(
        assessment,
        [
            make_line(
                make_id("210502", "19800101", n),
                district,
                "dibao",
                "adult",
                ("0.00", "0.00", "126.00", "54.00"),
            )
            for n in range(1, 4)
        ],
        region=live_city,
    )
    body = {
        "city": live_city,
        "year": 2010,
        "kind": "dibao_collective",
        "assessment_id": assessment,
        "assessment_version": 1,
    }
    batch = (await live_client.post("/v1/batches", json=body, headers=MAKER)).json()
    approved = await live_client.post(f"/v1/batches/{batch['id']}/approve", json={}, headers=CHECKER)
    assert approved.status_code == 200, approved.text
    return ledger, live_city, batch


@pytest.mark.parametrize("live_client", ["one process", "two replicas"], indirect=True)
async def test_executing_one_batch_four_times_at_once_moves_the_money_once(approved_batch) -> None:
    """S4: concurrent executions wait on the batch row and find the work done; 540.00 moves once."""
    ledger, city, batch = approved_batch
    results = await asyncio.gather(
        *(
            ledger.client.post(
                f"/v1/batches/{batch['id']}/execute", json={"value_date": "2010-01-14"}, headers=FINANCE
            )
            for _ in range(4)
        )
    )
    assert [r.status_code for r in results] == [200] * 4
    assert {r.json()["state"] for r in results} == {"executed"}
    assert (await ledger.balance(f"resident_insurance_fund:{city}"))["posted"] == "540.00"
    assert (await ledger.balance(f"medical_assistance_fund:{city}"))["posted"] == "460.00"
    history = results[0].json()["history"]
    assert [h["to_state"] for h in history].count("executed") == 1


async def test_a_crash_before_posting_rolls_back_and_the_rerun_posts_the_same_totals(
    approved_batch, monkeypatch, live_engine
) -> None:
    """S4: the process dies between reserving and posting; nothing half-done remains; the rerun pays 540.00."""
    ledger, city, batch = approved_batch

    async def crash(session, batch_id, actor):
        raise RuntimeError("power cut between reserve and post")

    monkeypatch.setattr(batch_service, "post_reserved", crash)
    crashed = await ledger.client.post(
        f"/v1/batches/{batch['id']}/execute", json={"value_date": "2010-01-14"}, headers=FINANCE
    )
    assert crashed.status_code == 500
    async with live_engine.connect() as connection:
        state = await connection.scalar(text("SELECT state FROM batches WHERE id = :b"), {"b": batch["id"]})
        count = await connection.scalar(
            text("SELECT count(*) FROM transfers WHERE batch_id = :b"), {"b": batch["id"]}
        )
    assert (state, count) == ("approved", 0)
    monkeypatch.undo()
    rerun = await ledger.client.post(
        f"/v1/batches/{batch['id']}/execute", json={"value_date": "2010-01-14"}, headers=FINANCE
    )
    assert rerun.json()["state"] == "executed"
    assert (await ledger.balance(f"resident_insurance_fund:{city}"))["posted"] == "540.00"


async def test_a_restart_after_reserving_resumes_posting_with_the_same_transfers(
    approved_batch, live_database_url
) -> None:
    """S4: reserved (committed) then the service restarts; executing again posts the same pending transfers."""
    ledger, city, batch = approved_batch
    reserved = await ledger.client.post(
        f"/v1/batches/{batch['id']}/execute",
        json={"value_date": "2010-01-14", "settle": "bank"},
        headers=FINANCE,
    )
    assert reserved.json()["state"] == "reserved"
    assert (await ledger.balance(f"medical_assistance_fund:{city}"))["available"] == "460.00"
    ids = sorted(t["id"] for t in reserved.json()["transfers"])
    settings = SettlementSettings(database_url=live_database_url, environment="test")
    async with api_client(create_app(settings)) as restarted:  # a new process, same database
        resumed = await restarted.post(
            f"/v1/batches/{batch['id']}/execute", json={"value_date": "2010-01-14"}, headers=FINANCE
        )
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["state"] == "executed"
    assert sorted(t["id"] for t in resumed.json()["transfers"]) == ids
    assert {t["state"] for t in resumed.json()["transfers"]} == {"posted"}
    assert (await ledger.balance(f"resident_insurance_fund:{city}"))["posted"] == "540.00"
    assert (await ledger.balance(f"medical_assistance_fund:{city}"))["posted"] == "460.00"
