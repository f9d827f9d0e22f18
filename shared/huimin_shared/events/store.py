"""Every SQL statement of the subscriptions API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_shared.events.tables import DEAD_LETTERS, OUTBOX, SUBSCRIPTIONS

_READ = f"""
SELECT s.id, s.url, s.types, s.description, s.created_at, s.created_by, s.delivered_through,
       (SELECT coalesce(max(position), 0) FROM {OUTBOX}) AS latest_position,
       s.replay_from, s.attempts, s.next_attempt_at, s.last_error, s.last_delivered_at,
       (SELECT count(*) FROM {DEAD_LETTERS} d WHERE d.subscription_id = s.id) AS dead_letters
FROM {SUBSCRIPTIONS} s"""


async def create(
    session: AsyncSession, *, url: str, secret: str, types: list[str] | None, description: str | None, by: str
) -> int:
    """A new subscription starts after the newest event: it receives what happens from now on (replay
    reaches back)."""
    created = await session.scalar(
        text(
            f"INSERT INTO {SUBSCRIPTIONS} (url, secret, types, description, created_by, delivered_through) "
            f"VALUES (:url, :secret, :types, :description, :by, "
            f"(SELECT coalesce(max(position), 0) FROM {OUTBOX})) RETURNING id"
        ),
        {"url": url, "secret": secret, "types": types, "description": description, "by": by},
    )
    return int(created)


async def read(session: AsyncSession, subscription_id: int) -> Any:
    return (await session.execute(text(_READ + " WHERE s.id = :id"), {"id": subscription_id})).first()


async def read_all(session: AsyncSession) -> list[Any]:
    return list(await session.execute(text(_READ + " ORDER BY s.id")))


async def delete(session: AsyncSession, subscription_id: int) -> bool:
    deleted = await session.scalar(
        text(f"DELETE FROM {SUBSCRIPTIONS} WHERE id = :id RETURNING id"), {"id": subscription_id}
    )
    return deleted is not None


async def latest_position(session: AsyncSession) -> int:
    return int(await session.scalar(text(f"SELECT coalesce(max(position), 0) FROM {OUTBOX}")) or 0)


async def ask_replay(session: AsyncSession, subscription_id: int, start: int) -> bool:
    """Record the replay; the delivering process begins it at its next event (and clears any wait)."""
    updated = await session.scalar(
        text(
            f"UPDATE {SUBSCRIPTIONS} SET replay_from = :start, next_attempt_at = NULL "
            "WHERE id = :id RETURNING id"
        ),
        {"id": subscription_id, "start": start},
    )
    return updated is not None


async def dead_letters(session: AsyncSession, subscription_id: int, after: int, limit: int) -> list[Any]:
    return list(
        await session.execute(
            text(
                f"SELECT position, event_id, attempts, error, dead_at FROM {DEAD_LETTERS} "
                "WHERE subscription_id = :id AND position > :after ORDER BY position LIMIT :limit"
            ),
            {"id": subscription_id, "after": after, "limit": limit},
        )
    )
