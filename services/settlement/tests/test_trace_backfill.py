"""Migration 0008 (issue 12.5): batches prepared before it get their planned transfers backfilled from
their lines, with the ids and accounts their transfers were written under — a trace and a batch read the
same before and after."""

import asyncio

from sqlalchemy import text

from huimin_settlement.app import MIGRATIONS, create_app
from huimin_settlement.settings import SettlementSettings
from huimin_shared import db, migrations
from huimin_shared.auth import Role
from huimin_shared.testing import api_client, bearer, service_database

from .conftest import ELIGIBILITY_URL, PREMIUM_URL, Ledger, record_own_shares

MAKER = bearer(Role.social_insurance, subject="si-clerk")
CHECKER = bearer(Role.finance, subject="finance-checker")
FINANCE = bearer(Role.finance, subject="finance-clerk")


async def test_the_backfill_gives_old_batches_the_transfers_their_trace_shows(
    premium, make_line, make_id
) -> None:
    """S4: a person traced to the ledger through a batch prepared before migration 0008 finds the same
    transfers (ids, accounts, amounts, line ranges, states) once the table is rebuilt by the migration."""
    people = [make_id("210502", "19800101", 1), make_id("210503", "19700101", 2)]
    premium.publish(
        "OLD",
        [
            make_line(people[0], "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00")),
            make_line(people[1], "210503", "marginal", "adult", ("0.00", "0.00", "61.79", "26.47")),
        ],
    )
    async with service_database("settlement", MIGRATIONS) as url:
        settings = SettlementSettings(
            database_url=url, environment="test", premium_url=PREMIUM_URL, eligibility_url=ELIGIBILITY_URL
        )
        async with api_client(create_app(settings)) as client:
            ledger = Ledger(client)
            await ledger.open()
            await ledger.fund("medical_assistance_fund:210500", "1000.00")
            body = {"city": "210500", "year": 2010, "assessment_id": "OLD", "assessment_version": 1}
            executed = (
                await client.post("/v1/batches", json={**body, "kind": "dibao_collective"}, headers=MAKER)
            ).json()
            await client.post(f"/v1/batches/{executed['id']}/approve", json={}, headers=CHECKER)
            await client.post(
                f"/v1/batches/{executed['id']}/execute", json={"value_date": "2010-01-14"}, headers=FINANCE
            )
            await record_own_shares(client, premium)  # S3: the marginal person has paid their own share
            prepared = (
                await client.post(
                    "/v1/batches",
                    json={**body, "kind": "marginal_instalment", "instalment": 1},
                    headers=MAKER,
                )
            ).json()
            before = [(await client.get(f"/v1/traces/{p}?year=2010", headers=FINANCE)).json() for p in people]
            batches = [
                (await client.get(f"/v1/batches/{b['id']}", headers=FINANCE)).json()
                for b in (executed, prepared)
            ]
            assert [len(t["lines"][0]["transfers"]) for t in before] == [2, 2]
        await asyncio.to_thread(migrations.downgrade, MIGRATIONS, url, "0007_events")
        await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
        engine = db.create_engine(url, pool_size=1)
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM batch_transfers"))).scalar_one() == 4
        await engine.dispose()
        async with api_client(create_app(settings)) as client:
            after = [(await client.get(f"/v1/traces/{p}?year=2010", headers=FINANCE)).json() for p in people]
            again = [
                (await client.get(f"/v1/batches/{b['id']}", headers=FINANCE)).json()
                for b in (executed, prepared)
            ]
    assert after == before
    assert again == batches
