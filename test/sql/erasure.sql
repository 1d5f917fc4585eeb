-- erasure: the supported ways history leaves the log (README "Erasing a
-- case, resetting a test database").  The log stays append-only for every
-- ordinary statement; erase_cases() removes whole cases' log rows and
-- timers through one audited path so that the application can then delete
-- the cases; reset_test_data() empties a test database; TRUNCATE of an
-- empty log loses nothing and passes (Django's flush with CASCADE).
\i test/setup.psql
\set regress_db :DBNAME
\i test/django_case_table.psql
INSERT INTO dj.legalaid_case (id) SELECT g FROM generate_series(1, 4) g;
SET client_min_messages = error;
SELECT cla_eventlog.bind_case_table('dj.legalaid_case');
RESET client_min_messages;
SELECT cla_eventlog.register_event('case', '{"CASE_CREATED": {"type": "system", "level": "MINOR",
    "selectable_by": [], "description": "Case created", "stops_timer": false}}');
SELECT cla_eventlog.register_event('call_me_back', '{"CB1": {"type": "outcome", "level": "HIGH",
    "selectable_by": [], "description": "Callback 1", "stops_timer": true, "set_requires_action_by": "operator"},
    "CB2": {"type": "outcome", "level": "HIGH",
    "selectable_by": [], "description": "Callback 2", "stops_timer": true, "set_requires_action_by": "operator"}}');

-- History: cases 1, 2 and 3 have logs; case 1's callback stopped user 7's
-- timer, which billed case 1.  User 8's timer is linked to case 1 too but
-- also named by a log of case 3: erasing case 1 must keep it, unlinked.
SELECT (cla_eventlog.start_timer(7)).id IS NOT NULL AS started;
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_CREATED') IS NOT NULL AS logged,
       cla_eventlog.log_event('call_me_back', 1, 7, 'CB1') IS NOT NULL AS callback;
SELECT cla_eventlog.log_event('case', 2, 7, 'CASE_CREATED') IS NOT NULL AS logged;
SELECT (cla_eventlog.start_timer(8)).id IS NOT NULL AS started;
SELECT cla_eventlog.log_event('case', 3, 8, 'CASE_CREATED') IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('call_me_back', 1, 8, 'CB2') IS NOT NULL AS callback;
SELECT created_by, linked_case, stopped IS NOT NULL AS stopped FROM cla_eventlog.timer ORDER BY created_by;
SELECT id, outcome_code, billable_time > 0 AS billed FROM dj.legalaid_case ORDER BY id;

