-- log_ids: who chooses a log id (issue 17).  The id orders the log: a case
-- shows its highest-id HIGH outcome, MI's "first" is the lowest id.  So an
-- application role may not choose one: a row's id must be the one its column
-- default (cla_eventlog._log_id()) issued for it.  Only a superuser may turn
-- on cla_eventlog.allow_explicit_ids (a history import); rows restored by
-- pg_dump are untouched (dump_restore.sh).
\i test/setup.psql
\i test/reference.psql

-- A writer as in the privileges recipe: INSERT on the log, USAGE on its
-- sequence, log_event(), and the case table the triggers update.
SET client_min_messages = warning;
DROP ROLE IF EXISTS log_ids_writer;
RESET client_min_messages;
CREATE ROLE log_ids_writer NOLOGIN;
GRANT USAGE ON SCHEMA cla_eventlog, cla_reference TO log_ids_writer;
GRANT SELECT, INSERT ON cla_eventlog.log TO log_ids_writer;
GRANT USAGE ON SEQUENCE cla_eventlog.log_id_seq TO log_ids_writer;
GRANT EXECUTE ON FUNCTION
    cla_eventlog.log_event(text, bigint, bigint, text, text, jsonb, jsonb, text, jsonb, text, bigint)
TO log_ids_writer;
GRANT SELECT, UPDATE ON cla_reference.legalaid_case TO log_ids_writer;

---------------------------------------------------------------------------
-- The column default is the extension's id function, which the writer may
-- call (PostgreSQL checks EXECUTE on a default's function as the inserting
-- role); the sequence still belongs to the column.
---------------------------------------------------------------------------
SELECT pg_get_expr(d.adbin, d.adrelid) AS id_default
  FROM pg_attrdef d
 WHERE d.adrelid = 'cla_eventlog.log'::regclass AND d.adnum = 1;
SELECT pg_get_serial_sequence('cla_eventlog.log', 'id') AS owned_sequence;
SELECT has_function_privilege('log_ids_writer', 'cla_eventlog._log_id()', 'EXECUTE') AS writer_may_execute;

SET ROLE log_ids_writer;

---------------------------------------------------------------------------
-- 1. An explicit id is refused (428C9), whichever way the row comes.
---------------------------------------------------------------------------
-- INSERT ... VALUES
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by)
VALUES (500, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7);
\echo :SQLSTATE
-- INSERT ... SELECT
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by)
SELECT 600 + g, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7 FROM generate_series(1, 3) g;
-- VALUES of two rows, the first with DEFAULT, the second with an id: the
-- statement is refused as a whole
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by)
VALUES (DEFAULT, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7), (700, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7);
-- COPY with an id column
COPY cla_eventlog.log (id, case_id, event_key, code, created_by) FROM stdin;
800	1	case	COMPLAINT_FLAG_TOGGLED	7
\.
-- an explicit NULL is not the default either
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by)
VALUES (NULL, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7);
-- an id the sequence issued for another purpose: the next value plus one,
-- and the id of an existing row (which would otherwise be a 23505 for the
-- next writer, or here for this one)
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by)
VALUES (nextval('cla_eventlog.log_id_seq') + 1, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7);
SELECT count(*) AS nothing_stored FROM cla_eventlog.log;

---------------------------------------------------------------------------
-- 2. Omitting the id works: INSERT, multi-row INSERT ... SELECT, COPY,
--    log_event(); each row gets the next value of the sequence.
---------------------------------------------------------------------------
RESET ROLE;
SELECT setval('cla_eventlog.log_id_seq', 1000, false) IS NOT NULL AS restart_at_1000;
SET ROLE log_ids_writer;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
VALUES (1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'values');
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, notes)
VALUES (DEFAULT, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'DEFAULT');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
SELECT g % 3 + 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'select ' || g FROM generate_series(1, 100) g;
COPY cla_eventlog.log (case_id, event_key, code, created_by, notes) FROM stdin;
2	case	COMPLAINT_FLAG_TOGGLED	7	copy 1
3	case	COMPLAINT_FLAG_TOGGLED	7	copy 2
\.
SELECT cla_eventlog.log_event('case', 1, 7, 'COMPLAINT_FLAG_TOGGLED', notes => 'log_event') AS log_event_id;
-- a statement of many rows, each statement's rows in one transaction
BEGIN;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
SELECT 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'in a transaction' FROM generate_series(1, 200) g;
SELECT cla_eventlog.log_event('case', 2, 7, 'COMPLAINT_FLAG_TOGGLED', notes => 'log_event in a transaction') AS log_event_id;
COMMIT;
SELECT count(*) AS rows, min(id), max(id), count(DISTINCT id) = count(*) AS distinct_ids
  FROM cla_eventlog.log;

