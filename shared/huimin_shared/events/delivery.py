"""Delivering the outbox to subscribed webhooks: a periodic durable job (``huimin_shared.jobs``) that any
replica runs.

Each round first **sequences**: under one advisory lock, it gives the committed events that have no
position yet the next positions, in the order they were written. Positions are thus given after commit by
one writer at a time, so a reader never sees position 12 before 11 (an id taken by a transaction that
commits late would have let it), and a subscriber's offset is a gapless count it can replay from.

Then, for each subscription, it sends the next event after ``delivered_through`` — one transaction per
event, holding the subscription's row lock (``FOR UPDATE SKIP LOCKED``) while it posts, and moving
``delivered_through`` in that transaction when the webhook answers 2xx. So one process at a time sends a
subscription's events, strictly in position order (hence in order per subject); a process killed after
the webhook answered but before its commit leaves the event to be sent again — at least once, the
duplicate recognisable by its event id. A failure records the attempt and the time of the next one
(exponential backoff, stored in the row, so no replica sleeps holding a lock and a restart forgets
nothing); after ``max_attempts`` failures the event goes to ``event_dead_letters`` and delivery moves on.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, cast

import httpx
import structlog
from sqlalchemy import CursorResult, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from huimin_shared.app import Runtime
from huimin_shared.events import envelope
from huimin_shared.events.tables import DEAD_LETTERS, OUTBOX, SUBSCRIPTIONS
from huimin_shared.idnumber import mask_in_text
from huimin_shared.jobs import JobContext, JobKind
from huimin_shared.settings import EventSettings

log = structlog.get_logger(__name__)

EVENT_DELIVERY = "event_delivery"
SEQUENCE_LOCK = 0x68756D696E  # the advisory lock of the one sequencer ("humin")
SEQUENCE_BATCH = 50_000

_SEQUENCE = f"""
WITH pending AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM {OUTBOX}
    WHERE position IS NULL ORDER BY id LIMIT :batch),
last AS (SELECT coalesce(max(position), 0) AS p FROM {OUTBOX})
UPDATE {OUTBOX} o SET position = last.p + pending.n FROM pending, last WHERE o.id = pending.id"""

_LOCK_SUBSCRIPTION = f"""
SELECT id, url, secret, types, delivered_through, replay_from, attempts FROM {SUBSCRIPTIONS}
WHERE id = :id AND (next_attempt_at IS NULL OR next_attempt_at <= now())
FOR UPDATE SKIP LOCKED"""

_NEXT_EVENT = f"""
SELECT position, event_id, type, subject, data, occurred_at FROM {OUTBOX}
WHERE position > :through AND (CAST(:types AS text[]) IS NULL OR type = ANY(CAST(:types AS text[])))
ORDER BY position LIMIT 1"""

_DUE = f"SELECT id FROM {SUBSCRIPTIONS} WHERE next_attempt_at IS NULL OR next_attempt_at <= now() ORDER BY id"


async def sequence(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Give positions to the committed events that have none; how many got one."""
    total = 0
    while True:
        async with sessions() as session, session.begin():
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCE_LOCK})
            result = await session.execute(text(_SEQUENCE), {"batch": SEQUENCE_BATCH})
            done = int(cast("CursorResult[Any]", result).rowcount)
        total += done
        if done < SEQUENCE_BATCH:
            return total


def backoff_seconds(attempts: int, settings: EventSettings) -> float:
    """After the ``attempts``-th failure: the initial wait doubled per failure, capped, plus up to a quarter
    of jitter so receivers coming back are not hit by every subscription at once (stamina's curve)."""
    wait = min(settings.backoff_max_seconds, settings.backoff_initial_seconds * 2.0 ** (attempts - 1))
    return wait * (1 + random.random() / 4)


