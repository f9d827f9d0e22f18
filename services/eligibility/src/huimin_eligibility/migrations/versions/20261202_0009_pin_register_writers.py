"""The exact as_of bound counts only the register's writers: ``eligibility_pinned_as_of`` took the oldest
in-flight transaction of the whole database, so any other writer — the event outbox's delivery round, a job
lease, an import's report — held every pinned read back to before it began (a webhook that takes its time
made "now" seconds old, and a roster read in that window missed a certification already committed). Only a
transaction holding ROW EXCLUSIVE on ``resident_versions`` or ``certifications`` can record at or before
the clock (``eligibility_transaction_time`` takes that lock before it reads its clock, and holds it to the
commit), so the bound is the oldest of those; the rest cannot change an answer.

Revision ID: 0009_pin_writers
Revises: 0008_status_plan
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_pin_writers"
down_revision: str | None = "0008_status_plan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PINNED_AS_OF = """
CREATE OR REPLACE FUNCTION eligibility_pinned_as_of(requested timestamptz) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    clock timestamptz := clock_timestamp();
    oldest timestamptz;
    safe timestamptz;
BEGIN
    PERFORM pg_stat_clear_snapshot();
    SELECT min(a.xact_start) INTO oldest FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_xid IS NOT NULL
      AND EXISTS (
          SELECT 1 FROM pg_locks l
          WHERE l.pid = a.pid AND l.mode = 'RowExclusiveLock' AND l.granted
            AND l.relation IN ('resident_versions'::regclass, 'certifications'::regclass)
      );
    safe := CASE WHEN oldest IS NULL THEN clock ELSE least(clock, oldest - interval '1 microsecond') END;
    RETURN CASE WHEN requested IS NULL OR requested > safe THEN safe ELSE requested END;
END
$$
"""

# 0004_status's definition, for the downgrade.
PINNED_AS_OF_ANY_WRITER = """
CREATE OR REPLACE FUNCTION eligibility_pinned_as_of(requested timestamptz) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    clock timestamptz := clock_timestamp();
    oldest timestamptz;
    safe timestamptz;
BEGIN
    PERFORM pg_stat_clear_snapshot();
    SELECT min(xact_start) INTO oldest FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL;
    safe := CASE WHEN oldest IS NULL THEN clock ELSE least(clock, oldest - interval '1 microsecond') END;
    RETURN CASE WHEN requested IS NULL OR requested > safe THEN safe ELSE requested END;
END
$$
"""


def upgrade() -> None:
    op.execute(PINNED_AS_OF)


def downgrade() -> None:
    op.execute(PINNED_AS_OF_ANY_WRITER)
