"""One spelling of "no category" (issue 12): `none`, as premium and the policy package spell it.

Lines premium sends without a subsidised category were stored here as "None" (Python's str(None)) in
batch lines, the assessment groups read from premium and the batch transfers; they become "none".
No CHECK constraint names the categories, so only the data changes.

Revision ID: 0006_none
Revises: 0005_reads
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_none"
down_revision: str | None = "0005_reads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("batch_lines", "assessment_groups", "transfers")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"UPDATE {table} SET category = 'none' WHERE category = 'None'")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"UPDATE {table} SET category = 'None' WHERE category = 'none'")
