"""The read log (DRS-8): who read whose batch lines or money trace.

Revision ID: 0005_reads
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_reads"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "read_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reader", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_log")),
    )
    op.create_index("ix_read_log_id_number_at", "read_log", ["id_number", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_read_log_id_number_at", table_name="read_log")
    op.drop_table("read_log")
