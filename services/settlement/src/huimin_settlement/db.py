"""The declarative base of the settlement service's own tables."""

import functools
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from huimin_shared.db import new_metadata
from huimin_shared.events import event_tables
from huimin_shared.jobs import jobs_table
from huimin_shared.readlog import read_log_table


class Base(DeclarativeBase):
    metadata = new_metadata()


# Durable background jobs (the pending-transfer expiry sweep), leased by whichever replica runs them: huimin_shared.jobs.
jobs = jobs_table(Base.metadata)

# Who read whose figures (DRS-8), one row per person per read: huimin_shared.readlog.
read_log = read_log_table(Base.metadata)

# The event outbox, its webhook subscriptions and dead letters (docs/events.md): huimin_shared.events.
outbox_events, event_subscriptions, event_dead_letters = event_tables(Base.metadata)

P = ParamSpec("P")
R = TypeVar("R")


def savepoint(
    function: Callable[Concatenate[AsyncSession, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[AsyncSession, P], Coroutine[Any, Any, R]]:
    """A service write that writes all or nothing: its work runs in a savepoint of the request's transaction
    (the session, its first argument), so a refusal half-way leaves nothing behind even where the
    transaction goes on."""

    @functools.wraps(function)
    async def wrapped(session: AsyncSession, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with session.begin_nested():
            return await function(session, *args, **kwargs)

    return wrapped
