"""Concurrency on a database with real commits (POLICY.md S4): parallel requests cannot overdraw a
guarded account, opposite transfers cannot deadlock, a key in flight is refused, a duplicate has one effect."""

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import text

from huimin_settlement.app import create_app
from huimin_settlement.idempotency.service import lock_id
from huimin_settlement.ledger.expiry import PENDING_EXPIRY, sweep_round
from huimin_settlement.settings import SettlementSettings
from huimin_shared import jobs
from huimin_shared.auth import Role
from huimin_shared.db import session_factory
from huimin_shared.readiness import ready_timeout_seconds
from huimin_shared.testing import api_client, bearer

FINANCE = bearer(Role.finance, subject="finance-clerk")


@pytest.mark.parametrize("live_client", ["one process", "two replicas"], indirect=True)
async def test_parallel_payments_never_overdraw_a_guarded_account(
    live_client, live_city, ledger_class
) -> None:
    """S4: ten parallel 30.00 payments from a fund holding 100.00: three pass, seven are refused, none overdraws."""
    ledger = ledger_class(live_client)
    district = live_city[:4] + "02"
    await ledger.open(live_city, [district])
    maf, rif = f"medical_assistance_fund:{live_city}", f"resident_insurance_fund:{live_city}"
    await ledger.fund(maf, "100.00", district=district)
    results = await asyncio.gather(*(ledger.transfer(maf, rif, "30.00", expect=None) for _ in range(10)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 3 + [409] * 7
    assert await ledger.balance(maf) == {
        "posted": "10.00",
        "pending_debits": "0.00",
        "pending_credits": "0.00",
        "available": "10.00",
    }
    assert (await ledger.balance(rif))["posted"] == "90.00"


@pytest.mark.parametrize("live_client", ["one process", "two replicas"], indirect=True)
async def test_opposite_transfers_between_two_accounts_do_not_deadlock(
    live_client, live_city, ledger_class
) -> None:
    """S4: accounts are locked in id order, so A→B and B→A in parallel all complete."""
    ledger = ledger_class(live_client)
    district = live_city[:4] + "02"
    await ledger.open(live_city, [district])
    maf, civil = f"medical_assistance_fund:{live_city}", f"civil_affairs:{district}"
    await ledger.fund(maf, "500.00", district=district)
    await ledger.fund(civil, "500.00", district=district)

    async def both_ways(n: int):
        first, second = (maf, civil) if n % 2 else (civil, maf)
        body = {
            "transfers": [
                {
                    "debit_account_id": ledger.accounts[first],
                    "credit_account_id": ledger.accounts[second],
                    "amount": "7.00",
                },
                {
                    "debit_account_id": ledger.accounts[second],
                    "credit_account_id": ledger.accounts[first],
                    "amount": "3.00",
                },
            ]
        }
        return await ledger.client.post("/v1/transfers", json=body, headers=ledger.key())

    results = await asyncio.wait_for(
        asyncio.gather(*(both_ways(n) for n in range(20))), timeout=ready_timeout_seconds()
    )
    assert [r.status_code for r in results] == [201] * 20
    # ten requests move a net 4.00 each way: the balances end where they started
    assert (await ledger.balance(maf))["posted"] == "500.00"
    assert (await ledger.balance(civil))["posted"] == "500.00"


@pytest.mark.parametrize("live_client", ["one process", "two replicas"], indirect=True)
async def test_parallel_duplicates_of_one_key_have_one_effect(live_client, live_city, ledger_class) -> None:
    """S4: five copies of one request at once: one transfer, every answer the same or a 409 in flight."""
    ledger = ledger_class(live_client)
    district = live_city[:4] + "02"
    await ledger.open(live_city, [district])
    maf, rif = f"medical_assistance_fund:{live_city}", f"resident_insurance_fund:{live_city}"
    await ledger.fund(maf, "100.00", district=district)
    headers = ledger.key()
    results = await asyncio.gather(
        *(ledger.transfer(maf, rif, "40.00", headers=headers, expect=None) for _ in range(5))
    )
    created = [r for r in results if r.status_code == 201]
    in_flight = [r for r in results if r.status_code == 409]
    assert len(created) + len(in_flight) == 5
    assert len({r.json()["transfers"][0]["id"] for r in created}) == 1
    assert all(r.json()["type"].endswith("/idempotency-key-in-flight") for r in in_flight)
    assert (await ledger.balance(maf))["posted"] == "60.00"


@pytest.mark.parametrize("live_client", ["one process", "two replicas"], indirect=True)
async def test_a_key_in_flight_gets_409_and_the_retry_after_it_ends_succeeds(
    live_client, live_city, ledger_class, live_engine
) -> None:
    """S4: while another request holds the key, a duplicate is refused instead of acting twice."""
    ledger = ledger_class(live_client)
    district = live_city[:4] + "02"
    await ledger.open(live_city, [district])
    maf, rif = f"medical_assistance_fund:{live_city}", f"resident_insurance_fund:{live_city}"
    await ledger.fund(maf, "100.00", district=district)
    headers = ledger.key()
    async with live_engine.connect() as other:
        await other.begin()
        await other.execute(
            text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id(headers["Idempotency-Key"])}
        )
        refused = await ledger.transfer(maf, rif, "10.00", headers=headers, expect=409)
        assert refused.json()["type"].endswith("/idempotency-key-in-flight")
        await other.rollback()
    await ledger.transfer(maf, rif, "10.00", headers=headers, expect=201)
    assert (await ledger.balance(maf))["posted"] == "90.00"


async def test_retry_after_a_client_time_out_replays_the_committed_answer(
    live_client, live_city, ledger_class, live_engine
) -> None:
    """S4: the first attempt committed but the client never saw it; the retry gets it, money moves once."""
    ledger = ledger_class(live_client)
    district = live_city[:4] + "02"
    await ledger.open(live_city, [district])
    maf, rif = f"medical_assistance_fund:{live_city}", f"resident_insurance_fund:{live_city}"
    await ledger.fund(maf, "100.00", district=district)
    headers = ledger.key()
    lost = asyncio.ensure_future(ledger.transfer(maf, rif, "55.00", headers=headers, expect=None))
    first = await lost  # the answer a timed-out client would have dropped
    retry = await ledger.transfer(maf, rif, "55.00", headers=headers)
    assert retry.json() == first.json()
    async with live_engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM transfers WHERE debit_account_id = :a"), {"a": ledger.accounts[maf]}
        )
    assert count == 1
    assert Decimal((await ledger.balance(maf))["posted"]) == Decimal("45.00")


