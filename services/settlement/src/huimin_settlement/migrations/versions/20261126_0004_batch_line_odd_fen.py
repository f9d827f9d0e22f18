"""Batch lines remember which payer parts had an odd fen (marginal instalment 1 only).

Instalment 1 of a marginal line carries each payer's odd fen (B§四(二), P6); with the odd fen recorded
(bit 0 central, 1 province, 2 city, 3 district/county) instalment 2 of the same assessment version is
computed from instalment 1's lines in SQL instead of streaming the assessment from premium again.
NULL on every other line, and on instalment-1 lines written before this revision (those still stream).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("batch_lines", sa.Column("odd_fen", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("batch_lines", "odd_fen")
