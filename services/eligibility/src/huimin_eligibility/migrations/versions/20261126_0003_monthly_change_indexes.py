"""Indexes for the monthly change report's candidates (E6): certifications beginning or ending in a month,
employee insurance beginning in a month (rules_sql.MONTH_MOVERS)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_certifications_valid_from", "certifications", ["valid_from"], unique=False)
    op.create_index(
        "ix_certifications_valid_to",
        "certifications",
        ["valid_to"],
        unique=False,
        postgresql_where=sa.text("valid_to IS NOT NULL"),
    )
    op.create_index(
        "ix_resident_versions_employee_insurance_since",
        "resident_versions",
        ["employee_insurance_since"],
        unique=False,
        postgresql_where=sa.text("employee_insurance_since IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_resident_versions_employee_insurance_since", table_name="resident_versions")
    op.drop_index("ix_certifications_valid_to", table_name="certifications")
    op.drop_index("ix_certifications_valid_from", table_name="certifications")
