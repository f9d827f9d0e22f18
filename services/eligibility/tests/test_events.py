"""Events for the other systems (issue 16.4, docs/events.md), through eligibility's public API on a
database of their own (delivery commits): written in the change's transaction, signed, delivered in order
per subject, retried, dead-lettered after the limit and replayed from an offset."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from huimin_eligibility.app import MIGRATIONS, create_app
from huimin_eligibility.imports.parsing import CSV_COLUMNS
from huimin_eligibility.settings import EligibilitySettings
from huimin_shared.db import create_engine
from huimin_shared.events import CONTENT_TYPE, SIGNATURE_HEADER, emit, verify
from huimin_shared.events.testing import Receiver, webhook_receiver
from huimin_shared.readiness import ready_timeout_seconds
from huimin_shared.testing import api_client, bearer, rolled_back_session, service_database

from .eligibility_helpers import CIVIL, certify, id_number, register

ADMIN = bearer("admin", subject="integration-admin")
CERTIFIED = "cn.huimin.eligibility.certified.v1"
CORRECTED = "cn.huimin.eligibility.corrected.v1"
EXITED = "cn.huimin.eligibility.exited.v1"
ATTEMPTS = 3


@pytest.fixture(scope="module")
async def events_database() -> AsyncIterator[str]:
    async with service_database("eligibility_events", MIGRATIONS) as url:
        yield url


@pytest.fixture
async def engine(events_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(events_database, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
async def client(events_database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its job runner delivering every 0.1 s, no wait between attempts, 3 attempts."""
    settings = EligibilitySettings(
        database_url=events_database,
        environment="test",
        jobs_poll_seconds=0.1,
        events_poll_seconds=0.1,
        events_backoff_initial_seconds=0,
        events_max_attempts=ATTEMPTS,
    )
    async with api_client(create_app(settings)) as client:
        yield client
        # A test's webhooks go with its receiver: the next test's deliveries are its own.
        for item in (await client.get("/v1/subscriptions", headers=ADMIN)).json()["items"]:
            await client.delete(f"/v1/subscriptions/{item['id']}", headers=ADMIN)


async def until(read: Callable[[], Any], what: str) -> Any:
    """Poll ``read`` until it returns something truthy; bounded by the ready timeout, never by timing."""
    deadline = asyncio.get_running_loop().time() + ready_timeout_seconds()
    while True:
        value = read()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.05)


async def subscribe(client: httpx.AsyncClient, url: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/v1/subscriptions", json={"url": url, **extra}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def outbox(engine: AsyncEngine, subject: str) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT type FROM outbox_events WHERE subject = :subject ORDER BY id"), {"subject": subject}
        )
        return [row.type for row in rows]


async def test_subscriptions_are_for_a_city_wide_admin_and_refuse_bad_input(
    client: httpx.AsyncClient,
) -> None:
    """Subscriptions are managed by the admin role only, city-wide; a bad URL or type is a 422 naming the
    field; the secret is returned once, at creation, and never listed."""
    body = {"url": "https://si.example.gov.cn/hook"}
    assert (await client.post("/v1/subscriptions", json=body, headers=CIVIL)).status_code == 403
    regional = bearer("admin", subject="a", region="210502")
    assert (await client.post("/v1/subscriptions", json=body, headers=regional)).status_code == 403
    bad_url = await client.post("/v1/subscriptions", json={"url": "ftp://x/y"}, headers=ADMIN)
    assert bad_url.status_code == 422
    assert bad_url.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in bad_url.json()["errors"]] == ["body.url"]
    bad_type = await client.post(
        "/v1/subscriptions", json={**body, "types": [CERTIFIED, "cn.huimin.x.v1"]}, headers=ADMIN
    )
    assert [e["field"] for e in bad_type.json()["errors"]] == ["body.types[1]"]
    created = await subscribe(client, body["url"], secret="s" * 40)
    assert created["secret"] == "s" * 40
    listed = (await client.get("/v1/subscriptions", headers=ADMIN)).json()["items"]
    assert "s" * 40 not in str(listed)
    assert all("secret" not in item for item in listed)
    past = await client.post(
        f"/v1/subscriptions/{created['id']}/replay", params={"from": 10**9}, headers=ADMIN
    )
    assert [e["field"] for e in past.json()["errors"]] == ["query.from"]
    assert (await client.delete(f"/v1/subscriptions/{created['id']}", headers=ADMIN)).status_code == 204
    assert (await client.get(f"/v1/subscriptions/{created['id']}", headers=ADMIN)).status_code == 404


