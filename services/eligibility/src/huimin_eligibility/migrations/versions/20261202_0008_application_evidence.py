"""Applications carry the evidence reference the community officer submits (issue 17)

Rows submitted before keep NULL unless approved: an approved one takes its certification's 证明文号,
the evidence its approval rested on.

Revision ID: 0008_evidence
Revises: 0007_events
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_evidence"
down_revision: str | None = "0007_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("evidence_ref", sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE applications a SET evidence_ref = c.evidence_ref"
        " FROM certifications c WHERE c.id = a.certification_id"
    )


def downgrade() -> None:
    op.drop_column("applications", "evidence_ref")
