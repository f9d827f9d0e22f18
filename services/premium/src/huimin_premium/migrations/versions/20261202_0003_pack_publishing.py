"""Pack versions published through the API: draft → validated → approved (maker-checker), shipped
packs stored as approved. Only approved versions price anything.

Revision ID: 0003_packs
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_packs"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the server defaults fill the rows already stored (all shipped), then go
    op.add_column("packs", sa.Column("source", sa.String(length=8), server_default="shipped", nullable=False))
    op.add_column(
        "packs", sa.Column("state", sa.String(length=12), server_default="approved", nullable=False)
    )
    op.add_column(
        "packs", sa.Column("proposed_by", sa.String(length=128), server_default="release", nullable=False)
    )
    op.add_column("packs", sa.Column("validation", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("packs", sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("packs", sa.Column("approved_by", sa.String(length=128), nullable=True))
    op.add_column("packs", sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
    for column in ("source", "state", "proposed_by"):
        op.alter_column("packs", column, server_default=None)
    op.create_check_constraint("source", "packs", "source IN ('shipped', 'api')")
    op.create_check_constraint("state", "packs", "state IN ('draft', 'validated', 'approved')")
    # maker-checker, enforced by the database: a version published through the API is approved by
    # someone other than the person who proposed it, and only after it was validated
    op.create_check_constraint(
        "approved_by_another",
        "packs",
        "source = 'shipped' OR state <> 'approved' "
        "OR (approved_by IS NOT NULL AND approved_by <> proposed_by AND validated_at IS NOT NULL)",
    )


def downgrade() -> None:
    for name in ("approved_by_another", "state", "source"):
        op.drop_constraint(op.f(f"ck_packs_{name}"), "packs", type_="check")
    for column in (
        "approved_at",
        "approved_by",
        "validated_at",
        "validation",
        "proposed_by",
        "state",
        "source",
    ):
        op.drop_column("packs", column)
