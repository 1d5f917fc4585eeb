-- Workload 5 (bulk load): writes :rows log rows (default 1000000) as CSV to
-- the server-side file :'copy_file', in the column order of
-- :copy_columns (see common.sh), once before the timed runs.  The same file
-- is loaded into cla_eventlog.log (through the triggers) and into
-- bench.plain_log (no triggers).  Needs setup.sql; superuser.
--
-- The mix: 85 % MINOR/system codes without case side effects (60 % case/
-- CASE_VIEWED, the rest means_test, diagnosis, category, complaint flag and
-- note), 15 % HIGH outcomes with case side effects and varied notes
-- (reject_case/MERI, call_me_back/CB1, suspend_case/ABND, decline_help/DECL,
-- accept_case/SPOP).  Users 1..40 operators, 41..50 specialists, none with
-- a running timer; random cases; created given, increasing over the last
-- 30 days; type and level given (the plain table has no trigger to fill
-- them; the log's trigger checks them against the registry).
\set ON_ERROR_STOP on
\if :{?rows}
\else
\set rows 1000000
\endif
SELECT pg_catalog.setseed(0.25);
CREATE TEMP TABLE copy_mix (lo float8, hi float8, event_key text, code text,
                            role text, user_lo int, user_hi int, with_notes boolean);
INSERT INTO copy_mix VALUES
    (0.00, 0.60, 'case',            'CASE_VIEWED',            NULL,         1, 50, false),
    (0.60, 0.68, 'means_test',      'MT_CHANGED',             NULL,         1, 40, false),
    (0.68, 0.73, 'diagnosis',       'DIAGNOSIS_CREATED',      NULL,         1, 40, false),
    (0.73, 0.78, 'case',            'COMPLAINT_FLAG_TOGGLED', NULL,         1, 40, false),
    (0.78, 0.83, 'change_category', 'CATEGORY_CHANGED',       NULL,         1, 50, false),
    (0.83, 0.85, 'complaint',       'COMPLAINT_NOTE',         'operator',   1, 40, true),
    (0.85, 0.89, 'reject_case',     'MERI',                   'mcc_specialist', 41, 50, true),
    (0.89, 0.93, 'call_me_back',    'CB1',                    'operator',   1, 40, true),
    (0.93, 0.96, 'suspend_case',    'ABND',                   'operator',   1, 40, true),
    (0.96, 0.98, 'decline_help',    'DECL',                   'operator',   1, 40, true),
    (0.98, 1.01, 'accept_case',     'SPOP',                   NULL,         41, 50, false);
SELECT pg_catalog.max(id) AS copy_ncases FROM cla_reference.legalaid_case \gset
COPY (
    WITH r AS MATERIALIZED (   -- random values drawn once per row
        SELECT g, pg_catalog.random() AS r_mix, pg_catalog.random() AS r_case,
               pg_catalog.random() AS r_user, pg_catalog.random() AS r_note
          FROM pg_catalog.generate_series(1, :rows) AS g)
    SELECT 1 + pg_catalog.floor(r.r_case * :copy_ncases)::bigint AS case_id,
           m.event_key, m.code, k.type, k.level,
           m.user_lo + pg_catalog.floor(r.r_user * (m.user_hi - m.user_lo + 1))::bigint AS created_by,
           m.role AS created_by_role,
           CASE WHEN m.with_notes THEN 'Note ' || pg_catalog.floor(r.r_note * 1e9)::bigint END AS notes,
           pg_catalog.now() - interval '30 days' + (r.g * (interval '30 days' / :rows)) AS created
      FROM r
      JOIN copy_mix m ON r.r_mix >= m.lo AND r.r_mix < m.hi
      JOIN cla_eventlog.code k ON k.event_key = m.event_key AND k.code = m.code
     ORDER BY r.g
) TO :'copy_file' WITH (FORMAT csv);
DROP TABLE copy_mix;
