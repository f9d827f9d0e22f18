"""Import jobs remember the region of the token that started them (a region-limited token sees its own)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("import_jobs", sa.Column("region", sa.String(length=6), nullable=True))


def downgrade() -> None:
    op.drop_column("import_jobs", "region")
