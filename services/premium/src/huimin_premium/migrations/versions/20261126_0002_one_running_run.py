"""One running run per assessment (partial unique index) and a lease for claiming interrupted runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("assessment_runs", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_assessment_runs_one_running",
        "assessment_runs",
        ["assessment_id"],
        unique=True,
        postgresql_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_index("uq_assessment_runs_one_running", table_name="assessment_runs")
    op.drop_column("assessment_runs", "lease_until")
