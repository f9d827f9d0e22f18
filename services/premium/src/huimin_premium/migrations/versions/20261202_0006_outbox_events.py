"""The event outbox (issue 16.4): outbox_events, event_subscriptions, event_dead_letters — huimin_shared.events.

Revision ID: 0006_events
Revises: 0005_money
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from huimin_shared.events import create_event_tables, drop_event_tables

revision: str = "0006_events"
down_revision: str | None = "0005_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_event_tables(op.get_bind())


def downgrade() -> None:
    drop_event_tables(op.get_bind())
