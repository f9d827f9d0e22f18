"""Staged import rows: an upload's rows, validated and typed, kept until applied (durable, resumable imports)

Revision ID: 0005_staged
Revises: 0005
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_staged"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_staged_rows",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=6), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("community", sa.String(length=100), nullable=True),
        sa.Column("household", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("employee_insurance_since", sa.Date(), nullable=True),
        sa.Column("authority", sa.String(length=200), nullable=True),
        sa.Column("evidence_ref", sa.String(length=200), nullable=True),
        sa.Column("id_number_masked", sa.String(length=18), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("warning", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name=op.f("fk_import_staged_rows_job_id_import_jobs")
        ),
        sa.PrimaryKeyConstraint("job_id", "row_number", name=op.f("pk_import_staged_rows")),
    )


def downgrade() -> None:
    op.drop_table("import_staged_rows")
