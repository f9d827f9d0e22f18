"""The status look-up in one round trip: ``eligibility_status_lookup`` pins the as_of, reads the versions and
certifications known then and writes the read-log rows — one statement, one transaction — with
pg_stat_activity off its hot path. ``eligibility_pinned_as_of`` (the exact bound, from pg_stat_activity) and
``eligibility_transaction_time`` (a writer's recorded_at) move into the database beside it.

Revision ID: 0004_status
Revises: 0004
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_status"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A writer's recorded_at / superseded_at: it first takes ROW EXCLUSIVE on the two bitemporal tables a status
# answer reads (held to its commit), then a transaction id (visible in pg_stat_activity), then the clock.
TRANSACTION_TIME = """
CREATE FUNCTION eligibility_transaction_time() RETURNS timestamptz
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    LOCK TABLE resident_versions, certifications IN ROW EXCLUSIVE MODE;
    PERFORM pg_current_xact_id();
    RETURN clock_timestamp();
END
$$
"""

# The exact repeatable as_of: least(the clock, just before the oldest in-flight writer of this database
# began); an explicit later as_of is clamped to it. The clock is read first; every writer that recorded at or
# before it had a transaction id by then, so it is either still in flight (and bounds the answer) or has
# committed before the reader's next snapshot.
PINNED_AS_OF = """
CREATE FUNCTION eligibility_pinned_as_of(requested timestamptz) RETURNS timestamptz
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

# The hot path's pin, without pg_stat_activity: read the clock, then try SHARE on the two tables without
# waiting. SHARE conflicts with the ROW EXCLUSIVE every writer holds from before it reads its clock to its
# commit, so if it is granted no writer is in flight: each one that recorded at or before the clock has
# committed, before the snapshot the read below takes — the clock is repeatable. Readers never wait (NOWAIT)
# and do not block each other (SHARE is compatible with SHARE); a writer waits at most one look-up. If it
# is not granted (a writer is in flight or waiting), the exact bound above. One row per resident found
# (within the token's region prefix, known at the pinned as_of) with the certifications known then as
# arrays; a single row of NULLs but as_of when none is. The read-log rows are written by the same statement.
STATUS_LOOKUP = """
CREATE FUNCTION eligibility_status_lookup(
    numbers text[], requested timestamptz, region_prefix text, reader text, reader_role text, purpose text
) RETURNS TABLE (
    as_of timestamptz, id_number text, birth_date date, sex text, region_code text,
    employee_insurance_since date, categories text[], valid_from date[], valid_to date[]
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    clock timestamptz := clock_timestamp();
    pinned timestamptz;
BEGIN
    BEGIN
        LOCK TABLE resident_versions, certifications IN SHARE MODE NOWAIT;
        pinned := CASE WHEN requested IS NULL OR requested > clock THEN clock ELSE requested END;
    EXCEPTION WHEN lock_not_available THEN
        pinned := eligibility_pinned_as_of(requested);
    END;
    RETURN QUERY
    WITH found AS (
        SELECT r.id_number, r.birth_date, r.sex, v.region_code, v.employee_insurance_since
        FROM residents r
        JOIN resident_versions v ON v.id_number = r.id_number
        WHERE r.id_number = ANY (numbers)
          AND v.recorded_at <= pinned AND (v.superseded_at IS NULL OR v.superseded_at > pinned)
          AND (region_prefix IS NULL OR v.region_code LIKE region_prefix || '%')
    ),
    logged AS (
        INSERT INTO read_log (id_number, at, reader, role, purpose)
        SELECT f.id_number, clock_timestamp(), reader, reader_role, purpose FROM found f
    )
    SELECT pinned, f.id_number::text, f.birth_date, f.sex::text, f.region_code::text,
           f.employee_insurance_since, c.categories, c.valid_from, c.valid_to
    FROM (SELECT 1) AS one
    LEFT JOIN found f ON true
    LEFT JOIN LATERAL (
        SELECT array_agg(k.category::text ORDER BY k.valid_from, k.category, k.id) AS categories,
               array_agg(k.valid_from ORDER BY k.valid_from, k.category, k.id) AS valid_from,
               array_agg(k.valid_to ORDER BY k.valid_from, k.category, k.id) AS valid_to
        FROM certifications k
        WHERE k.id_number = f.id_number
          AND k.recorded_at <= pinned AND (k.superseded_at IS NULL OR k.superseded_at > pinned)
    ) c ON f.id_number IS NOT NULL;
END
$$
"""


def upgrade() -> None:
    op.execute(TRANSACTION_TIME)
    op.execute(PINNED_AS_OF)
    op.execute(STATUS_LOOKUP)


def downgrade() -> None:
    op.execute("DROP FUNCTION eligibility_status_lookup(text[], timestamptz, text, text, text, text)")
    op.execute("DROP FUNCTION eligibility_pinned_as_of(timestamptz)")
    op.execute("DROP FUNCTION eligibility_transaction_time()")
