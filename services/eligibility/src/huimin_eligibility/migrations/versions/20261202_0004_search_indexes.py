"""Indexes for case workers' search: current records by name (exact and prefix) and by household

Revision ID: 0004_search
Revises: 0004_status
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_search"
down_revision: str | None = "0004_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_resident_versions_current_name",
        "resident_versions",
        ["name"],
        unique=False,
        postgresql_where=sa.text("superseded_at IS NULL"),
        postgresql_ops={"name": "text_pattern_ops"},
    )
    op.create_index(
        "ix_resident_versions_current_household",
        "resident_versions",
        ["household"],
        unique=False,
        postgresql_where=sa.text("superseded_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_resident_versions_current_household", table_name="resident_versions")
    op.drop_index("ix_resident_versions_current_name", table_name="resident_versions")
