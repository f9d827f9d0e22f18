"""Events survive the death of the process delivering them (issue 16.4, docs/events.md).

Eligibility runs as `huimin run --replicas 2` runs it (uvicorn's supervisor, two worker processes on one
port, one database). A webhook subscribes; 8 people are each certified, corrected and exited (24 events).
The receiver holds the 10th delivery open; the worker sending it is killed with SIGKILL mid-request. The
other worker (or the one uvicorn starts in its place) carries on: every event arrives at least once, each
person's in the order they happened, and the one in flight when the sender died arrives again — a
duplicate the receiver recognises by its event id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from huimin_cli.services import SERVICES_BY_NAME
from huimin_cli.suite import uvicorn_command
from huimin_shared.auth import Role
from huimin_shared.events import SIGNATURE_HEADER, verify
from huimin_shared.events.testing import Receiver, webhook_receiver
from huimin_shared.idnumber import check_character
from huimin_shared.testing import (
    READY_TIMEOUT_SECONDS,
    bearer,
    free_port,
    service_database,
    stop_process,
    wait_ready,
)

ADMIN = bearer(Role.admin, subject="integration-admin")
CIVIL = bearer(Role.civil_affairs, subject="clerk-1")
PEOPLE = 8
HOLD_AT = 10
ORDER = ["certified", "corrected", "exited"]


@pytest.fixture
async def eligibility_database() -> AsyncIterator[str]:
    """An eligibility database of this test's own (the suite's process must not deliver its events)."""
    async with service_database("events_eligibility", "huimin_eligibility:migrations") as url:
        yield url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as receiver:
        receiver.hold_at = HOLD_AT
        yield receiver


def _number(n: int) -> str:
    first_17 = f"21050219800101{n + 300:03d}"
    return first_17 + check_character(first_17)


def _sender(supervisor: subprocess.Popen[bytes], peer_port: int) -> int:
    """The worker process whose connection came from ``peer_port``."""
    for worker in psutil.Process(supervisor.pid).children(recursive=True):
        if any(c.laddr and c.laddr.port == peer_port for c in worker.net_connections(kind="tcp")):
            return int(worker.pid)
    raise AssertionError(f"no worker holds the connection from port {peer_port}")


def _until(read: Any, what: str) -> Any:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS * 2
    while True:
        value = read()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _change(client: httpx.Client, number: int) -> None:
    """One person certified, corrected, then exited: three events of one subject, in this order."""
    id_number = _number(number)
    registered = client.post(
        "/v1/residents",
        json={
            "id_number": id_number,
            "name": "张三",
            "region_code": "210502",
            "community": "平山区东明社区",
            "household": f"H-{number}",
        },
    )
    assert registered.status_code == 201, registered.text
    certification = {"authority": "平山区民政局", "evidence_ref": "平民低〔2009〕12号"}
    made = client.post(
        f"/v1/residents/{id_number}/certifications",
        json={"category": "dibao", "valid_from": "2009-06-01", "valid_to": None, **certification},
    )
    assert made.status_code == 201, made.text
    lineage = made.json()["lineage"]
    corrected = client.post(
        f"/v1/certifications/{lineage}/corrections",
        json={
            "category": "dibao",
            "valid_from": "2009-07-01",
            "valid_to": None,
            "reason": "日期有误",
            **certification,
        },
    )
    assert corrected.status_code == 200, corrected.text
    exited = client.post(
        f"/v1/certifications/{lineage}/exit", json={"valid_to": "2010-06-30", "reason": "收入超标"}
    )
    assert exited.status_code == 200, exited.text


def test_killing_the_delivering_process_mid_stream_loses_no_event_and_keeps_each_subjects_order(
    eligibility_database: str, receiver: Receiver, tmp_path: Path
) -> None:
    """At least once, in order per subject, duplicates recognisable by id — across a SIGKILL of the sender."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        ELIGIBILITY_DATABASE_URL=eligibility_database,
        ELIGIBILITY_ENVIRONMENT="test",
        ELIGIBILITY_JOBS_POLL_SECONDS="0.2",
        ELIGIBILITY_JOBS_LEASE_SECONDS="5",
        ELIGIBILITY_JOBS_HEARTBEAT_SECONDS="1",
        ELIGIBILITY_EVENTS_POLL_SECONDS="0.2",
        ELIGIBILITY_EVENTS_TIMEOUT_SECONDS=str(READY_TIMEOUT_SECONDS * 4),  # the held request never times out
    )
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "eligibility.log").open("ab") as log:
        supervisor = subprocess.Popen(
            uvicorn_command(SERVICES_BY_NAME["eligibility"], "127.0.0.1", port, replicas=2),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(url, supervisor, READY_TIMEOUT_SECONDS)
        with httpx.Client(base_url=url, headers=CIVIL, timeout=READY_TIMEOUT_SECONDS) as client:
            created = client.post("/v1/subscriptions", json={"url": receiver.url + "/si"}, headers=ADMIN)
            assert created.status_code == 201, created.text
            secret = created.json()["secret"]
            for number in range(PEOPLE):
                _change(client, number)

            assert receiver.held.wait(READY_TIMEOUT_SECONDS * 2), "the 10th delivery never came"
            in_flight = receiver.received[HOLD_AT - 1]
            os.kill(_sender(supervisor, in_flight.peer_port), signal.SIGKILL)
            receiver.release.set()

            def everything() -> list[dict[str, Any]]:
                events = [item.event for item in receiver.on("/si")]
                return events if len({event["id"] for event in events}) >= PEOPLE * 3 else []

            events = _until(everything, "not every event arrived after the sender was killed")
    finally:
        receiver.release.set()
        stop_process(supervisor)

    for item in receiver.on("/si"):
        assert verify(secret, item.body, item.headers[SIGNATURE_HEADER])
    ids = [event["id"] for event in events]
    assert ids.count(in_flight.event["id"]) >= 2  # sent again: the killed worker never recorded it
    first_seen: dict[str, dict[str, Any]] = {}
    for event in events:
        first_seen.setdefault(event["id"], event)
    unique = list(first_seen.values())
    assert len(unique) == PEOPLE * 3
    positions = [event["huiminsequence"] for event in unique]
    assert positions == sorted(positions)
    assert sorted(positions) == list(range(1, PEOPLE * 3 + 1))  # every position, none skipped
    for number in range(PEOPLE):
        mine = [event for event in unique if event["data"]["id_number"] == _number(number)]
        assert [event["type"].split(".")[3] for event in mine] == ORDER
