"""The three tables of a service's event outbox, in the service's own metadata and database.

- ``outbox_events``: one row per event, written by ``emit`` in the transaction of the change it describes.
  ``id`` is the order it was written in; ``position`` (the offset a subscriber replays from) is given after
  commit by the one sequencer (``delivery.sequence``), so positions only ever grow in the order readers see.
- ``event_subscriptions``: a webhook, its signing secret, which types it takes and how far it got
  (``delivered_through``, the last position handled), with its retry state.
- ``event_dead_letters``: the events a subscription gave up on after the attempt limit.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from huimin_shared.db import new_metadata

OUTBOX = "outbox_events"
SUBSCRIPTIONS = "event_subscriptions"
DEAD_LETTERS = "event_dead_letters"


def event_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    """The outbox, subscriptions and dead-letter tables, added to ``metadata``."""
    outbox = Table(
        OUTBOX,
        metadata,
        Column("id", BigInteger, Identity(always=False), primary_key=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, server_default=text("gen_random_uuid()")),
        Column("position", BigInteger, doc="The delivery offset, given after commit; null until then."),
        Column("type", Text, nullable=False),
        Column("subject", Text, nullable=False, doc="A masked or opaque reference, never an ID number."),
        Column("data", JSONB, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        Index("uq_outbox_events_event_id", "event_id", unique=True),
        Index("uq_outbox_events_position", "position", unique=True),
        Index("ix_outbox_events_unsequenced", "id", postgresql_where=text("position IS NULL")),
    )
    subscriptions = Table(
        SUBSCRIPTIONS,
        metadata,
        Column("id", BigInteger, Identity(always=False), primary_key=True),
        Column("url", Text, nullable=False),
        Column("secret", Text, nullable=False, doc="The HMAC key; never returned after creation."),
        Column("types", ARRAY(Text), doc="The event types it takes; null for every type."),
        Column("description", Text),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        Column("created_by", Text, nullable=False),
        Column("delivered_through", BigInteger, nullable=False, server_default=text("0")),
        Column("replay_from", BigInteger, doc="A replay asked for and not yet begun."),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("next_attempt_at", DateTime(timezone=True)),
        Column("last_error", Text),
        Column("last_delivered_at", DateTime(timezone=True)),
    )
    dead_letters = Table(
        DEAD_LETTERS,
        metadata,
        Column("id", BigInteger, Identity(always=False), primary_key=True),
        Column(
            "subscription_id",
            BigInteger,
            ForeignKey(f"{SUBSCRIPTIONS}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("position", BigInteger, nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("error", Text, nullable=False),
        Column("dead_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        Index("ix_event_dead_letters_subscription_position", "subscription_id", "position"),
    )
    return outbox, subscriptions, dead_letters


def create_event_tables(bind: Connection) -> None:
    """What a service's migration runs to add the outbox (``op.get_bind()``): the tables exactly as
    ``event_tables`` defines them. A later change to them comes with a migration of its own."""
    metadata = new_metadata()
    event_tables(metadata)
    metadata.create_all(bind)


def drop_event_tables(bind: Connection) -> None:
    metadata = new_metadata()
    event_tables(metadata)
    metadata.drop_all(bind)
