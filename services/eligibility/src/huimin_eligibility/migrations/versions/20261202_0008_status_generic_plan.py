"""The status look-up keeps one generic plan: ``eligibility_status_lookup`` runs with
``plan_cache_mode = force_generic_plan``. PL/pgSQL caches its query's plan per connection, but PostgreSQL's
plan cache judged the generic plan (``id_number = ANY (numbers)`` of unknown length) costlier than a custom one
and so planned the read, the read-log insert and the certifications' aggregate again on every call. With the
generic plan a look-up that writes nothing runs 2.3× as many calls a second, and one that writes its read-log
row 1.3× (bench/status_sql.py, bench/README.md); a bulk look-up of 1,000 keeps its nested-loop index plan
(as fast as before). Nothing else changes: the pin, the read and the read log are those of 0004_status.

Revision ID: 0008_status_plan
Revises: 0008_evidence
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_status_plan"
down_revision: str | None = "0008_evidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOOK_UP = "eligibility_status_lookup(text[], timestamptz, text, text, text, text)"


def upgrade() -> None:
    op.execute(f"ALTER FUNCTION {LOOK_UP} SET plan_cache_mode = force_generic_plan")


def downgrade() -> None:
    op.execute(f"ALTER FUNCTION {LOOK_UP} RESET plan_cache_mode")
