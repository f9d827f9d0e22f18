"""The declarative base of the premium service's own tables."""

from sqlalchemy.orm import DeclarativeBase

from huimin_shared.db import new_metadata
from huimin_shared.events import event_tables
from huimin_shared.jobs import jobs_table
from huimin_shared.readlog import read_log_table


class Base(DeclarativeBase):
    metadata = new_metadata()


# Durable background jobs (assessment runs), leased by whichever replica runs them: huimin_shared.jobs.
jobs = jobs_table(Base.metadata)

# Who read whose figures (DRS-8), one row per person per read: huimin_shared.readlog.
read_log = read_log_table(Base.metadata)

# The event outbox, its webhook subscriptions and dead letters (docs/events.md): huimin_shared.events.
outbox_events, event_subscriptions, event_dead_letters = event_tables(Base.metadata)
