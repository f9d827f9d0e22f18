"""Supplementary allocations: funding runs of that kind may happen more than once a year.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("uq_funding_runs_city_code_year_kind"), "funding_runs", type_="unique")
    op.create_index(
        "uq_funding_runs_once_a_year",
        "funding_runs",
        ["city_code", "year", "kind"],
        unique=True,
        postgresql_where=sa.text("kind IN ('pre_allocation', 'year_end_settlement')"),
    )
    op.drop_constraint(op.f("ck_funding_runs_known_kind"), "funding_runs", type_="check")
    op.create_check_constraint(
        op.f("ck_funding_runs_known_kind"),
        "funding_runs",
        "kind IN ('pre_allocation', 'supplementary_allocation', 'year_end_settlement')",
    )


def downgrade() -> None:
    # Ledger history is append-only: refuse rather than delete supplementary allocations.
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM funding_runs WHERE kind = 'supplementary_allocation') THEN "
        "RAISE EXCEPTION 'supplementary allocations exist; the ledger cannot go back to 0001'; END IF; END $$"
    )
    op.drop_constraint(op.f("ck_funding_runs_known_kind"), "funding_runs", type_="check")
    op.create_check_constraint(
        op.f("ck_funding_runs_known_kind"),
        "funding_runs",
        "kind IN ('pre_allocation', 'year_end_settlement')",
    )
    op.drop_index("uq_funding_runs_once_a_year", table_name="funding_runs")
    op.create_unique_constraint(
        op.f("uq_funding_runs_city_code_year_kind"), "funding_runs", ["city_code", "year", "kind"]
    )
