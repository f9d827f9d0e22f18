"""One money type (issue 12): every amount column becomes NUMERIC(16, 2), as in settlement.

Widening the precision of a numeric column at the same scale does not rewrite the table in PostgreSQL
(only the catalogue changes), so this is quick on a province's assessment lines. The downgrade narrows
them back and fails, changing nothing, if a stored amount no longer fits NUMERIC(14, 2).

Revision ID: 0005_money
Revises: 0004_reads
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_money"
down_revision: str | None = "0004_reads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("assessment_results", "assessment_lines", "assessment_totals")
AMOUNTS = (
    "individual_contribution",
    "assistance_subsidy",
    "resident_pays",
    "central",
    "province",
    "city",
    "district_or_county",
)


def _retype(precision: int, was: int) -> None:
    for table in TABLES:
        for column in AMOUNTS:
            op.alter_column(
                table,
                column,
                type_=sa.Numeric(precision=precision, scale=2),
                existing_type=sa.Numeric(precision=was, scale=2),
                existing_nullable=False,
            )


def upgrade() -> None:
    _retype(16, 14)


def downgrade() -> None:
    _retype(14, 16)
