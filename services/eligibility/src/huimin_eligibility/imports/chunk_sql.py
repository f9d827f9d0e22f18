"""The statements that apply a chunk of staged rows set-based, in the order
``repository.ImportRepository.apply_chunk`` runs them."""

from __future__ import annotations

from huimin_eligibility.imports.validation import STAGED_COLUMNS

# --- a chunk, set-based ---------------------------------------------------------------------------------
# The chunk's rows leave the staging table in the transaction that applies them (a restart resumes with
# the rest). Each row is one resident and one certification; rows are judged in file order exactly as one
# at a time would be: a row of the same person and category as an earlier row of the chunk sees what that
# row did, so rows are applied in rounds — round k holds each (person, category)'s k-th row of the chunk
# (one round for an ordinary file). A row's certification side (match by valid_from, overlap, exit or
# correction) depends only on earlier rows of its category; its version side (name, region, …) only on
# the previous row of the person that was not rejected, so it is one window over the chunk at the end.

CREATE_CHUNK = """
CREATE TEMP TABLE import_chunk (
    row_number integer PRIMARY KEY,
    id_number varchar(18), birth_date date, sex varchar(6), name varchar(100), region_code varchar(6),
    community varchar(100), household varchar(100), category varchar(32), valid_from date, valid_to date,
    employee_insurance_since date, authority varchar(200), evidence_ref varchar(200),
    id_number_masked varchar(18),
    outcome varchar(16), reason varchar(1000), warning varchar(1000),
    home varchar(6), version_id bigint, occurrence integer,
    match_key bigint, authority_new varchar(200), evidence_new varchar(200),
    cert_changed boolean, only_exit boolean, version_changed boolean
)"""
CREATE_CHUNK_CERTS = """
CREATE TEMP TABLE import_chunk_certs (
    key bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    persisted_id bigint, lineage bigint, id_number varchar(18), category varchar(32),
    valid_from date, valid_to date, authority varchar(200), evidence_ref varchar(200),
    change varchar(16), dirty boolean NOT NULL DEFAULT false, row_number integer
)"""
TAKE_CHUNK = f"""
WITH taken AS (
    DELETE FROM import_staged_rows s
    WHERE s.job_id = $1 AND s.row_number IN (
        SELECT row_number FROM import_staged_rows WHERE job_id = $1 ORDER BY row_number LIMIT $2)
    RETURNING s.*
)
INSERT INTO import_chunk ({", ".join(STAGED_COLUMNS)}, outcome, occurrence)
SELECT {", ".join(STAGED_COLUMNS)}, CASE WHEN reason IS NOT NULL THEN 'rejected' END,
       CASE WHEN reason IS NULL
            THEN row_number() OVER (PARTITION BY id_number, category, reason IS NULL ORDER BY row_number) END
FROM taken"""
# New residents in ID-number order, ON CONFLICT DO NOTHING (a concurrent import or registration of the
# same person waits on the key, then skips); then every resident of the chunk that existed before is
# locked in ID-number order — the lock the API takes (ResidentRepository.lock) — so two writers of one
# person are serialised and one category never overlaps itself. A resident this transaction inserted
# needs no lock: no one else sees it before the commit, and a concurrent writer of the same number waits
# on its key until then.
INSERT_RESIDENTS = """
INSERT INTO residents (id_number, birth_date, sex, registered_at, registered_by)
SELECT DISTINCT ON (id_number) id_number, birth_date, sex, $1::timestamptz, $2::varchar
FROM import_chunk WHERE outcome IS NULL ORDER BY id_number
ON CONFLICT (id_number) DO NOTHING"""
LOCK_RESIDENTS = """
SELECT count(*) FROM (
    SELECT 1 FROM residents
    WHERE id_number IN (SELECT id_number FROM import_chunk WHERE outcome IS NULL)
      AND xmin <> pg_current_xact_id()::xid
    ORDER BY id_number FOR UPDATE
) locked"""
CURRENT_VERSIONS = """
UPDATE import_chunk c SET version_id = v.id, home = v.region_code
FROM resident_versions v
WHERE v.id_number = c.id_number AND v.superseded_at IS NULL AND c.outcome IS NULL"""
# A region-limited token changes no one living outside its region (the region as of the chunk's start).
OUTSIDE_REGION = """
UPDATE import_chunk SET outcome = 'rejected',
    reason = 'the resident lives in ' || home || ', outside this token''s region ' || $1::text
WHERE outcome IS NULL AND home IS NOT NULL AND left(home, length($2::text)) <> $2::text"""
CURRENT_CERTIFICATIONS = """
INSERT INTO import_chunk_certs
    (persisted_id, lineage, id_number, category, valid_from, valid_to, authority, evidence_ref, change)
SELECT c.id, c.lineage, c.id_number, c.category, c.valid_from, c.valid_to, c.authority, c.evidence_ref,
       c.change
FROM certifications c
WHERE c.superseded_at IS NULL
  AND c.id_number IN (SELECT id_number FROM import_chunk WHERE outcome IS NULL)
ORDER BY c.id"""
# Round k, 1: the current certification of the row's category with its valid_from (an exit or a
# correction of it), the authority and evidence (a blank cell keeps the register's), whether it changes;
# a row overlapping another certification of its category is rejected instead, naming the first (E2).
ROUND_MATCH = """
UPDATE import_chunk r SET
    match_key = x.key,
    authority_new = coalesce(r.authority, x.authority, $2::varchar),
    evidence_new = coalesce(r.evidence_ref, x.evidence_ref, $3::varchar),
    cert_changed = x.key IS NULL
        OR x.valid_to IS DISTINCT FROM r.valid_to
        OR x.authority <> coalesce(r.authority, x.authority)
        OR x.evidence_ref <> coalesce(r.evidence_ref, x.evidence_ref),
    only_exit = x.valid_to IS NULL AND r.valid_to IS NOT NULL
        AND x.authority = coalesce(r.authority, x.authority)
        AND x.evidence_ref = coalesce(r.evidence_ref, x.evidence_ref),
    outcome = CASE WHEN x.clash_from IS NOT NULL THEN 'rejected' END,
    reason = CASE WHEN x.clash_from IS NOT NULL
        THEN 'overlaps the ' || r.category || ' certification from ' || to_char(x.clash_from, 'YYYY-MM-DD')
             || ' to ' || coalesce(to_char(x.clash_to, 'YYYY-MM-DD'), 'open') END
FROM (
    SELECT r2.row_number, m.key, m.valid_to, m.authority, m.evidence_ref,
           clash.valid_from AS clash_from, clash.valid_to AS clash_to
    FROM import_chunk r2
    LEFT JOIN import_chunk_certs m
        ON m.id_number = r2.id_number AND m.category = r2.category AND m.valid_from = r2.valid_from
    LEFT JOIN LATERAL (
        SELECT c.valid_from, c.valid_to FROM import_chunk_certs c
        WHERE c.id_number = r2.id_number AND c.category = r2.category
          AND c.key IS DISTINCT FROM m.key
          AND c.valid_from <= coalesce(r2.valid_to, 'infinity'::date)
          AND (c.valid_to IS NULL OR c.valid_to >= r2.valid_from)
        ORDER BY c.key LIMIT 1
    ) clash ON true
    WHERE r2.occurrence = $1 AND r2.outcome IS NULL
) x
WHERE r.row_number = x.row_number"""
# 2: a changed match becomes exited (only valid_to set) or corrected; a pending new one stays certified.
ROUND_CHANGE_MATCHES = """
UPDATE import_chunk_certs m SET
    valid_to = r.valid_to, authority = r.authority_new, evidence_ref = r.evidence_new,
    row_number = r.row_number, dirty = true,
    change = CASE WHEN (NOT m.dirty AND m.persisted_id IS NOT NULL) OR m.change <> 'certified'
                  THEN CASE WHEN r.only_exit THEN 'exited' ELSE 'corrected' END
                  ELSE m.change END
FROM import_chunk r
WHERE r.occurrence = $1 AND r.outcome IS NULL AND r.cert_changed AND r.match_key = m.key"""
ROUND_NEW = """
INSERT INTO import_chunk_certs
    (id_number, category, valid_from, valid_to, authority, evidence_ref, change, dirty, row_number)
SELECT id_number, category, valid_from, valid_to, authority_new, evidence_new, 'certified', true, row_number
FROM import_chunk
WHERE occurrence = $1 AND outcome IS NULL AND cert_changed AND match_key IS NULL
ORDER BY row_number"""
# The version side: each row not rejected compared with the state before it — the previous such row of
# the person, or the register's current version.
VERSIONS_AND_OUTCOMES = """
UPDATE import_chunk r SET
    version_changed = x.changed,
    outcome = CASE WHEN x.changed OR r.cert_changed THEN 'accepted' ELSE 'unchanged' END
FROM (
    SELECT c.row_number,
        CASE WHEN lag(c.row_number) OVER w IS NULL
             THEN v.id IS NULL OR (v.name, v.region_code, v.community, v.household,
                                   v.employee_insurance_since)
                  IS DISTINCT FROM (c.name, c.region_code, c.community, c.household,
                                    c.employee_insurance_since)
             ELSE (lag(c.name) OVER w, lag(c.region_code) OVER w, lag(c.community) OVER w,
                   lag(c.household) OVER w, lag(c.employee_insurance_since) OVER w)
                  IS DISTINCT FROM (c.name, c.region_code, c.community, c.household,
                                    c.employee_insurance_since)
        END AS changed
    FROM import_chunk c
    LEFT JOIN resident_versions v ON v.id = c.version_id
    WHERE c.outcome IS NULL
    WINDOW w AS (PARTITION BY c.id_number ORDER BY c.row_number)
) x
WHERE r.row_number = x.row_number"""
SUPERSEDE_VERSIONS = """
WITH stale AS (SELECT DISTINCT version_id FROM import_chunk WHERE version_changed AND version_id IS NOT NULL),
     done AS (
        UPDATE resident_versions v SET superseded_at = $1::timestamptz
        FROM stale WHERE v.id = stale.version_id AND v.superseded_at IS NULL RETURNING 1)
SELECT (SELECT count(*) FROM stale), (SELECT count(*) FROM done)"""
# A person's new version holds the last row not rejected (later unchanged rows hold the same values).
INSERT_VERSIONS = """
INSERT INTO resident_versions
    (id_number, name, region_code, community, household, employee_insurance_since, recorded_at, recorded_by)
SELECT id_number, name, region_code, community, household, employee_insurance_since, $1::timestamptz,
       $2::varchar
FROM (
    SELECT DISTINCT ON (id_number) *, bool_or(version_changed) OVER (PARTITION BY id_number) AS person_changed
    FROM import_chunk
    WHERE outcome IN ('accepted', 'unchanged')
    ORDER BY id_number, row_number DESC
) last_row
WHERE person_changed"""
SUPERSEDE_CERTIFICATIONS = """
WITH stale AS (SELECT persisted_id FROM import_chunk_certs WHERE dirty AND persisted_id IS NOT NULL),
     done AS (
        UPDATE certifications c SET superseded_at = $1::timestamptz
        FROM stale WHERE c.id = stale.persisted_id AND c.superseded_at IS NULL RETURNING 1)
SELECT (SELECT count(*) FROM stale), (SELECT count(*) FROM done)"""
INSERT_CERTIFICATIONS = """
INSERT INTO certifications (id, lineage, id_number, category, valid_from, valid_to, authority,
                            evidence_ref, change, reason, recorded_at, recorded_by)
SELECT id, coalesce(lineage, id), id_number, category, valid_from, valid_to, authority, evidence_ref,
       change, 'import ' || $1::text || ' row ' || row_number, $2::timestamptz, $3::varchar
FROM (SELECT nextval('certifications_id_seq') AS id, k.* FROM import_chunk_certs k WHERE dirty) pending"""
# The report, in file order: a rejected row's ID number masked only if it was valid (R2).
REPORT = """
INSERT INTO import_rows (job_id, row_number, outcome, id_number_masked, reason)
SELECT $1::uuid, row_number, outcome,
       CASE WHEN id_number IS NULL THEN id_number_masked
            ELSE left(id_number, 6) || repeat('*', length(id_number) - 10) || right(id_number, 4) END,
       coalesce(reason, warning)
FROM import_chunk WHERE $2::boolean OR outcome = 'rejected' OR warning IS NOT NULL
ORDER BY row_number"""
COUNTS = """
SELECT count(*), count(*) FILTER (WHERE outcome = 'accepted'), count(*) FILTER (WHERE outcome = 'rejected'),
       count(*) FILTER (WHERE outcome = 'unchanged'), coalesce(max(occurrence), 0)
FROM import_chunk"""
REJECTED = """
SELECT row_number, id_number_masked, id_number, reason FROM import_chunk WHERE outcome = 'rejected'
ORDER BY row_number"""
