"""Adjustment batches: one live adjustment per adjusted batch and assessment version.

0001's index allowed one live batch per city, year, kind, instalment and assessment version, so a
new version could adjust only one of the batches paid from the old one (the dibao collective payment
or a marginal instalment, not both). The index now also keys on the adjusted batch; NULLS NOT DISTINCT
keeps regular batches (no adjusted batch) at one live batch each (S4).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ["city_code", "year", "kind", "instalment", "assessment_id", "assessment_version"]
_LIVE = sa.text("state <> 'cancelled'")


def upgrade() -> None:
    op.drop_index("uq_batches_live_kind", table_name="batches", postgresql_where=_LIVE)
    op.create_index(
        "uq_batches_live_kind",
        "batches",
        [*_OLD, "adjusts_batch_id"],
        unique=True,
        postgresql_where=_LIVE,
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    op.drop_index("uq_batches_live_kind", table_name="batches", postgresql_where=_LIVE)
    op.create_index("uq_batches_live_kind", "batches", _OLD, unique=True, postgresql_where=_LIVE)
