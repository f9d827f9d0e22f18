-- Variants of eligibility_status_lookup for pgbench, side by side (bench/status_sql.py creates them in the
-- scratch database, runs each, drops them). Each returns what the real one returns; only how the as_of is
-- pinned, or what is written, differs. "unsafe" marks variants that drop a guarantee: they are measured only to
-- show what that guarantee costs, never shipped.

-- body (unsafe: pinned = clock even with a writer in flight): the read and the read-log insert as in migration
-- 0004_status, without the pin — the floor of the pin's cost. The wrappers below call it, so they compare with
-- nolock (the same call, nested, nothing else).
CREATE FUNCTION bench_status_body(
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
    pinned := CASE WHEN requested IS NULL OR requested > clock THEN clock ELSE requested END;
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
$$;

-- nolock (unsafe): body, nested, nothing else.
CREATE FUNCTION bench_status_nolock(
    numbers text[], requested timestamptz, region_prefix text, reader text, reader_role text, purpose text
) RETURNS TABLE (
    as_of timestamptz, id_number text, birth_date date, sex text, region_code text,
    employee_insurance_since date, categories text[], valid_from date[], valid_to date[]
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY SELECT * FROM bench_status_body(numbers, requested, region_prefix, reader, reader_role, purpose);
END
$$;

-- lock, no subtransaction: LOCK TABLE … IN SHARE MODE (waits, no NOWAIT, no EXCEPTION block) — splits the
-- current pin's cost between the subtransaction and the strong table lock.
CREATE FUNCTION bench_status_lockwait(
    numbers text[], requested timestamptz, region_prefix text, reader text, reader_role text, purpose text
) RETURNS TABLE (
    as_of timestamptz, id_number text, birth_date date, sex text, region_code text,
    employee_insurance_since date, categories text[], valid_from date[], valid_to date[]
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    LOCK TABLE resident_versions, certifications IN SHARE MODE;
    RETURN QUERY SELECT * FROM bench_status_body(numbers, requested, region_prefix, reader, reader_role, purpose);
END
$$;

-- subtransaction only: the EXCEPTION block without the lock.
CREATE FUNCTION bench_status_subxact(
    numbers text[], requested timestamptz, region_prefix text, reader text, reader_role text, purpose text
) RETURNS TABLE (
    as_of timestamptz, id_number text, birth_date date, sex text, region_code text,
    employee_insurance_since date, categories text[], valid_from date[], valid_to date[]
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    x int;
BEGIN
    BEGIN
        x := 1;
    EXCEPTION WHEN lock_not_available THEN
        x := 2;
    END;
    RETURN QUERY SELECT * FROM bench_status_body(numbers, requested, region_prefix, reader, reader_role, purpose);
END
$$;

-- advisory: writers would hold a shared advisory lock from before their clock to their commit; the reader
-- takes the exclusive one for an instant (try, then unlock) — no subtransaction, no strong table lock.
CREATE FUNCTION bench_status_advisory(
    numbers text[], requested timestamptz, region_prefix text, reader text, reader_role text, purpose text
) RETURNS TABLE (
    as_of timestamptz, id_number text, birth_date date, sex text, region_code text,
    employee_insurance_since date, categories text[], valid_from date[], valid_to date[]
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    stripe int := pg_backend_pid() % 16;
BEGIN
    IF pg_try_advisory_lock(1213, stripe) THEN
        PERFORM pg_advisory_unlock(1213, stripe);
    END IF;
    RETURN QUERY SELECT * FROM bench_status_body(numbers, requested, region_prefix, reader, reader_role, purpose);
END
$$;

-- readonly (unsafe: no read-log row): the floor of the read-log insert and its commit.
CREATE FUNCTION bench_status_readonly(
    numbers text[], requested timestamptz, region_prefix text, reader text, reader_role text, purpose text
) RETURNS TABLE (
    as_of timestamptz, id_number text, birth_date date, sex text, region_code text,
    employee_insurance_since date, categories text[], valid_from date[], valid_to date[]
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    pinned timestamptz := clock_timestamp();
BEGIN
    RETURN QUERY
    WITH found AS (
        SELECT r.id_number, r.birth_date, r.sex, v.region_code, v.employee_insurance_since
        FROM residents r
        JOIN resident_versions v ON v.id_number = r.id_number
        WHERE r.id_number = ANY (numbers)
          AND v.recorded_at <= pinned AND (v.superseded_at IS NULL OR v.superseded_at > pinned)
          AND (region_prefix IS NULL OR v.region_code LIKE region_prefix || '%')
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
$$;
