"""The event envelope, its signature and the retry curve (huimin_shared.events; docs/events.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from huimin_shared.events import envelope
from huimin_shared.events.delivery import backoff_seconds
from huimin_shared.events.emit import dumps, event_type
from huimin_shared.settings import EventSettings

EVENT = envelope.Event(
    position=42,
    event_id="6f1c2f3e-0000-4000-8000-000000000001",
    type=event_type("eligibility", "certified"),
    subject="residents/210502********1234",
    data={"id_number": "210502198001011234", "category": "dibao"},
    occurred_at=datetime(2010, 1, 5, 1, 2, 3, tzinfo=UTC),
)


def test_the_envelope_is_a_structured_cloudevent_1_0() -> None:
    """CloudEvents 1.0 structured mode: required attributes, subject, time in UTC, the position."""
    body = json.loads(envelope.body(EVENT, "/huimin/eligibility"))
    assert body["specversion"] == "1.0"
    assert (body["id"], body["source"], body["type"]) == (
        EVENT.event_id,
        "/huimin/eligibility",
        "cn.huimin.eligibility.certified.v1",
    )
    assert (body["time"], body["huiminsequence"]) == ("2010-01-05T01:02:03Z", 42)
    assert body["datacontenttype"] == "application/json"
    assert body["data"] == EVENT.data


def test_the_signature_is_hmac_sha256_of_the_exact_body_with_the_secret() -> None:
    """A receiver recomputes it over the raw body: a changed byte or another secret fails."""
    body = envelope.body(EVENT, "/huimin/eligibility")
    secret = "a-subscription-secret-of-32-chars!!"
    signature = envelope.sign(secret, body)
    assert signature.startswith("sha256=")
    assert len(signature) == len("sha256=") + 64
    assert envelope.verify(secret, body, signature)
    assert not envelope.verify(secret, body.replace(b"dibao", b"diba0"), signature)
    assert not envelope.verify(secret + "x", body, signature)


def test_the_wait_doubles_per_failure_up_to_the_cap_with_a_quarter_of_jitter() -> None:
    """Retry with backoff: 1 s, 2 s, 4 s … capped at the maximum, each up to 25 % longer."""
    settings = EventSettings(backoff_initial_seconds=1.0, backoff_max_seconds=10.0)
    for attempts, base in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (30, 10.0)):
        wait = backoff_seconds(attempts, settings)
        assert base <= wait <= base * 1.25


def test_money_travels_as_a_string_and_an_unknown_type_is_refused() -> None:
    """Money is a string "130.00" in events as in every answer, never a float."""
    assert json.loads(dumps({"amount": Decimal("130.00")})) == {"amount": "130.00"}
    with pytest.raises(TypeError):
        dumps({"x": object()})