async def test_the_background_sweep_voids_a_pending_transfer_at_its_deadline(
    live_database_url, live_city, ledger_class
) -> None:
    """Two-phase: a pending transfer neither posted nor voided by its deadline is voided by the service itself."""
    settings = SettlementSettings(
        database_url=live_database_url, environment="test", pending_sweep_seconds=0.2
    )
    async with api_client(create_app(settings)) as client:
        ledger = ledger_class(client)
        district = live_city[:4] + "02"
        await ledger.open(live_city, [district])
        maf, rif = f"medical_assistance_fund:{live_city}", f"resident_insurance_fund:{live_city}"
        await ledger.fund(maf, "100.00", district=district)
        pending = (await ledger.transfer(maf, rif, "60.00", pending=True, timeout_seconds=1)).json()[
            "transfers"
        ][0]
        assert (await ledger.balance(maf))["available"] == "40.00"
        deadline = asyncio.get_running_loop().time() + ready_timeout_seconds()
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
            detail = (await client.get(f"/v1/transfers/{pending['id']}", headers=FINANCE)).json()
            if detail["state"] == "voided":
                break
        assert detail["state"] == "voided"
        assert detail["history"][-1]["actor"] == "system:pending-expiry"
        assert (await ledger.balance(maf))["available"] == "100.00"