async def test_an_event_is_written_in_the_transaction_of_its_change(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Outbox: a certification writes its event; a refused one (overlap, 409) writes none; an event emitted
    in a transaction that rolls back is gone with it."""
    number = id_number(sequence=201)
    subject = "residents/210502********" + number[-4:]
    await register(client, number)
    await certify(client, number)
    await certify(client, number, valid_from="2010-01-01", expect=409)
    assert await outbox(engine, subject) == [CERTIFIED]
    async with rolled_back_session(engine) as session:
        await emit(session, CERTIFIED, "residents/rolled-back", {"n": 1})
    assert await outbox(engine, "residents/rolled-back") == []


async def test_events_are_signed_and_delivered_in_order_per_subject(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Three people each certified, corrected and exited: every event arrives as a CloudEvent whose
    HMAC-SHA256 signature verifies with the subscription's secret, each person's in the order they happened,
    positions increasing."""
    subscription = await subscribe(client, receiver.url + "/ordered")
    numbers = [id_number(sequence=210 + n) for n in range(3)]
    for number in numbers:
        await register(client, number)
        made = await certify(client, number)
        lineage = made["lineage"]
        corrected = await client.post(
            f"/v1/certifications/{lineage}/corrections",
            json={
                "category": "dibao",
                "valid_from": "2009-07-01",
                "valid_to": None,
                "authority": "平山区民政局",
                "evidence_ref": "平民低〔2009〕13号",
                "reason": "证明日期有误 (wrong date on the evidence)",
            },
            headers=CIVIL,
        )
        assert corrected.status_code == 200, corrected.text
        exited = await client.post(
            f"/v1/certifications/{lineage}/exit",
            json={"valid_to": "2010-06-30", "reason": "收入超标 (income above the line)"},
            headers=CIVIL,
        )
        assert exited.status_code == 200, exited.text

    # An event of an earlier test, not yet sequenced when this subscription began, may come too: only ours.
    def ours() -> list[Any]:
        mine = [item for item in receiver.on("/ordered") if item.event["data"].get("id_number") in numbers]
        return mine if len(mine) >= 9 else []

    got = await until(ours, "9 events")
    for item in got:
        assert item.headers["Content-Type"] == CONTENT_TYPE
        assert verify(subscription["secret"], item.body, item.headers[SIGNATURE_HEADER])
        assert not verify(
            "another-secret-of-at-least-32-characters", item.body, item.headers[SIGNATURE_HEADER]
        )
    events = [item.event for item in got]
    assert len({event["id"] for event in events}) == 9
    positions = [event["huiminsequence"] for event in events]
    assert positions == sorted(positions)
    for number in numbers:
        mine = [e for e in events if e["data"]["id_number"] == number]
        assert [e["type"] for e in mine] == [CERTIFIED, CORRECTED, EXITED]
        assert {e["subject"] for e in mine} == {f"residents/210502********{number[-4:]}"}
        assert mine[0]["specversion"] == "1.0"
        assert mine[0]["source"] == "/huimin/eligibility"


async def test_a_failing_webhook_is_dead_lettered_after_the_limit_and_replayed_from_an_offset(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Retry then dead-letter: a webhook answering 500 gets each event ATTEMPTS times, then the event is
    dead-lettered and delivery moves on; once it works, a replay from the first position sends both again
    (same ids), and a replay from the second sends only the second."""
    receiver.failing.add("/failing")
    subscription = await subscribe(client, receiver.url + "/failing")
    numbers = [id_number(sequence=220 + n) for n in range(2)]
    for number in numbers:
        await register(client, number)
        await certify(client, number)
    path = f"/v1/subscriptions/{subscription['id']}"

    async def dead() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await client.get(path + "/dead-letters", headers=ADMIN)).json()[
            "items"
        ]
        return items if len(items) == 2 else []

    letters = await until(dead, "two dead letters")
    assert all(letter["attempts"] == ATTEMPTS for letter in letters)
    tries = [item.event["id"] for item in receiver.on("/failing")]
    assert sorted(tries.count(str(letter["event_id"])) for letter in letters) == [ATTEMPTS, ATTEMPTS]
    state = (await client.get(path, headers=ADMIN)).json()
    assert state["dead_letters"] == 2
    assert state["last_error"] == "HTTP 500"

    receiver.failing.clear()
    first, second = (letter["position"] for letter in letters)
    before = len(receiver.on("/failing"))
    replay = await client.post(path + "/replay", params={"from": first}, headers=ADMIN)
    assert replay.status_code == 202, replay.text
    again = await until(
        lambda: len(receiver.on("/failing")) >= before + 2 and receiver.on("/failing")[before:], "replayed"
    )
    assert [item.event["id"] for item in again] == [str(letter["event_id"]) for letter in letters]
    before = len(receiver.on("/failing"))
    await client.post(path + "/replay", params={"from": second}, headers=ADMIN)
    once = await until(lambda: receiver.on("/failing")[before:], "replayed from the second")
    assert [item.event["huiminsequence"] for item in once] == [second]


async def test_an_import_emits_its_events_set_based(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """A bulk import writes one event per certification it makes or ends, in the chunk's transaction
    (INSERT … SELECT): two people imported are two `certified`; a later file ending one is one `exited`."""
    header = ",".join(name for name, _ in CSV_COLUMNS)
    good = "210502198001011234,张三,210502,平山区东明社区,H1,低保,2009-06-01,,,平山区民政局,平民低〔2009〕1号"
    other = (
        "210503199001020027,李梅,210503,溪湖区河沿社区,H2,marginal,2010-03-01,,,溪湖区民政局,溪民〔2010〕7号"
    )
    exited = good.replace("2009-06-01,,", "2009-06-01,2010-05-31,")
    for lines in ([good, other], [exited]):
        content = "\n".join([header, *lines]).encode() + b"\n"
        response = await client.post(
            "/v1/imports", files={"file": ("r.csv", content)}, data={"mode": "partial"}, headers=CIVIL
        )
        assert response.status_code == 201, response.text
        assert response.json()["rejected"] == 0, response.json()
    assert await outbox(engine, "residents/210502********1234") == [CERTIFIED, EXITED]
    assert await outbox(engine, "residents/210503********0027") == [CERTIFIED]
