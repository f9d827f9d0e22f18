"""Appeals (复核) of a refused application or an exit, answered by someone other than the decider

Revision ID: 0005
Revises: 0004_search
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appeals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("lineage", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("evidence_ref", sa.String(length=200), nullable=False),
        sa.Column("filed_by", sa.String(length=200), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(length=1000), nullable=True),
        sa.Column("certification_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('refusal', 'exit')", name=op.f("ck_appeals_kind")),
        sa.CheckConstraint("status IN ('filed', 'upheld', 'dismissed')", name=op.f("ck_appeals_status")),
        sa.CheckConstraint(
            "answered_by IS NULL OR answered_by <> decided_by", name=op.f("ck_appeals_other_than_decider")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_appeals_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_appeals_certification_id_certifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    op.create_index("ix_appeals_status_due_on", "appeals", ["status", "due_on"], unique=False)
    op.create_index("ix_appeals_id_number", "appeals", ["id_number"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_appeals_id_number", table_name="appeals")
    op.drop_index("ix_appeals_status_due_on", table_name="appeals")
    op.drop_table("appeals")