async def test_a_sweep_round_run_twice_voids_each_transfer_once(
    live_database_url, live_city, ledger_class, live_engine
) -> None:
    """Two-phase / S4: should two replicas both run a sweep (one took over a round whose lease lapsed while
    the first still ran), each overdue transfer is voided once and its 60.00 released once — voiding is a
    compare-and-set on the transfer's state — and the two rounds count one void between them."""
    settings = SettlementSettings(database_url=live_database_url, environment="test", pending_sweep_seconds=0)
    async with api_client(create_app(settings)) as client:
        ledger = ledger_class(client)
        district = live_city[:4] + "02"
        await ledger.open(live_city, [district])
        maf, rif = f"medical_assistance_fund:{live_city}", f"resident_insurance_fund:{live_city}"
        await ledger.fund(maf, "100.00", district=district)
        pending = (await ledger.transfer(maf, rif, "60.00", pending=True, timeout_seconds=1)).json()[
            "transfers"
        ][0]
        async with live_engine.begin() as connection:  # past its deadline, without waiting for it
            await connection.execute(
                text("UPDATE transfers SET timeout_at = now() - interval '1 second' WHERE id = :id"),
                {"id": pending["id"]},
            )
        sessions = session_factory(live_engine)
        contexts = []
        for owner in ("replica-1", "replica-2"):
            async with sessions() as session, session.begin():
                job_id = await jobs.enqueue(session, kind=PENDING_EXPIRY, key=f"{live_city}-{owner}")
                row = await session.execute(
                    text(
                        "UPDATE jobs SET state = 'running', lease_owner = :owner WHERE id = :id RETURNING *"
                    ),
                    {"owner": owner, "id": job_id},
                )
                contexts.append(jobs.JobContext(job=jobs.Job.of(row.one()), owner=owner, sessions=sessions))
        await asyncio.gather(*(sweep_round(context) for context in contexts))

        detail = (await client.get(f"/v1/transfers/{pending['id']}", headers=FINANCE)).json()
        assert detail["state"] == "voided"
        assert [event["to_state"] for event in detail["history"]].count("voided") == 1
        assert (await ledger.balance(maf))["available"] == "100.00"
        async with live_engine.connect() as connection:
            rounds = (
                await connection.execute(
                    text("SELECT state, progress FROM jobs WHERE key LIKE :city"), {"city": f"{live_city}-%"}
                )
            ).all()
        assert sorted(state for state, _ in rounds) == ["done", "done"]
        assert sum(progress["voided"] for _, progress in rounds) == 1


async def test_two_replicas_share_the_sweep_rounds(live_database_url, live_city, ledger_class) -> None:
    """Two-phase: with two replicas of settlement on one database, a pending transfer past its deadline is
    voided once, each sweep round exists once and is run once (never twice on one attempt), and the rounds
    are readable with their progress at GET /v1/jobs."""
    settings = SettlementSettings(
        database_url=live_database_url,
        environment="test",
        pending_sweep_seconds=0.3,
        jobs_poll_seconds=0.1,
        jobs_lease_seconds=10,
        jobs_heartbeat_seconds=1,
    )
    async with api_client(create_app(settings)) as one, api_client(create_app(settings)) as two:
        ledger = ledger_class(one)
        district = live_city[:4] + "02"
        await ledger.open(live_city, [district])
        maf, rif = f"medical_assistance_fund:{live_city}", f"resident_insurance_fund:{live_city}"
        await ledger.fund(maf, "100.00", district=district)
        pending = (await ledger.transfer(maf, rif, "60.00", pending=True, timeout_seconds=1)).json()[
            "transfers"
        ][0]
        for _ in range(300):
            await asyncio.sleep(0.1)
            detail = (await two.get(f"/v1/transfers/{pending['id']}", headers=FINANCE)).json()
            if detail["state"] == "voided":
                break
        assert [event["to_state"] for event in detail["history"]].count("voided") == 1
        assert (await ledger.balance(maf))["available"] == "100.00"
        listed = [  # the rounds (keyed by their number), not the hand-made jobs of the test above
            job
            for job in (await two.get("/v1/jobs?state=done", headers=FINANCE)).json()["items"]
            if job["key"].isdigit()
        ]
        assert listed
        assert all(job["kind"] == PENDING_EXPIRY and job["attempts"] == 1 for job in listed)
        assert len({job["key"] for job in listed}) == len(listed)
        assert sum(job["progress"]["voided"] for job in listed) >= 1