async def _post(http: httpx.AsyncClient, url: str, content: bytes, secret: str, timeout: float) -> str | None:
    """Send one event; None when the webhook took it (2xx), else why not."""
    headers = {
        "Content-Type": envelope.CONTENT_TYPE,
        envelope.SIGNATURE_HEADER: envelope.sign(secret, content),
    }
    try:
        response = await http.post(url, content=content, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


async def deliver_next(
    sessions: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    subscription_id: int,
    source: str,
    settings: EventSettings,
) -> bool:
    """Send a subscription's next event if it is due and no other process is sending its events; whether
    delivery moved on (so the caller may send the next one now)."""
    async with sessions() as session, session.begin():
        row = (await session.execute(text(_LOCK_SUBSCRIPTION), {"id": subscription_id})).first()
        if row is None:
            return False  # another process holds it, it waits for its next attempt, or it was deleted
        through, attempts = row.delivered_through, row.attempts
        if row.replay_from is not None:
            through, attempts = row.replay_from - 1, 0
            await _update(
                session, subscription_id, through=through, attempts=0, error=None, clear_replay=True
            )
        found = (await session.execute(text(_NEXT_EVENT), {"through": through, "types": row.types})).first()
        if found is None:
            return False
        event = envelope.Event(
            position=found.position,
            event_id=str(found.event_id),
            type=found.type,
            subject=found.subject,
            data=found.data,
            occurred_at=found.occurred_at,
        )
        error = await _post(http, row.url, envelope.body(event, source), row.secret, settings.timeout_seconds)
        context = {"subscription": subscription_id, "event_id": event.event_id, "position": event.position}
        if error is None:
            await _update(
                session, subscription_id, through=event.position, attempts=0, error=None, delivered=True
            )
            log.info("event_delivered", type=event.type, subject=mask_in_text(event.subject), **context)
            return True
        attempts += 1
        error = mask_in_text(error)
        if attempts >= settings.max_attempts:
            await session.execute(
                text(
                    f"INSERT INTO {DEAD_LETTERS} (subscription_id, position, event_id, attempts, error) "
                    "VALUES (:id, :position, CAST(:event_id AS uuid), :attempts, :error)"
                ),
                {**context, "id": subscription_id, "attempts": attempts, "error": error},
            )
            await _update(session, subscription_id, through=event.position, attempts=0, error=error)
            log.warning("event_dead_lettered", attempts=attempts, error=error, **context)
            return True
        wait = backoff_seconds(attempts, settings)
        await _update(session, subscription_id, attempts=attempts, error=error, wait=wait)
        log.warning(
            "event_delivery_failed", attempts=attempts, retry_in=round(wait, 3), error=error, **context
        )
        return False


async def _update(
    session: AsyncSession,
    subscription_id: int,
    *,
    attempts: int,
    error: str | None,
    through: int | None = None,
    wait: float | None = None,
    delivered: bool = False,
    clear_replay: bool = False,
) -> None:
    """Record where a subscription got to (its row is locked by this transaction)."""
    await session.execute(
        text(
            f"UPDATE {SUBSCRIPTIONS} SET delivered_through = coalesce(CAST(:through AS bigint), delivered_through), "
            "attempts = :attempts, last_error = :error, "
            "next_attempt_at = CASE WHEN CAST(:wait AS float8) IS NULL THEN NULL "
            "ELSE now() + make_interval(secs => CAST(:wait AS float8)) END, "
            "last_delivered_at = CASE WHEN :delivered THEN now() ELSE last_delivered_at END"
            + (", replay_from = NULL" if clear_replay else "")
            + " WHERE id = :id"
        ),
        {
            "id": subscription_id,
            "through": through,
            "attempts": attempts,
            "error": error,
            "wait": wait,
            "delivered": delivered,
        },
    )


async def delivery_round(
    context: JobContext, http: httpx.AsyncClient, source: str, settings: EventSettings
) -> None:
    """One round: sequence, then each due subscription's events until it is caught up, fails, or the
    round's time is up (the next round carries on)."""
    await sequence(context.sessions)
    async with context.sessions() as session:
        due = [int(value) for value in (await session.scalars(text(_DUE))).all()]
    deadline = time.monotonic() + settings.round_seconds
    for subscription_id in due:
        while time.monotonic() < deadline and await deliver_next(
            context.sessions, http, subscription_id, source, settings
        ):
            pass


def event_delivery_kind(
    http: Callable[[], httpx.AsyncClient], source: str, settings: EventSettings
) -> JobKind:
    """The periodic job kind a service adds to its ``JobRunner``: one round every ``poll_seconds``.
    ``http`` gives the lifespan's client (made after the kind is)."""

    async def run(context: JobContext) -> None:
        await delivery_round(context, http(), source, settings)

    return JobKind(EVENT_DELIVERY, run=run, every_seconds=settings.poll_seconds)


def source_of(service: str) -> str:
    """The CloudEvents ``source`` of a service's events."""
    return f"/huimin/{service}"


def delivery_kind(runtime: Runtime) -> JobKind:
    """The delivery job kind of the service ``runtime`` belongs to, with its settings and HTTP client."""
    settings = runtime.settings
    return event_delivery_kind(
        lambda: runtime.http, source_of(settings.service_name), settings.event_settings()
    )