-- What an application trips on: the case cannot be deleted while it has
-- logs (Django's Case.delete()), and the log refuses DELETE and TRUNCATE,
-- also for a superuser, with a hint naming the supported ways.
DELETE FROM dj.legalaid_case WHERE id = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM cla_eventlog.log WHERE case_id = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
TRUNCATE cla_eventlog.log;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Bad calls: no ids, no reason.  Nothing changes.
SELECT * FROM cla_eventlog.erase_cases(NULL, 'retention');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM cla_eventlog.erase_cases(ARRAY[1], '  ');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Who may erase: only a role granted EXECUTE (PUBLIC has none), and only
-- if it may delete the cases too.
CREATE ROLE cel_eraser;
GRANT USAGE ON SCHEMA cla_eventlog TO cel_eraser;
SET ROLE cel_eraser;
SELECT * FROM cla_eventlog.erase_cases(ARRAY[1], 'retention');
RESET ROLE;
GRANT EXECUTE ON FUNCTION cla_eventlog.erase_cases(bigint[], text) TO cel_eraser;
SET ROLE cel_eraser;
SELECT * FROM cla_eventlog.erase_cases(ARRAY[1], 'retention');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT USAGE ON SCHEMA dj TO cel_eraser;
GRANT SELECT, DELETE ON dj.legalaid_case TO cel_eraser;
SELECT count(*) AS log_rows_still_there FROM cla_eventlog.log;

-- Erasing case 1 (given twice, with a NULL): its 3 log rows and user 7's
-- timer go; user 8's timer stays, unlinked, because case 3's log names it.
-- The case's outcome columns are cleared, the audit names the role, and
-- the application can now delete the case.
SET ROLE cel_eraser;
SELECT * FROM cla_eventlog.erase_cases(ARRAY[1, NULL, 1], 'retention: closed more than 6 years ago');
DELETE FROM dj.legalaid_case WHERE id = 1;
RESET ROLE;
SELECT case_id, count(*) FROM cla_eventlog.log GROUP BY case_id ORDER BY case_id;
SELECT created_by, linked_case FROM cla_eventlog.timer ORDER BY created_by;
SELECT erased_by, reason, case_id, log_rows, timer_rows, erased_at BETWEEN now() - interval '10 minutes' AND now() AS just_now FROM cla_eventlog.erasure;
SELECT * FROM cla_eventlog.verify();
SELECT check_name, ok FROM cla_eventlog.status() WHERE NOT ok;

-- A case erased but kept (the application deletes it later) reads as a
-- case without history: outcome '' and billable time 0, and verify() agrees.
SELECT * FROM cla_eventlog.erase_cases(ARRAY[3], 'data subject request 42');
SELECT id, outcome_code, outcome_code_id, billable_time FROM dj.legalaid_case WHERE id = 3;
SELECT * FROM cla_eventlog.verify();

-- reset_test_data() runs only in a test database (Django names them test_*).
SELECT cla_eventlog.reset_test_data();
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- TRUNCATE of an empty log passes: once every case is erased, the case table
-- can be truncated with CASCADE (Django's flush of a TransactionTestCase
-- with available_apps, or after reset_test_data()).
SELECT log_rows FROM cla_eventlog.erase_cases(ARRAY[2, 4], 'test');
SET client_min_messages = warning;
TRUNCATE dj.legalaid_case CASCADE;
RESET client_min_messages;
SELECT count(*) AS cases FROM dj.legalaid_case;

-- In a test database, reset_test_data() empties the log, the timers and the
-- audit; only the tables' owner may (TRUNCATE's own check).
CREATE DATABASE test_cel_erasure;
\c test_cel_erasure
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog;
CREATE TABLE legalaid_case (id bigint PRIMARY KEY);
INSERT INTO legalaid_case VALUES (1);
SELECT cla_eventlog.bind_case_table('public.legalaid_case');
RESET client_min_messages;
SELECT cla_eventlog.register_event('case', '{"CASE_CREATED": {"type": "system", "level": "MINOR",
    "selectable_by": [], "description": "Case created", "stops_timer": false}}');
SELECT (cla_eventlog.start_timer(7)).id IS NOT NULL AS started,
       cla_eventlog.log_event('case', 1, 7, 'CASE_CREATED') IS NOT NULL AS logged;
CREATE ROLE cel_tester;
GRANT USAGE ON SCHEMA cla_eventlog TO cel_tester;
GRANT EXECUTE ON FUNCTION cla_eventlog.reset_test_data() TO cel_tester;
SET ROLE cel_tester;
SELECT cla_eventlog.reset_test_data();
RESET ROLE;
SELECT cla_eventlog.reset_test_data();
SELECT (SELECT count(*) FROM cla_eventlog.log) AS logs, (SELECT count(*) FROM cla_eventlog.timer) AS timers;
SET client_min_messages = warning;
TRUNCATE legalaid_case CASCADE;
RESET client_min_messages;
\c :regress_db
DROP DATABASE test_cel_erasure;
DROP ROLE cel_tester;

SET client_min_messages = warning;
DROP EXTENSION cla_eventlog CASCADE;
DROP SCHEMA dj CASCADE;
DROP OWNED BY cel_eraser;
DROP ROLE cel_eraser;
