-- django_case: the service's case table exactly as Django's migrate makes
-- it (README, "Case binding").  A CharField(blank=True) is varchar NOT NULL
-- DEFAULT '', so a case without an outcome holds '' in outcome_code, not
-- NULL; ids and outcome_code_id are int4, level smallint.  A bound outcome
-- column's "no outcome" is its own empty value: NULL where the column
-- allows it, else its constant default.  verify(), status() and
-- repair_cases() use it, so a healthy Django database is green and a
-- corrupted case is still found and repaired.
\i test/setup.psql
\i test/django_case_table.psql
INSERT INTO dj.legalaid_case (id) SELECT g FROM generate_series(1, 5) g;
SELECT cla_eventlog.bind_case_table('dj.legalaid_case');
SELECT cla_eventlog.register_event('case', '{"CASE_CREATED": {"type": "system", "level": "MINOR",
    "selectable_by": [], "description": "Case created", "stops_timer": false}}');
SELECT cla_eventlog.register_event('call_me_back', '{"CB1": {"type": "outcome", "level": "HIGH",
    "selectable_by": [], "description": "Callback 1", "stops_timer": true, "set_requires_action_by": "operator"}}');

-- A case created, one with an outcome: every check is green, verify()
-- finds nothing (before: every case without an outcome was reported, as
-- '' is not NULL).
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_CREATED') IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('call_me_back', 2, 7) IS NOT NULL AS logged;
SELECT id, outcome_code, outcome_code_id IS NOT NULL AS has_log_id, level FROM dj.legalaid_case WHERE id <= 2 ORDER BY id;
SELECT check_name, ok FROM cla_eventlog.status()
 WHERE check_name IN ('case_binding', 'denormalised_outcomes', 'billable_time') ORDER BY 1;
SELECT * FROM cla_eventlog.verify();
-- What the extension reads of a case: '' reads as no outcome.
SELECT case_id, outcome_code, level, source FROM cla_eventlog._case_rows(ARRAY[1, 2]);

-- Corrupted cases are still found: an outcome on a case without one, an
-- outcome wiped to ''.
UPDATE dj.legalaid_case SET outcome_code = 'XX', level = 29 WHERE id = 3;
UPDATE dj.legalaid_case SET outcome_code = '', outcome_code_id = NULL, level = NULL WHERE id = 2;
SELECT * FROM cla_eventlog.verify();
SELECT check_name, ok FROM cla_eventlog.status() WHERE check_name = 'denormalised_outcomes';

-- ... and repaired: "no outcome" is written as '' (before: 23502, null
-- value in column "outcome_code", and nothing repaired).
SELECT cla_eventlog.repair_cases() AS repaired;
SELECT id, outcome_code, outcome_code_id IS NOT NULL AS has_log_id, level FROM dj.legalaid_case WHERE id <= 3 ORDER BY id;
SELECT * FROM cla_eventlog.verify();

-- A duplicate (here the same-day debounce of case 2's CB1) is skipped
-- silently by default (log_event() returns NULL); with
-- cla_eventlog.duplicates = 'error' it is refused with SQLSTATE 23EL1, an
-- integrity error, for clients that cannot handle a skipped row.
SELECT cla_eventlog.log_event('call_me_back', 2, 7) IS NULL AS skipped;
SET cla_eventlog.duplicates = 'error';
SELECT cla_eventlog.log_event('call_me_back', 2, 7);
DO $$ BEGIN
    INSERT INTO cla_eventlog.log (case_id, code, created_by) VALUES (2, 'CB1', 7);
EXCEPTION WHEN SQLSTATE '23EL1' THEN RAISE NOTICE 'duplicate refused with SQLSTATE %', SQLSTATE;
END $$;
SET cla_eventlog.duplicates = 'maybe';
RESET cla_eventlog.duplicates;

-- Resolvers and policy functions read the bound row, whatever the table:
-- bound_case() gives it as JSON (NULL for no such case).
SELECT cla_eventlog.bound_case(2) ->> 'outcome_code' AS outcome_code,
       cla_eventlog.bound_case(2) ->> 'source' AS source,
       cla_eventlog.bound_case(99) IS NULL AS no_case_99;

-- Django's outcome_code_id is integer: binding warned (above), and status
-- check log_id_headroom turns red at 90 % of its largest value, long before
-- a HIGH outcome would fail with "integer out of range".
SELECT check_name, ok, detail FROM cla_eventlog.status() WHERE check_name = 'log_id_headroom';
SELECT setval('cla_eventlog.log_id_seq', 1950000000) AS log_ids_much_later;
SELECT check_name, ok, detail FROM cla_eventlog.status() WHERE check_name = 'log_id_headroom';

SET client_min_messages = warning;
DROP EXTENSION cla_eventlog CASCADE;
DROP SCHEMA dj CASCADE;