---------------------------------------------------------------------------
-- 3. A value expression that itself logs (nested inserts) does not break
--    the pairing of a row's default with its trigger: the outer row's id is
--    issued, then the nested rows' ids are issued and used, then the outer
--    row's.  Also when a nested insert fails after its id was issued, and
--    when many issued ids are never used.
---------------------------------------------------------------------------
RESET ROLE;
CREATE FUNCTION public.log_ids_nested(case_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    a bigint;
    b bigint;
BEGIN
    a := cla_eventlog.log_event('case', case_id, 8, 'COMPLAINT_FLAG_TOGGLED', notes => 'nested log_event');
    INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
    VALUES (case_id, 'case', 'COMPLAINT_FLAG_TOGGLED', 8, 'nested insert') RETURNING id INTO b;
    -- an insert whose id is issued but which fails before its trigger (the
    -- volatile random() keeps the division from being folded at plan time)
    BEGIN
        INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
        VALUES (case_id, 'case', 'COMPLAINT_FLAG_TOGGLED', 8, (1 / (random() * 0)::int)::text);
    EXCEPTION WHEN division_by_zero THEN
        NULL;
    END;
    RETURN 'outer of ' || a || ', ' || b;
END $$;
SELECT setval('cla_eventlog.log_id_seq', 2000, false) IS NOT NULL AS restart_at_2000;
SET ROLE log_ids_writer;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
VALUES (4, 'case', 'COMPLAINT_FLAG_TOGGLED', 8, public.log_ids_nested(5));
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
SELECT 6, 'case', 'COMPLAINT_FLAG_TOGGLED', 8, public.log_ids_nested(7) FROM generate_series(1, 2);
SELECT cla_eventlog.log_event('case', 8, 8, 'COMPLAINT_FLAG_TOGGLED', notes => public.log_ids_nested(9)) AS log_event_id;
SELECT id, case_id, notes FROM cla_eventlog.log WHERE id >= 2000 ORDER BY id;
-- 100 ids issued and never used (more than the list of issued ids keeps):
-- the next rows still get theirs.
SELECT count(cla_eventlog._log_id()) AS issued_unused FROM generate_series(1, 100);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
VALUES (1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'after unused ids') RETURNING id;
SELECT cla_eventlog.log_event('case', 1, 7, 'COMPLAINT_FLAG_TOGGLED', notes => 'after unused ids') AS log_event_id;
-- An id the function issued in this transaction and that no row used yet is
-- the next value of the sequence, as good as the default: accepted once.
-- Anything derived from it is not, nor is it a second time.
BEGIN;
SELECT cla_eventlog._log_id() AS own_id \gset
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, notes)
VALUES (:own_id, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'issued, then given') RETURNING id = :own_id AS accepted;
SAVEPOINT again;
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, notes)
VALUES (:own_id, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'the same id again');
ROLLBACK TO again;
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, notes)
VALUES (cla_eventlog._log_id() + 1000000, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'derived');
ROLLBACK;
-- ... and not in a later transaction
SELECT cla_eventlog._log_id() AS old_id \gset
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, notes)
VALUES (:old_id, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'issued in another transaction');

---------------------------------------------------------------------------
-- 4. The huge-id attack of the issue: a HIGH outcome with a huge id would
--    pin the case's outcome against every later one.  Refused; the case
--    follows its later outcomes.
---------------------------------------------------------------------------
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, notes)
VALUES (9000000000000000000, 10, 'accept_case', 'SPOP', 7, 'pinned');
\echo :SQLSTATE
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
VALUES (10, 'accept_case', 'SPOP', 7, 'accepted');
SELECT cla_eventlog.log_event('close_case', 10, 7, 'CLSP', notes => 'closed') IS NOT NULL AS closed;
SELECT outcome_code, outcome_code_id = (SELECT max(id) FROM cla_eventlog.log WHERE case_id = 10) AS latest
  FROM cla_reference.legalaid_case WHERE id = 10;

---------------------------------------------------------------------------
-- 5. Only a superuser may turn cla_eventlog.allow_explicit_ids on (42501),
--    in the session, the transaction or the role's settings.
---------------------------------------------------------------------------
SET cla_eventlog.allow_explicit_ids = on;
\echo :SQLSTATE
BEGIN;
SET LOCAL cla_eventlog.allow_explicit_ids = on;
ROLLBACK;
SELECT set_config('cla_eventlog.allow_explicit_ids', 'on', false);
ALTER ROLE log_ids_writer SET cla_eventlog.allow_explicit_ids = on;
SHOW cla_eventlog.allow_explicit_ids;

---------------------------------------------------------------------------
-- 6. A superuser: refused with the setting off (the default), accepted
--    with it on, as a history import would (SET LOCAL in its transaction).
---------------------------------------------------------------------------
RESET ROLE;
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, notes)
VALUES (100, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'superuser, setting off');
BEGIN;
SET LOCAL cla_eventlog.allow_explicit_ids = on;
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, notes, created)
VALUES (101, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'imported', '2020-01-01 10:00+00');
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, notes, created)
SELECT 101 + g, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'imported ' || g, '2020-01-01 10:00+00'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 3) g;
COPY cla_eventlog.log (id, case_id, event_key, code, created_by, notes, created) FROM stdin;
105	1	case	COMPLAINT_FLAG_TOGGLED	7	imported by COPY	2020-01-01 11:00+00
\.
-- rows without an id still get the default's
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
VALUES (1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'not imported') RETURNING id = currval('cla_eventlog.log_id_seq') AS from_sequence;
COMMIT;
SHOW cla_eventlog.allow_explicit_ids;
SELECT id, notes FROM cla_eventlog.log WHERE id BETWEEN 100 AND 199 ORDER BY id;
-- after the transaction the setting is off again
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, notes)
VALUES (106, 1, 'case', 'COMPLAINT_FLAG_TOGGLED', 7, 'after the import');

DROP FUNCTION public.log_ids_nested(bigint);
DROP OWNED BY log_ids_writer;
DROP ROLE log_ids_writer;
