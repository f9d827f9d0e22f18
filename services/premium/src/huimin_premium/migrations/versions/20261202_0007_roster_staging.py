"""The staged roster of a running assessment run (issue 13): NDJSON lines COPY'd in, parsed in SQL at the end.

Revision ID: 0007_roster
Revises: 0006_events
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_roster"
down_revision: str | None = "0006_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_roster",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("assessment_roster")
