"""A transactional outbox and its delivery to webhooks, for every service (docs/events.md).

A service adds ``event_tables`` to its metadata (and a migration running ``create_event_tables``), calls
``emit`` where a change happens, adds ``event_delivery_kind`` to its job runner and ``subscriptions_router``
to its routes. No business rule lives here: which changes are events, and what they carry, is each
service's ``events.py``.
"""

from huimin_shared.events.delivery import EVENT_DELIVERY, delivery_kind, event_delivery_kind, source_of
from huimin_shared.events.emit import INSERT_SELECT, emit, event_type, masked_sql
from huimin_shared.events.envelope import CONTENT_TYPE, SIGNATURE_HEADER, sign, verify
from huimin_shared.events.router import TAG, subscriptions_router
from huimin_shared.events.tables import create_event_tables, drop_event_tables, event_tables

__all__ = [
    "CONTENT_TYPE",
    "EVENT_DELIVERY",
    "INSERT_SELECT",
    "SIGNATURE_HEADER",
    "TAG",
    "create_event_tables",
    "delivery_kind",
    "drop_event_tables",
    "emit",
    "event_delivery_kind",
    "event_tables",
    "event_type",
    "masked_sql",
    "sign",
    "source_of",
    "subscriptions_router",
    "verify",
]
